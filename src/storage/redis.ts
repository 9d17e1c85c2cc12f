// The Store over Redis or KeyDB through the Upstash REST API (@upstash/redis). Every operation on a namespace
// is one Lua script, so it is atomic and fenced on the namespace's version inside Redis itself; a batch too big
// for one request is first staged in a list (several requests) and then applied by one script. Layout,
// limits and durability settings: docs/storage.md ("Redis").
//
//   ipam:namespaces          SET   names of the namespaces that exist (the directory)
//   ipam:meta:<ns>           HASH  present (1/0), version
//   ipam:prefixes:<ns>       HASH  <cidr> -> {"parentCidr":...,<extras>}
//   ipam:ips:<ns>            HASH  "<prefix> <ip>" -> "" or <extras JSON>
//   ipam:records:<ns>        HASH  "<kind> <key>" -> <extras JSON> (the extra kinds: idempotency entries, ...)
//   ipam:stage:<id>:<ns>     LIST  a big batch being staged (expires after STAGE_TTL_SECONDS)

import { Redis } from "@upstash/redis/cloudflare";
import type { IpamRecord } from "../core/types";
import { secretsOf, type StoreConfig } from "./config";
import { storeFailure, withDeadline } from "./failure";
import { collapseChanges, extraId, extraRecord, ipRecord, recordExtras, recordKey, splitExtraId, splitIpKey } from "./records";
import {
  FencingError,
  type NamespaceSnapshot,
  type NamespaceState,
  type Store,
  type StoreCounters,
  type StoredChange,
  type StoredRecord,
} from "./types";

type RedisConfig = Extract<StoreConfig, { kind: "redis" }>;

export const DIRECTORY_KEY = "ipam:namespaces";
export const keysOf = (ns: string) => ({
  meta: `ipam:meta:${ns}`,
  prefixes: `ipam:prefixes:${ns}`,
  ips: `ipam:ips:${ns}`,
  records: `ipam:records:${ns}`,
});
/** The namespace's keys in the order the scripts take them: meta, prefixes, ips, records. */
const namespaceKeys = (ns: string) => {
  const k = keysOf(ns);
  return [k.meta, k.prefixes, k.ips, k.records];
};

/** Upstash's documented request limit is 10 MB; batches above this many bytes of operations are staged. */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
const STAGE_TTL_SECONDS = 600;

// Operations travel as one string each: a tag, the field, and for a put "\n" and the value.
//   P<cidr>\n<value>          put prefix      p<cidr>          delete prefix
//   I<prefix ip>\n<value>     put address     i<prefix ip>     delete address
//   X<kind key>\n<value>      put extra       x<kind key>      delete extra
// KEYS[2..4] are the prefixes, ips and records hashes.
const APPLY_OPS = `
local hashes = { P = KEYS[2], p = KEYS[2], I = KEYS[3], i = KEYS[3], X = KEYS[4], x = KEYS[4] }
local function apply(op)
  local t = string.sub(op, 1, 1)
  if t == 'P' or t == 'I' or t == 'X' then
    local nl = string.find(op, '\\n', 2, true)
    redis.call('HSET', hashes[t], string.sub(op, 2, nl - 1), string.sub(op, nl + 1))
  else
    redis.call('HDEL', hashes[t], string.sub(op, 2))
  end
end`;

// KEYS: meta, prefixes, ips, records. ARGV: expected version, ops...
const COMMIT = `${APPLY_OPS}
local m = redis.call('HMGET', KEYS[1], 'present', 'version')
if m[1] ~= '1' or m[2] ~= ARGV[1] then return {0, m[1] or '0', m[2] or '0'} end
for i = 2, #ARGV do apply(ARGV[i]) end
return {1, redis.call('HINCRBY', KEYS[1], 'version', 1)}`;

// KEYS: meta, prefixes, ips, records, stage. ARGV: expected version, number of staged ops.
const COMMIT_STAGED = `${APPLY_OPS}
local m = redis.call('HMGET', KEYS[1], 'present', 'version')
if m[1] ~= '1' or m[2] ~= ARGV[1] then
  redis.call('DEL', KEYS[5])
  return {0, m[1] or '0', m[2] or '0'}
end
local n = redis.call('LLEN', KEYS[5])
if n ~= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[5])
  return redis.error_reply('staged batch incomplete: ' .. n .. ' of ' .. ARGV[2] .. ' operations')
end
for from = 0, n - 1, 1000 do
  local ops = redis.call('LRANGE', KEYS[5], from, from + 999)
  for i = 1, #ops do apply(ops[i]) end
end
redis.call('DEL', KEYS[5])
return {1, redis.call('HINCRBY', KEYS[1], 'version', 1)}`;

// KEYS: meta, prefixes, ips, records.
const LOAD = `
local m = redis.call('HMGET', KEYS[1], 'present', 'version')
if m[1] ~= '1' then return {m[1] or '0', m[2] or '0'} end
return {'1', m[2], redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]), redis.call('HGETALL', KEYS[4])}`;

// KEYS: meta, prefixes, ips, records, directory. ARGV: name.
const CREATE = `
local m = redis.call('HMGET', KEYS[1], 'present', 'version')
local v = tonumber(m[2] or '0')
if m[1] == '1' then return {0, v} end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
v = v + 1
redis.call('HSET', KEYS[1], 'present', '1', 'version', v)
redis.call('SADD', KEYS[5], ARGV[1])
return {1, v}`;

// KEYS: meta, prefixes, ips, records, directory. ARGV: name, expected version.
const DELETE = `
local m = redis.call('HMGET', KEYS[1], 'present', 'version')
if m[1] ~= '1' or m[2] ~= ARGV[2] then return {0, m[1] or '0', m[2] or '0'} end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[1], 'present', '0')
return {1, redis.call('HINCRBY', KEYS[1], 'version', 1)}`;

function encodeOps(changes: readonly StoredChange[]): string[] {
  const c = collapseChanges(changes);
  const ops: string[] = [];
  for (const r of c.prefixPuts) ops.push(`P${r.cidr}\n${prefixValue(r)}`);
  for (const r of c.ipPuts) ops.push(`I${recordKey(r)}\n${recordExtras(r) ?? ""}`);
  for (const r of c.extraPuts) ops.push(`X${extraId(r)}\n${recordExtras(r) ?? ""}`);
  for (const r of c.prefixDeletes) ops.push(`p${r.cidr}`);
  for (const r of c.ipDeletes) ops.push(`i${recordKey(r)}`);
  for (const r of c.extraDeletes) ops.push(`x${extraId(r)}`);
  return ops;
}

function prefixValue(r: IpamRecord & { kind: "prefix" }): string {
  const extras = recordExtras(r);
  const parent = JSON.stringify({ parentCidr: r.parentCidr });
  return extras === null ? parent : `${parent.slice(0, -1)},${extras.slice(1)}`;
}

function* decodeRecords(prefixes: string[], ips: string[], extras: string[]): IterableIterator<StoredRecord> {
  for (let i = 0; i < prefixes.length; i += 2) {
    const value = JSON.parse(prefixes[i + 1]) as { parentCidr: string };
    yield { ...value, kind: "prefix", cidr: prefixes[i] };
  }
  for (let i = 0; i < ips.length; i += 2) {
    const { prefix, ip } = splitIpKey(ips[i]);
    yield ipRecord(prefix, ip, ips[i + 1]);
  }
  for (let i = 0; i < extras.length; i += 2) {
    const { kind, key } = splitExtraId(extras[i]);
    yield extraRecord(kind, key, extras[i + 1]);
  }
}

const fenced = (ns: string, expected: number, present: unknown, version: unknown) =>
  new FencingError(ns, expected, { exists: String(present) === "1", version: Number(version) });

export interface RedisStoreOptions {
  /** Batches whose operations exceed this many bytes are staged over several requests (default 4 MiB). */
  maxRequestBytes?: number;
}

// KEYS: directory.
const LIST = `return redis.call('SMEMBERS', KEYS[1])`;

const SCRIPTS = { commit: COMMIT, commitStaged: COMMIT_STAGED, load: LOAD, create: CREATE, delete: DELETE, list: LIST };
type ScriptName = keyof typeof SCRIPTS;

async function sha1(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class UpstashRedisStore implements Store {
  readonly backend = "redis";
  readonly counters: StoreCounters = { commits: 0, changes: 0 };
  private readonly config: RedisConfig;
  private readonly secrets: string[];
  private readonly maxRequestBytes: number;
  private shas: Promise<Record<ScriptName, string>> | undefined;

  constructor(config: RedisConfig, opts: RedisStoreOptions = {}) {
    this.config = config;
    this.secrets = secretsOf(config);
    this.maxRequestBytes = opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  }

  async load(namespace: string): Promise<NamespaceSnapshot> {
    const r = (await this.call("load", (redis) => this.script(redis, "load", namespaceKeys(namespace), []))) as [
      string,
      string,
      string[]?,
      string[]?,
      string[]?,
    ];
    const version = Number(r[1] ?? 0);
    if (String(r[0]) !== "1") return { exists: false, version, records: [] };
    return { exists: true, version, records: decodeRecords(r[2] ?? [], r[3] ?? [], r[4] ?? []) };
  }

  async commit(namespace: string, expectedVersion: number, changes: readonly StoredChange[]): Promise<number> {
    const ops = encodeOps(changes);
    let bytes = 0;
    for (const op of ops) bytes += op.length + 4;
    const r =
      bytes <= this.maxRequestBytes
        ? await this.call("commit", (redis) =>
            this.script(redis, "commit", namespaceKeys(namespace), [String(expectedVersion), ...ops]),
          )
        : await this.commitStaged(namespace, expectedVersion, ops);
    const [ok, a, b] = r as [number, unknown, unknown];
    if (ok !== 1) throw fenced(namespace, expectedVersion, a, b);
    this.counters.commits++;
    this.counters.changes += changes.length;
    return Number(a);
  }

  /** Pushes the operations into a fresh list in requests under the size limit, then applies them in one script. */
  private async commitStaged(namespace: string, expectedVersion: number, ops: string[]): Promise<unknown> {
    const stage = `ipam:stage:${crypto.randomUUID()}:${namespace}`;
    for (let from = 0; from < ops.length; ) {
      let to = from;
      let bytes = 0;
      while (to < ops.length && (to === from || bytes + ops[to].length + 4 <= this.maxRequestBytes)) bytes += ops[to++].length + 4;
      const chunk = ops.slice(from, to);
      await this.call("stage a batch", (redis) => redis.pipeline().rpush(stage, ...chunk).expire(stage, STAGE_TTL_SECONDS).exec());
      from = to;
    }
    return this.call("commit", (redis) =>
      this.script(redis, "commitStaged", [...namespaceKeys(namespace), stage], [String(expectedVersion), String(ops.length)]),
    );
  }

  async createNamespace(namespace: string): Promise<NamespaceState & { created: boolean }> {
    const [created, version] = (await this.call("create namespace", (redis) =>
      this.script(redis, "create", [...namespaceKeys(namespace), DIRECTORY_KEY], [namespace]),
    )) as [number, number];
    return { exists: true, version: Number(version), created: created === 1 };
  }

  async deleteNamespace(namespace: string, expectedVersion: number): Promise<number> {
    const [ok, a, b] = (await this.call("delete namespace", (redis) =>
      this.script(redis, "delete", [...namespaceKeys(namespace), DIRECTORY_KEY], [namespace, String(expectedVersion)]),
    )) as [number, unknown, unknown];
    if (ok !== 1) throw fenced(namespace, expectedVersion, a, b);
    return Number(a);
  }

  async listNamespaces(): Promise<string[]> {
    // A script, like every other call, so a replicated database answers it from the primary.
    const names = (await this.call("list namespaces", (redis) => this.script(redis, "list", [DIRECTORY_KEY], []))) as unknown[];
    return names.map(String).sort();
  }

  async ping(): Promise<void> {
    await this.call("ping", (redis) => redis.ping());
  }

  /** EVALSHA, falling back to EVAL the first time a server has not seen the script. */
  private async script(redis: Redis, name: ScriptName, keys: string[], args: string[]): Promise<unknown> {
    this.shas ??= (async () => {
      const out = {} as Record<ScriptName, string>;
      for (const n of Object.keys(SCRIPTS) as ScriptName[]) out[n] = await sha1(SCRIPTS[n]);
      return out;
    })();
    const sha = (await this.shas)[name];
    try {
      return await redis.evalsha(sha, keys, args);
    } catch (e) {
      if (!String((e as Error)?.message).includes("NOSCRIPT")) throw e;
      return redis.eval(SCRIPTS[name], keys, args);
    }
  }

  /**
   * One round trip under the store's deadline. Each call gets its own client bound to the call's abort signal
   * (the client is a few microseconds to make), so nothing, not even a timer, outlives the call.
   */
  private async call<T>(what: string, f: (redis: Redis) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.config.timeoutMs, `redis ${what}`, (signal) =>
        f(
          new Redis({
            url: this.config.url,
            token: this.config.token,
            retry: false, // a retried write could apply twice; the runner reloads and decides instead
            automaticDeserialization: false,
            responseEncoding: false,
            enableTelemetry: false,
            enableAutoPipelining: false, // one command per request: nothing to batch within a call
            readYourWrites: false,
            signal: () => signal,
          }),
        ),
      );
    } catch (e) {
      throw storeFailure(this.backend, what, withoutCommand(e), this.secrets);
    }
  }
}

/** @upstash/redis appends the whole command (every operation of a batch) to its errors: keep the error. */
function withoutCommand(e: unknown): unknown {
  if (!(e instanceof Error)) return e;
  const at = e.message.indexOf(", command was: ");
  if (at < 0) return e;
  const short = new Error(e.message.slice(0, at));
  short.name = e.name;
  return short;
}
