// The service's backend on this Worker's Durable Objects (worker/namespaces.ts).
import type { IpamBackend } from "../src/service/backend";
import type { Env } from "./env";
import { createNamespace, deleteNamespace, listNamespaces, runCommand } from "./namespaces";

const cache = new WeakMap<Env, IpamBackend>();

export function backendFor(env: Env): IpamBackend {
  let b = cache.get(env);
  if (!b) {
    b = {
      runCommand: (ns, cmd, opts) => runCommand(env, ns, cmd, opts),
      createNamespace: (name, opts) => createNamespace(env, name, opts),
      listNamespaces: () => listNamespaces(env),
      deleteNamespace: (name, opts) => deleteNamespace(env, name, opts),
    };
    cache.set(env, b);
  }
  return b;
}
