// The Worker built with the MongoDB driver (`wrangler deploy --config wrangler.mongodb.toml`): the same Worker as index.ts, plus
// the driver, loaded on the first MongoDB call. The default build leaves the driver out (1.7 MiB); README
// "Storage backends" has the sizes.
import { provideMongoDriver } from "./store";

provideMongoDriver(() => import("mongodb"));

export * from "./index";
export { default } from "./index";
