// GET /health: readiness for load balancers and uptime checks, no token needed. It answers whether this
// Worker's settings are usable, whether it reaches its Durable Objects, and (with an external store) whether
// the store answers; nothing secret (no setting's value, no store error text). The result is cached in the
// isolate for a few seconds, so a flood of checks costs one round trip per interval.
import { STORE_KINDS } from "../src/storage/config";
import { withDeadline } from "../src/storage/failure";
import { DIRECTORY_NAME } from "./directory-object";
import type { Env } from "./env";
import { logNotice } from "./log";
import { workerSettings } from "./store";
import { VERSION } from "./version";

export const HEALTH_CACHE_MS = 5_000;
const CHECK_TIMEOUT_MS = 3_000;

export interface Health {
  status: "ok" | "unavailable" | "misconfigured";
  version: string;
  store: string;
  objects: boolean;
  storeReachable: boolean;
  /** For misconfigured: which setting is wrong and how to set it (never its value). */
  problem?: string;
}

let cached: { at: number; env: Env; health: Health } | undefined;

async function check(env: Env): Promise<Health> {
  const settings = workerSettings(env);
  if (!settings.ok) {
    const named = STORE_KINDS.find((k) => k === (env.IPAM_STORE || "durable-object")) ?? "unknown";
    return { status: "misconfigured", version: VERSION, store: named, objects: false, storeReachable: false, problem: settings.message };
  }
  const store = settings.config.kind;
  let objects = false;
  let storeReachable = false;
  try {
    const dir = env.DIRECTORY.get(env.DIRECTORY.idFromName(DIRECTORY_NAME));
    const answer = await withDeadline(CHECK_TIMEOUT_MS, "the directory object's ping", () => dir.ping());
    objects = true;
    storeReachable = answer.storeReachable;
  } catch (e) {
    logNotice("health: the directory object did not answer", { error: String((e as Error).message ?? e) });
  }
  return { status: objects && storeReachable ? "ok" : "unavailable", version: VERSION, store, objects, storeReachable };
}

export async function health(env: Env, now = Date.now()): Promise<Health> {
  if (cached && cached.env === env && now - cached.at < HEALTH_CACHE_MS) return cached.health;
  const h = await check(env);
  cached = { at: now, env, health: h };
  return h;
}

export function healthResponse(h: Health): Response {
  return Response.json(h, { status: h.status === "ok" ? 200 : 503, headers: { "cache-control": "no-store" } });
}
