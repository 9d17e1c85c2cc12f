// A small client for etcd's v3 JSON gateway (grpc-gateway in front of the KV and Auth services) over fetch:
// /v3/kv/range, /v3/kv/txn, /v3/auth/authenticate. Keys and values travel as base64, int64 fields as JSON
// strings (revisions stay strings here: they are only ever compared for equality or sent back), and a false
// or empty field is omitted from an answer (`succeeded` of a txn whose compare failed, `value` of an empty
// value, `kvs` of an empty range). With a username, it authenticates once and sends the token as the
// `Authorization` header, authenticating again when etcd says the token is invalid (expired, or the server
// restarted): etcd checks the token before it proposes anything, so that request was not applied and is
// sent again once.

import { StoreUnavailableError } from "./failure";

export interface GatewayConfig {
  /** The gateway's base URL, no trailing slash. */
  endpoint: string;
  username?: string;
  password?: string;
}

export interface KeyValue {
  key: string;
  value: string;
  modRevision: string;
  createRevision: string;
}

export interface RangeRequest {
  key: string;
  /** Exclusive end; prefixEnd(p) for every key starting with p. */
  rangeEnd?: string;
  limit?: number;
  /** Read at this revision (a consistent snapshot across pages). */
  revision?: string;
  keysOnly?: boolean;
}

export interface RangeResult {
  /** The store's revision the range was read at (header.revision). */
  revision: string;
  kvs: KeyValue[];
  more: boolean;
}

/** A compare of a txn (always EQUAL). */
export type Compare =
  | { key: string; value: string }
  | { key: string; modRevision: string }
  /** createRevision "0": the key does not exist. */
  | { key: string; createRevision: string };

export type TxnOp =
  | { put: string; value: string }
  | { delete: string }
  | { deleteRange: string; rangeEnd: string }
  | { range: string; rangeEnd?: string; limit?: number; keysOnly?: boolean };

export interface TxnRequest {
  compare: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  succeeded: boolean;
  /** The store's revision after the txn (header.revision): a key the txn wrote has this mod_revision. */
  revision: string;
  /** What each op of the branch that ran read (kvs [] for a put or delete). */
  ranges: { kvs: KeyValue[]; more: boolean }[];
}

/** An error answer of the gateway: etcd's message and gRPC code. */
export class EtcdError extends Error {
  override readonly name = "EtcdError";
  constructor(
    message: string,
    readonly code: number | undefined,
    readonly status: number,
  ) {
    super(message);
  }
}

const INVALID_TOKEN = /invalid auth token|auth token is expired|revision of auth store is old/;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function toBase64(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(s)) return btoa(s);
  const bytes = encoder.encode(s);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(b: string | undefined): string {
  if (!b) return "";
  const binary = atob(b);
  if (!/[\x80-\xff]/.test(binary)) return binary;
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return decoder.decode(bytes);
}

/** The first key after every key that starts with `prefix` (its last byte plus one), for range_end. */
export function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  if (!(last < 0x7f)) throw new Error(`prefixEnd: prefix must end in ASCII below 0x7f: ${JSON.stringify(prefix)}`);
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

/** UTF-8 length of a string, without encoding it. */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

interface WireKV {
  key?: string;
  value?: string;
  mod_revision?: string;
  create_revision?: string;
}

const kvOf = (kv: WireKV): KeyValue => ({
  key: fromBase64(kv.key),
  value: fromBase64(kv.value),
  modRevision: kv.mod_revision ?? "0",
  createRevision: kv.create_revision ?? "0",
});

function compareJson(c: Compare): unknown {
  const key = toBase64(c.key);
  if ("value" in c) return { target: "VALUE", result: "EQUAL", key, value: toBase64(c.value) };
  if ("modRevision" in c) return { target: "MOD", result: "EQUAL", key, mod_revision: c.modRevision };
  return { target: "CREATE", result: "EQUAL", key, create_revision: c.createRevision };
}

function opJson(op: TxnOp): unknown {
  if ("put" in op) return { request_put: { key: toBase64(op.put), value: toBase64(op.value) } };
  if ("delete" in op) return { request_delete_range: { key: toBase64(op.delete) } };
  if ("deleteRange" in op) return { request_delete_range: { key: toBase64(op.deleteRange), range_end: toBase64(op.rangeEnd) } };
  const r: Record<string, unknown> = { key: toBase64(op.range) };
  if (op.rangeEnd !== undefined) r.range_end = toBase64(op.rangeEnd);
  if (op.limit !== undefined) r.limit = String(op.limit);
  if (op.keysOnly) r.keys_only = true;
  return { request_range: r };
}

/** Simple tokens by endpoint and credentials, shared by the stores of one isolate (plain strings only). */
const tokens = new Map<string, string>();

export class EtcdGateway {
  private readonly config: GatewayConfig;
  private readonly fetcher: typeof fetch;
  private readonly tokenKey: string;

  constructor(config: GatewayConfig, fetcher: typeof fetch = (input, init) => fetch(input, init)) {
    this.config = config;
    this.fetcher = fetcher;
    this.tokenKey = `${config.endpoint}\n${config.username ?? ""}\n${config.password ?? ""}`;
  }

  async range(r: RangeRequest, signal: AbortSignal): Promise<RangeResult> {
    const body: Record<string, unknown> = { key: toBase64(r.key) };
    if (r.rangeEnd !== undefined) body.range_end = toBase64(r.rangeEnd);
    if (r.limit !== undefined) body.limit = String(r.limit);
    if (r.revision !== undefined) body.revision = r.revision;
    if (r.keysOnly) body.keys_only = true;
    const out = (await this.request("/v3/kv/range", body, signal)) as { header?: { revision?: string }; kvs?: WireKV[]; more?: boolean };
    return { revision: revisionOf(out), kvs: (out.kvs ?? []).map(kvOf), more: out.more === true };
  }

  async txn(t: TxnRequest, signal: AbortSignal): Promise<TxnResult> {
    const body = { compare: t.compare.map(compareJson), success: t.success.map(opJson), failure: (t.failure ?? []).map(opJson) };
    const out = (await this.request("/v3/kv/txn", body, signal)) as {
      header?: { revision?: string };
      succeeded?: boolean;
      responses?: { response_range?: { kvs?: WireKV[]; more?: boolean } }[];
    };
    return {
      succeeded: out.succeeded === true, // proto3 JSON omits false
      revision: revisionOf(out),
      ranges: (out.responses ?? []).map((r) => ({ kvs: (r.response_range?.kvs ?? []).map(kvOf), more: r.response_range?.more === true })),
    };
  }

  /** POSTs one request to a gateway path, with the auth token if credentials are configured. */
  async request(path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const json = JSON.stringify(body);
    if (this.config.username === undefined) return this.send(path, json, undefined, signal);
    let token = tokens.get(this.tokenKey) ?? (await this.authenticate(signal));
    try {
      return await this.send(path, json, token, signal);
    } catch (e) {
      if (!(e instanceof EtcdError && INVALID_TOKEN.test(e.message))) throw e;
      if (tokens.get(this.tokenKey) === token) tokens.delete(this.tokenKey);
      token = await this.authenticate(signal);
      return this.send(path, json, token, signal);
    }
  }

  /** A fresh simple token ("" when the server has auth disabled: requests then go without one). */
  private async authenticate(signal: AbortSignal): Promise<string> {
    let token = "";
    try {
      const out = (await this.send(
        "/v3/auth/authenticate",
        JSON.stringify({ name: this.config.username, password: this.config.password }),
        undefined,
        signal,
      )) as { token?: string };
      token = out.token ?? "";
    } catch (e) {
      if (!(e instanceof EtcdError && /authentication is not enabled/.test(e.message))) throw e;
    }
    tokens.set(this.tokenKey, token);
    return token;
  }

  private async send(path: string, json: string, token: string | undefined, signal: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (token) headers.authorization = token;
    const res = await this.fetcher(`${this.config.endpoint}${path}`, { method: "POST", headers, body: json, signal });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EtcdError(`HTTP ${res.status} from ${path}, not JSON: ${text.slice(0, 200)}`, undefined, res.status);
    }
    if (!res.ok) {
      const err = parsed as { message?: string; error?: string; code?: number };
      let message = err.message ?? err.error ?? text.slice(0, 200);
      if (/user name is empty/.test(message) && token === undefined) {
        message += " (the server has auth enabled: set ETCD_USERNAME and ETCD_PASSWORD)";
      }
      throw new EtcdError(`HTTP ${res.status} from ${path}: ${message}`, err.code, res.status);
    }
    return parsed;
  }
}

function revisionOf(out: { header?: { revision?: string } }): string {
  const r = out.header?.revision;
  if (typeof r !== "string" || !/^\d+$/.test(r)) throw new StoreUnavailableError(`etcd answered without a header revision`);
  return r;
}
