// The namespace runner's settings from the Worker's vars: how many calls may wait per namespace.
import { DEFAULT_MAX_QUEUE } from "./namespace-runner";

export interface RunnerSettings {
  maxQueue: number;
}

export type RunnerSettingsResult = { ok: true; settings: RunnerSettings } | { ok: false; message: string };

export function runnerSettings(env: Partial<Record<string, unknown>>): RunnerSettingsResult {
  const raw = env.IPAM_MAX_QUEUE;
  if (raw === undefined || raw === null || raw === "") return { ok: true, settings: { maxQueue: DEFAULT_MAX_QUEUE } };
  const n = Number(raw);
  if (typeof raw !== "string" || !/^\d+$/.test(raw) || n < 1 || n > 100_000) {
    return {
      ok: false,
      message: `IPAM_MAX_QUEUE must be a whole number of calls from 1 to 100000 (default ${DEFAULT_MAX_QUEUE}); set it in wrangler.toml [vars] (locally: \`npm run dev -- --var IPAM_MAX_QUEUE:...\`)`,
    };
  }
  return { ok: true, settings: { maxQueue: n } };
}
