// The namespace runner's settings from the Worker's vars: how many calls may wait per namespace, and how long
// and how many idempotency entries are kept.
import { DEFAULT_IDEMPOTENCY, type IdempotencySettings } from "./idempotency";
import { DEFAULT_MAX_QUEUE } from "./namespace-runner";

export interface RunnerSettings {
  maxQueue: number;
  idempotency: IdempotencySettings;
}

export type RunnerSettingsResult = { ok: true; settings: RunnerSettings } | { ok: false; message: string };

class Problem extends Error {}

function whole(env: Partial<Record<string, unknown>>, name: string, min: number, max: number, dflt: number, what: string): number {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === "") return dflt;
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || n < min || n > max) {
    throw new Problem(
      `${name} must be a whole number of ${what} from ${min} to ${max} (default ${dflt}); set it in wrangler.toml [vars] (locally: \`npm run dev -- --var ${name}:...\`)`,
    );
  }
  return n;
}

export function runnerSettings(env: Partial<Record<string, unknown>>): RunnerSettingsResult {
  try {
    return {
      ok: true,
      settings: {
        maxQueue: whole(env, "IPAM_MAX_QUEUE", 1, 100_000, DEFAULT_MAX_QUEUE, "calls"),
        idempotency: {
          retentionMs: whole(env, "IPAM_IDEMPOTENCY_TTL_SECONDS", 1, 30 * 86_400, DEFAULT_IDEMPOTENCY.retentionMs / 1000, "seconds") * 1000,
          maxKeys: whole(env, "IPAM_IDEMPOTENCY_MAX_KEYS", 1, 1_000_000, DEFAULT_IDEMPOTENCY.maxKeys, "keys per namespace"),
        },
      },
    };
  } catch (e) {
    if (e instanceof Problem) return { ok: false, message: e.message };
    throw e;
  }
}
