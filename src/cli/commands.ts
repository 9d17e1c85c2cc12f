// What each `ipam` command does: one RPC (backup restore also reads a file), and the lines to print.
import { readFile } from "node:fs/promises";
import type { Flag } from "./spec";
import type { IpamClient } from "./client";
import * as out from "./format";

type Flags = Partial<Record<Flag, string>>;
type Run = (c: IpamClient, f: Flags, io: { stdin: () => Promise<string> }) => Promise<string[]>;

/** A failure that is not an RPC error (bad file, empty answer); printed as is, exit code 1. */
export class CommandError extends Error {}

/** The namespace field of a request: absent unless --namespace was given. */
const ns = (f: Flags) => (f.namespace === undefined ? {} : { namespace: f.namespace });
const str = (f: Flags, flag: Flag) => f[flag] ?? "";

const RUNS: Record<string, Run> = {
  "prefix create": async (c, f) => {
    const r = await c.createPrefix({ cidr: str(f, "cidr"), ...ns(f) });
    return [out.prefixCreated(r.prefix?.cidr ?? "")];
  },
  "prefix acquire": async (c, f) => {
    const r = await c.acquireChildPrefix({ cidr: str(f, "parent"), length: Number(str(f, "length")), ...ns(f) });
    return [out.childCreated(r.prefix?.cidr ?? "", r.prefix?.parentCidr ?? "")];
  },
  "prefix release": async (c, f) => {
    const r = await c.releaseChildPrefix({ cidr: str(f, "cidr"), ...ns(f) });
    if (!r.prefix) throw new CommandError("result contains no prefix");
    return [out.childReleased(r.prefix.cidr, r.prefix.parentCidr)];
  },
  "prefix list": async (c, f) => {
    const r = await c.listPrefixes({ ...ns(f) });
    return r.prefixes.map((p) => out.prefixLine(p.cidr, p.parentCidr));
  },
  "prefix get": async (c, f) => {
    const r = await c.getPrefix({ cidr: str(f, "cidr"), ...ns(f) });
    return [out.prefixLine(r.prefix?.cidr ?? "", r.prefix?.parentCidr ?? "")];
  },
  "prefix usage": async (c, f) => [out.usageLine(await c.prefixUsage({ cidr: str(f, "cidr"), ...ns(f) }))],
  "prefix delete": async (c, f) => {
    const r = await c.deletePrefix({ cidr: str(f, "cidr"), ...ns(f) });
    return [out.prefixDeleted(r.prefix?.cidr ?? "")];
  },
  "ip acquire": async (c, f) => {
    const r = await c.acquireIP({ prefixCidr: str(f, "prefix"), ...(f.ip === undefined ? {} : { ip: f.ip }), ...ns(f) });
    return [out.ipAcquired(r.ip?.ip ?? "")];
  },
  "ip release": async (c, f) => {
    const r = await c.releaseIP({ prefixCidr: str(f, "prefix"), ip: str(f, "ip"), ...ns(f) });
    return [out.ipReleased(r.ip?.ip ?? "")];
  },
  "ip list": async (c, f) => {
    const r = await c.listIPs({ prefixCidr: str(f, "prefix"), ...ns(f) });
    return r.ips.map(out.ipLine);
  },
  "backup create": async (c, f) => [(await c.dump({ ...ns(f) })).dump],
  "backup restore": async (c, f, io) => {
    const file = str(f, "file");
    const dump = await readDump(file, io);
    await c.load({ dump, ...ns(f) });
    return [out.databaseRestored()];
  },
  "namespace create": async (c, f) => {
    await c.createNamespace({ namespace: str(f, "name") });
    return [out.namespaceCreated(str(f, "name"))];
  },
  "namespace list": async (c) => (await c.listNamespaces({})).namespace.map(out.namespaceLine),
  "namespace delete": async (c, f) => {
    await c.deleteNamespace({ namespace: str(f, "name") });
    return [out.namespaceDeleted(str(f, "name"))];
  },
  version: async (c) => [out.versionLine(await c.version({}))],
};

async function readDump(file: string, io: { stdin: () => Promise<string> }): Promise<string> {
  if (file === "-") return io.stdin();
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason = err.code === "ENOENT" ? "no such file or directory" : err.code === "EISDIR" ? "is a directory" : (err.message ?? String(e));
    throw new CommandError(`open ${file}: ${reason}`);
  }
}

export function runnerFor(title: string): Run {
  const run = RUNS[title];
  if (!run) throw new Error(`no runner for "${title}"`);
  return run;
}
