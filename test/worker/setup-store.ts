// Runs before every Worker test file. With an external store, the project's files share one server and run
// one at a time: each starts from an empty store, as each file starts with empty Durable Object storage.
import { beforeAll } from "vitest";
import { isExternalStore, wipeStore } from "./backend";

beforeAll(async () => {
  if (isExternalStore) await wipeStore();
});
