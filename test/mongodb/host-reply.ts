// What the test-only store host (worker/store-host.ts) answers for a Store call, as JSON.
export type HostReply =
  | { ok: true; value: unknown }
  | {
      ok: false;
      name: string;
      message: string;
      fencing?: { namespace: string; expectedVersion: number; actual: { exists: boolean; version: number } };
    };
