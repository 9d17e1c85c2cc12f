// Commands arrive from the wire, from Durable Object RPC or from library callers; the core checks their shape
// before touching any state so that a wrong type is an invalid_input naming the field, never a TypeError.
import { IpamError, describe } from "./errors";
import type { Command } from "./types";

type FieldKind = "string" | "optional string" | "length";

const FIELDS: Record<Command["op"], Record<string, FieldKind>> = {
  createPrefix: { cidr: "string" },
  deletePrefix: { cidr: "string" },
  getPrefix: { cidr: "string" },
  listPrefixes: {},
  prefixUsage: { cidr: "string" },
  acquireChildPrefix: { cidr: "string", length: "length", childCidr: "optional string" },
  releaseChildPrefix: { cidr: "string" },
  acquireIP: { prefixCidr: "string", ip: "optional string" },
  releaseIP: { prefixCidr: "string", ip: "string" },
  listIPs: { prefixCidr: "string" },
  dump: {},
  load: { dump: "string" },
  exportGoIpam: {},
  importGoIpam: { dump: "string" },
};

const FIELD_LISTS = new Map(Object.entries(FIELDS).map(([op, fields]) => [op, Object.entries(fields)]));

const invalid = (message: string) => new IpamError("invalid_input", `invalid command: ${message}`);

export function checkCommand(cmd: unknown): asserts cmd is Command {
  if (typeof cmd !== "object" || cmd === null) throw invalid("a command must be an object");
  const c = cmd as Record<string, unknown>;
  const fields = typeof c.op === "string" ? FIELD_LISTS.get(c.op) : undefined;
  if (fields === undefined) throw invalid(`unknown op ${describe(c.op)}`);
  for (const [name, kind] of fields) {
    const value = c[name];
    if (kind === "optional string" && value === undefined) continue;
    if (kind === "length") {
      if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
        throw invalid(`${name} must be an integer from 0 to 4294967295, got ${describe(value)}`);
    } else if (typeof value !== "string") throw invalid(`${name} must be a string, got ${describe(value)}`);
  }
}
