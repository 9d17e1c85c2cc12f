// The store contract suite (src/storage/testing/contract.ts, unchanged) against the MongoDB adapter running
// inside workerd (test/mongodb/worker/store-host.ts), each Store call forwarded over DO RPC.
import { afterAll, beforeAll } from "vitest";
import { StoreMisconfiguredError, StoreUnavailableError } from "../../src/storage/failure";
import { storeContract } from "../../src/storage/testing/contract";
import { CommitRefusedError, FencingError, InvalidChangeError, type Store } from "../../src/storage/types";
import type { HostReply } from "./host-reply";
import { type RunningWorker, SERVER_KIND, startWorker } from "./harness";

interface HostStub {
  call(method: string, argsJson: string, overridesJson?: string): Promise<string>;
}

/** A Store whose every call runs in the store host's Durable Object, inside workerd. */
export class RemoteStore implements Store {
  readonly backend = "mongodb";
  constructor(
    private readonly host: HostStub,
    private readonly overrides?: Record<string, string>,
  ) {}

  private async call<T>(method: string, ...args: unknown[]): Promise<T> {
    const reply = JSON.parse(await this.host.call(method, JSON.stringify(args), this.overrides && JSON.stringify(this.overrides))) as HostReply;
    if (reply.ok) return reply.value as T;
    if (reply.fencing) throw new FencingError(reply.fencing.namespace, reply.fencing.expectedVersion, reply.fencing.actual);
    const E = { InvalidChangeError, CommitRefusedError, StoreUnavailableError, StoreMisconfiguredError }[reply.name] ?? Error;
    throw new E(reply.message);
  }

  load = (ns: string) => this.call<Awaited<ReturnType<Store["load"]>>>("load", ns);
  commit = (ns: string, v: number, changes: Parameters<Store["commit"]>[2]) => this.call<number>("commit", ns, v, changes);
  createNamespace = (ns: string) => this.call<Awaited<ReturnType<Store["createNamespace"]>>>("createNamespace", ns);
  deleteNamespace = (ns: string, v: number) => this.call<number>("deleteNamespace", ns, v);
  listNamespaces = () => this.call<string[]>("listNamespaces");
  ping = () => this.call<void>("ping");
}

let host: RunningWorker;
let store: RemoteStore;

beforeAll(async () => {
  host = await startWorker({ config: "test/mongodb/wrangler.toml" });
  const ns = host.env.STORE_HOST as { get(id: unknown): HostStub; idFromName(n: string): unknown };
  store = new RemoteStore(ns.get(ns.idFromName("contract")));
});
afterAll(() => host?.close());

storeContract(`mongodb adapter in workerd, against ${SERVER_KIND}`, (body) => body(store));
