// The Worker built with the MongoDB driver (wrangler.mongodb.toml): the same Worker as worker/index.ts, plus
// the driver, loaded on the first MongoDB call. The default build leaves the driver out (1.7 MiB); README
// "MongoDB" has the sizes. Named index.ts so its bundle is index.js, like the default build's.
import { provideMongoDriver } from "../store";

provideMongoDriver(() => import("mongodb"));

export * from "../index";
export { default } from "../index";
