// Test helpers for the etcd store: a fetch that misbehaves at a chosen txn (the writer "dies" there, or stalls
// until the test lets it go on), and a raw view of the keys, read through the gateway with the store's own
// credentials (the harness's etcd user may use ipam/ only).
import { env } from "cloudflare:test";
import { type StoreConfig, storeConfig } from "../../../src/storage/config";
import { EtcdStore, type EtcdStoreOptions } from "../../../src/storage/etcd";
import { EtcdGateway, fromBase64, prefixEnd, toBase64 } from "../../../src/storage/etcd-gateway";

export type EtcdConfig = Extract<StoreConfig, { kind: "etcd" }>;

export function etcdConfig(overrides: Partial<EtcdConfig> = {}): EtcdConfig {
  const s = storeConfig(env as unknown as Record<string, unknown>);
  if (!s.ok || s.config.kind !== "etcd") throw new Error(`not an etcd project: ${s.ok ? s.config.kind : s.message}`);
  return { ...s.config, ...overrides };
}

export const etcdStore = (opts: EtcdStoreOptions = {}, overrides: Partial<EtcdConfig> = {}) => new EtcdStore(etcdConfig(overrides), opts);

/** Which step of the store's protocol a txn request is (read from its body). */
export type TxnKind = "stage" | "commit-point" | "apply" | "other";

function txnKind(body: string): TxnKind {
  const t = JSON.parse(body) as {
    compare?: { target: string }[];
    success?: { request_put?: { key: string; value?: string }; request_delete_range?: { key: string; range_end?: string } }[];
  };
  const ops = t.success ?? [];
  if (ops.length > 0 && ops.every((op) => op.request_delete_range?.range_end && fromBase64(op.request_delete_range.key).includes("/s/"))) {
    return "other"; // a sweep or discard of stage keys
  }
  const puts = (t.success ?? []).flatMap((op) => (op.request_put ? [op.request_put] : []));
  const meta = puts.find((p) => fromBase64(p.key).endsWith("/meta"));
  if (meta && fromBase64(meta.value).includes('"pending"')) return "commit-point";
  if (t.compare?.[0]?.target === "MOD" && !puts.some((p) => fromBase64(p.key).includes("/s/"))) return "apply";
  if (!meta && puts.some((p) => fromBase64(p.key).includes("/s/"))) return "stage";
  return "other";
}

/** What happens to a txn request a store sends (n: 1-based count of the store's txn requests of that kind). */
export type TxnFate =
  | "pass"
  /** Never sent: the writer died before it. */
  | "refuse"
  /** Sent and applied by etcd, but the answer is lost: the writer died right after it. */
  | "lose"
  /** Held until the promise settles, then sent: the writer stalled. */
  | { hold: Promise<void> };

export function faultyFetch(fate: (kind: TxnKind, n: number) => TxnFate): typeof fetch {
  const seen: Record<TxnKind, number> = { stage: 0, "commit-point": 0, apply: 0, other: 0 };
  return async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    let f: TxnFate = "pass";
    if (url.endsWith("/v3/kv/txn")) {
      const kind = txnKind(String(init?.body));
      f = fate(kind, ++seen[kind]);
    }
    if (f === "refuse") throw new TypeError("test: the writer died before this request");
    if (typeof f === "object") await f.hold;
    const res = await fetch(input, init);
    if (f === "lose") {
      await res.text();
      throw new TypeError("test: the writer died before it read the answer");
    }
    return res;
  };
}

export interface RawKV {
  key: string;
  value: string;
  modRevision: string;
}

const gateway = () => new EtcdGateway(etcdConfig());
const signal = () => new AbortController().signal;

/** Every key under `prefix` as etcd holds it (what `etcdctl get --prefix` shows), and the store's revision. */
export async function rawRange(prefix: string, extra: Record<string, unknown> = {}): Promise<{ revision: string; kvs: RawKV[] }> {
  const out = (await gateway().request("/v3/kv/range", { key: toBase64(prefix), range_end: toBase64(prefixEnd(prefix)), ...extra }, signal())) as {
    header: { revision: string };
    kvs?: { key: string; value?: string; mod_revision: string }[];
  };
  return {
    revision: out.header.revision,
    kvs: (out.kvs ?? []).map((kv) => ({ key: fromBase64(kv.key), value: fromBase64(kv.value), modRevision: kv.mod_revision })),
  };
}

export async function rawPut(key: string, value: string): Promise<void> {
  await gateway().request("/v3/kv/put", { key: toBase64(key), value: toBase64(value) }, signal());
}

/** A promise the test resolves when a held writer may go on. */
export function gate(): { promise: Promise<void>; open(): void; reached: Promise<void>; arrive(): void } {
  let open!: () => void;
  let arrive!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (arrive = r));
  return { promise, open, reached, arrive };
}
