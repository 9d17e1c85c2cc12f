// Which store backend this Worker project runs against, and the control server that acts on its processes.
import { env } from "cloudflare:test";
import "../harness/provided";
import { describe, inject } from "vitest";
import { storeConfig } from "../../src/storage/config";
import { openExternalStore } from "../../src/storage/open";
import type { Store } from "../../src/storage/types";

export const backend: string = env.IPAM_STORE ?? "durable-object";
export const isExternalStore = backend !== "durable-object";

/** describe() for what only the Durable Object backend has (skipped, and counted so, on the others). */
export const describeOnDurableObjects = isExternalStore ? describe.skip : describe;
/** describe() for what only the external stores have. */
export const describeOnExternalStores = isExternalStore ? describe : describe.skip;

async function control(path: string): Promise<void> {
  const res = await fetch(`${inject("controlUrl")}${path}`, { method: "POST" });
  if (!res.ok) throw new Error(`control ${path}: ${res.status} ${await res.text()}`);
}

export const wipeStore = () => control("/wipe");
export const storeFault = (f: "pause" | "resume" | "kill" | "restart") => control(`/fault/${f}`);

/** A store of this project's backend, opened as a namespace object would (for reading back what was written). */
export async function withProjectStore<T>(body: (store: Store) => Promise<T>, overrides: Record<string, string> = {}): Promise<T> {
  const settings = storeConfig({ ...(env as unknown as Record<string, unknown>), ...overrides });
  if (!settings.ok) throw new Error(settings.message);
  if (settings.config.kind === "durable-object") throw new Error("the Durable Object backend has no store to open from a test");
  const store = openExternalStore(settings.config);
  try {
    return await body(store);
  } finally {
    await store.close?.();
  }
}
