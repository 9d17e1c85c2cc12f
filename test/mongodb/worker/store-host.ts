// Test-only Worker (test/mongodb/wrangler.toml): the MongoDB build of the Worker plus a Durable Object that
// (1) runs the MongoDB store adapter inside workerd with its Store methods callable over DO RPC, JSON in and
// out, so the store contract suite (unchanged) runs from Node against the adapter as the Worker runs it, and
// (2) fires bursts of calls at a namespace object from inside workerd, as many at once as the tests need (the
// harness's RPC proxy from Node delivers calls too slowly to fill a 512-call batch). The vitest pool cannot
// load the driver (docs/storage.md "MongoDB"), which is why these tests drive the Worker from outside.
import { DurableObject } from "cloudflare:workers";
import { storeConfig } from "../../../src/storage/config";
import { openExternalStore } from "../../../src/storage/open";
import { FencingError, type Store } from "../../../src/storage/types";
import type { HostReply } from "../host-reply";

export { DirectoryObject, default, NamespaceObject } from "../../../worker/mongodb/index";

interface Env {
  NAMESPACE: DurableObjectNamespace<import("../../../worker/namespace-object").NamespaceObject>;
  [setting: string]: unknown;
}


const METHODS = new Set(["load", "commit", "createNamespace", "deleteNamespace", "listNamespaces", "ping"]);

export class StoreHost extends DurableObject<Env> {
  private store: Store | undefined;

  private open(overrides: Record<string, string> = {}): Store {
    const s = storeConfig({ ...this.env, ...overrides });
    if (!s.ok) throw new Error(s.message);
    if (s.config.kind === "durable-object") throw new Error("StoreHost serves an external store");
    return openExternalStore(s.config, { mongodb: () => import("mongodb") });
  }

  /** Runs store.<method>(...args) on the object's store (or, with overrides, a fresh one) and answers JSON. */
  async call(method: string, argsJson: string, overridesJson?: string): Promise<string> {
    if (!METHODS.has(method)) return JSON.stringify({ ok: false, name: "Error", message: `no store method ${method}` });
    const fresh = overridesJson !== undefined;
    const store = fresh ? this.open(JSON.parse(overridesJson) as Record<string, string>) : (this.store ??= this.open());
    let reply: HostReply;
    try {
      const args = JSON.parse(argsJson) as unknown[];
      let value = await (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method](...args);
      if (method === "load") {
        const snap = value as { exists: boolean; version: number; records: Iterable<unknown> };
        value = { ...snap, records: [...snap.records] };
      }
      reply = { ok: true, value: value ?? null };
    } catch (e) {
      const err = e as Error;
      reply = {
        ok: false,
        name: err.name,
        message: err.message,
        ...(e instanceof FencingError ? { fencing: { namespace: e.namespace, expectedVersion: e.expectedVersion, actual: e.actual } } : {}),
      };
    } finally {
      if (fresh) await store.close?.();
    }
    return JSON.stringify(reply);
  }

  /** `n` concurrent execute(namespace, cmd) calls on the namespace's object, all sent in one turn; their Outcomes as JSON. */
  async burst(namespace: string, n: number, cmdJson: string): Promise<string> {
    const stub = this.env.NAMESPACE.get(this.env.NAMESPACE.idFromName(namespace));
    const cmd = JSON.parse(cmdJson) as Parameters<typeof stub.execute>[1];
    const out = await Promise.all(Array.from({ length: n }, () => stub.execute(namespace, cmd)));
    return JSON.stringify(out);
  }
}
