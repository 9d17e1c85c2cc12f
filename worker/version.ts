// The package version, from package.json (bundled at build time), for the Version RPC and /health.
import pkg from "../package.json" with { type: "json" };

export const VERSION: string = pkg.version;
