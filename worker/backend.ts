// The service's backend on this Worker's Durable Objects (worker/namespaces.ts). With a store setting that
// is missing or malformed, every call fails with `internal` and a message naming the setting.
import type { Outcome } from "../src/server/outcome";
import type { IpamBackend } from "../src/service/backend";
import type { Env } from "./env";
import { createNamespace, deleteNamespace, listNamespaces, runCommand } from "./namespaces";
import { misconfiguredMessage, workerSettings } from "./store";

const cache = new WeakMap<Env, IpamBackend>();

function refusing(message: string): IpamBackend {
  const refuse = async (): Promise<Outcome<never>> => ({ ok: false, kind: "internal", message });
  return { runCommand: refuse, createNamespace: refuse, listNamespaces: refuse, deleteNamespace: refuse };
}

export function backendFor(env: Env): IpamBackend {
  let b = cache.get(env);
  if (!b) {
    const settings = workerSettings(env);
    b = settings.ok
      ? {
          runCommand: (ns, cmd, opts) => runCommand(env, ns, cmd, opts),
          createNamespace: (name, opts) => createNamespace(env, name, opts),
          listNamespaces: () => listNamespaces(env),
          deleteNamespace: (name, opts) => deleteNamespace(env, name, opts),
        }
      : refusing(misconfiguredMessage(settings.message));
    cache.set(env, b);
  }
  return b;
}
