// The namespace runner wired to the IPAM core: what every host of a namespace (the Durable Object, a test,
// a future non-DO host) uses, whatever the store.

import { isIpamError, namespaceNotEmpty, namespaceNotFound } from "../core/errors";
import { DEFAULT_NAMESPACE } from "../core/names";
import { Namespace } from "../core/namespace";
import type { Command, ResultOf } from "../core/types";
import type { NamespaceState, Store } from "../storage/types";
import type { IdempotencySettings } from "./idempotency";
import { type CallLimits, NamespaceRunner } from "./namespace-runner";
import type { Logger } from "./outcome";

export type IpamRunner = NamespaceRunner<Namespace>;

export function createIpamRunner(
  namespace: string,
  store: Store,
  log?: Logger,
  opts: { maxQueue?: number; idempotency?: IdempotencySettings } = {},
): IpamRunner {
  return new NamespaceRunner<Namespace>({
    ...opts,
    namespace,
    store,
    rebuild: (records) => Namespace.fromRecords(records),
    missing: namespaceNotFound,
    isDomainError: isIpamError,
    existsByDefault: namespace === DEFAULT_NAMESPACE,
    log,
  });
}

/** Runs one core command through the runner (group-committed with its neighbours). */
export function execute<C extends Command>(runner: IpamRunner, cmd: C, limits?: CallLimits): Promise<ResultOf<C>> {
  return runner.run((ns) => ns.apply(cmd), limits);
}

/** Deletes the namespace if it holds no prefixes (go-ipam: root included). */
export function deleteIfEmpty(runner: IpamRunner, limits?: CallLimits): Promise<NamespaceState> {
  return runner.deleteNamespace((ns) => (ns.isEmpty ? undefined : namespaceNotEmpty(runner.namespace)), limits);
}
