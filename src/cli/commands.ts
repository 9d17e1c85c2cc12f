// What each `ipam` command does: one RPC (backup restore also reads a file), and the lines to print.
import { readFile } from "node:fs/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { Reservation } from "../gen/api/v1/ipam_pb";
import { type FlagLists, parseLabel } from "./args";
import type { Flag } from "./spec";
import type { IpamClient } from "./client";
import * as out from "./format";

type Flags = Partial<Record<Flag, string>>;
type Run = (c: IpamClient, f: Flags, io: { stdin: () => Promise<string> }, lists: FlagLists) => Promise<string[]>;

/** A failure that is not an RPC error (bad file, empty answer); printed as is, exit code 1. */
export class CommandError extends Error {}

/** The namespace field of a request: absent unless --namespace was given. */
const ns = (f: Flags) => (f.namespace === undefined ? {} : { namespace: f.namespace });
const str = (f: Flags, flag: Flag) => f[flag] ?? "";
/** The --label flags as a map (checked by args.ts): labels to attach, or a selector to filter by. */
const labelMap = (l: FlagLists) => Object.fromEntries((l.label ?? []).map((text) => parseLabel(text)));
const labels = (l: FlagLists) => ({ labels: labelMap(l) });
const selector = (l: FlagLists) => ({ labelSelector: labelMap(l) });
const reserve = (f: Flags) => (f.reserve === "none" ? { reservation: Reservation.NONE } : {});

type Shown = { cidr: string; parentCidr: string; labels: Record<string, string>; reservation: Reservation };
const shown = (p: Shown) => out.prefixLine(p.cidr, p.parentCidr, p.labels, p.reservation === Reservation.NONE);
const RUNS: Record<string, Run> = {
  "prefix create": async (c, f, _io, l) => {
    const r = await c.createPrefix({ cidr: str(f, "cidr"), ...labels(l), ...reserve(f), ...ns(f) });
    return [out.prefixCreated(r.prefix?.cidr ?? "")];
  },
  "prefix acquire": async (c, f, _io, l) => {
    const req = { cidr: str(f, "parent"), length: Number(str(f, "length")), ...labels(l), ...reserve(f), ...ns(f) };
    if (f.count !== undefined) {
      const r = await c.acquireChildPrefixes({ ...req, count: Number(f.count) });
      return r.prefixes.map((p) => out.childCreated(p.cidr, p.parentCidr));
    }
    const r = await c.acquireChildPrefix(req);
    return [out.childCreated(r.prefix?.cidr ?? "", r.prefix?.parentCidr ?? "")];
  },
  "prefix release": async (c, f) => {
    const r = await c.releaseChildPrefix({ cidr: str(f, "cidr"), ...ns(f) });
    if (!r.prefix) throw new CommandError("result contains no prefix");
    return [out.childReleased(r.prefix.cidr, r.prefix.parentCidr)];
  },
  "prefix list": async (c, f, _io, l) => {
    const r = await c.listPrefixes({ ...selector(l), ...ns(f) });
    return r.prefixes.map(shown);
  },
  "prefix overlapping": async (c, f) => {
    const r = await c.listPrefixes({ overlappingCidr: str(f, "cidr"), ...ns(f) });
    return r.prefixes.map(shown);
  },
  "prefix get": async (c, f) => {
    const r = await c.getPrefix({ cidr: str(f, "cidr"), ...ns(f) });
    return [r.prefix ? shown(r.prefix) : out.prefixLine("", "")];
  },
  "prefix usage": async (c, f) => [out.usageLine(await c.prefixUsage({ cidr: str(f, "cidr"), ...ns(f) }))],
  "prefix delete": async (c, f) => {
    const r = await c.deletePrefix({ cidr: str(f, "cidr"), ...ns(f) });
    return [out.prefixDeleted(r.prefix?.cidr ?? "")];
  },
  "ip acquire": async (c, f, _io, l) => {
    if (f.count !== undefined) {
      const r = await c.acquireIPs({ prefixCidr: str(f, "prefix"), count: Number(f.count), ...labels(l), ...ns(f) });
      return r.ips.map((ip) => out.ipAcquired(ip.ip));
    }
    const r = await c.acquireIP({ prefixCidr: str(f, "prefix"), ...(f.ip === undefined ? {} : { ip: f.ip }), ...labels(l), ...ns(f) });
    return [out.ipAcquired(r.ip?.ip ?? "")];
  },
  "ip release": async (c, f, _io, l) => {
    const ips = l.ip ?? [];
    if (ips.length === 1) {
      const r = await c.releaseIP({ prefixCidr: str(f, "prefix"), ip: ips[0], ...ns(f) });
      return [out.ipReleased(r.ip?.ip ?? "")];
    }
    const r = await c.releaseIPs({ prefixCidr: str(f, "prefix"), ips, ...selector(l), ...ns(f) });
    return r.ips.map((ip) => out.ipReleased(ip.ip));
  },
  "ip list": async (c, f, _io, l) => {
    const lines: string[] = [];
    let pageToken = "";
    do {
      const r = await c.listIPs({ prefixCidr: str(f, "prefix"), ...selector(l), ...ns(f), pageSize: LIST_PAGE_SIZE, pageToken });
      const labelled = new Map(r.labelledIps.map((ip) => [ip.ip, ip.labels]));
      for (const ip of r.ips) lines.push(out.ipLine(ip, labelled.get(ip)));
      pageToken = r.nextPageToken;
    } while (pageToken !== "");
    return lines;
  },
  "backup create": async (c, f) => {
    if (f["page-size"] === undefined) {
      try {
        return [(await c.dump({ ...ns(f) })).dump];
      } catch (e) {
        // too big for one message: the same backup in pages, one per line
        if (!(e instanceof ConnectError && e.code === Code.ResourceExhausted && e.rawMessage.includes("one message may carry"))) throw e;
      }
    }
    const pages: string[] = [];
    let pageToken = "";
    do {
      const r = await c.dump({ ...ns(f), pageSize: Number(f["page-size"] ?? DUMP_PAGE_SIZE), pageToken });
      pages.push(r.dump);
      pageToken = r.nextPageToken;
    } while (pageToken !== "");
    return pages;
  },
  "backup restore": async (c, f, io) => {
    const file = str(f, "file");
    const parts = dumpParts(await readDump(file, io));
    const append = f.append === "true";
    for (const [i, dump] of parts.entries()) await c.load({ dump, ...ns(f), ...(append || i > 0 ? { append: true } : {}) });
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
  overlap: async (c, _f, _io, l) => {
    const r = await c.prefixesOverlapping({ existingPrefixes: l.existing ?? [], newPrefixes: l.new ?? [] });
    return [out.overlapLine(r.message)];
  },
};

/** ip list asks for pages of this many addresses. */
const LIST_PAGE_SIZE = 10_000;
/** backup create of a namespace too big for one message asks for pages of about this many records. */
const DUMP_PAGE_SIZE = 50_000;

/** A paged backup (one page of our format per line) as its pages; any other dump as one part. */
export function dumpParts(text: string): string[] {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length > 1 && lines.every((line) => line.startsWith('{"format":"edge-ipam/v1"'))) return lines;
  return [text];
}

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
