#!/usr/bin/env node
// `ipam`, edge IPAM's command-line client (see docs/cli.md). The CLI is TypeScript (src/cli); tsx compiles
// it on the fly, so this works from any directory and through `npx ipam` without a build step.
import { register } from "tsx/esm/api";

register();
const { runProcess } = await import(new URL("../src/cli/main.ts", import.meta.url).href);
await runProcess();
