// Commands arrive from the wire, from Durable Object RPC or from library callers; each field is checked as it
// is read, so a wrong type is an invalid_input naming the field, never a TypeError.
import { IpamError, describe } from "./errors";

const invalid = (message: string) => new IpamError("invalid_input", `invalid command: ${message}`);

export function commandObject(cmd: unknown): Record<string, unknown> {
  if (typeof cmd !== "object" || cmd === null) throw invalid("a command must be an object");
  return cmd as Record<string, unknown>;
}

export function str(name: string, value: unknown): string {
  if (typeof value !== "string") throw invalid(`${name} must be a string, got ${describe(value)}`);
  return value;
}

export function optionalStr(name: string, value: unknown): string | undefined {
  return value === undefined ? undefined : str(name, value);
}

export function length(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw invalid(`${name} must be an integer from 0 to 4294967295, got ${describe(value)}`);
  return value;
}

export const unknownOp = (op: unknown) => invalid(`unknown op ${describe(op)}`);

/** Most addresses or child prefixes one bulk command acquires or lists for release. */
export const MAX_BULK = 4096;

/** A bulk command's count: an integer from 1 to MAX_BULK. */
export function bulkCount(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_BULK)
    throw new IpamError("invalid_input", `count must be from 1 to ${MAX_BULK}, got ${describe(value)}`);
  return value;
}

/** A bulk command's list of strings: 1 to MAX_BULK of them. */
export function bulkList(name: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw invalid(`${name} must be an array of strings, got ${describe(value)}`);
  if (value.length < 1 || value.length > MAX_BULK)
    throw new IpamError("invalid_input", `${name} must list 1 to ${MAX_BULK} entries, got ${value.length}`);
  value.forEach((v, i) => str(`${name}[${i}]`, v));
  return value as string[];
}

export function optionalReservation(value: unknown): "default" | "none" | undefined {
  if (value === undefined || value === "default" || value === "none") return value;
  throw new IpamError("invalid_input", `reservation must be "default" or "none", got ${describe(value)}`);
}

/** Most addresses one page of ListIPs or Dump holds. */
export const MAX_PAGE_SIZE = 100_000;

/** A page size: an integer from 1 to MAX_PAGE_SIZE. */
export function pageSize(value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_PAGE_SIZE)
    throw new IpamError("invalid_input", `page_size must be from 1 to ${MAX_PAGE_SIZE}, got ${describe(value)}`);
  return value;
}

/** A page size, or undefined for an unpaged call. */
export const optionalPageSize = (value: unknown): number | undefined => (value === undefined ? undefined : pageSize(value));

export function optionalBool(name: string, value: unknown): boolean {
  if (value === undefined || typeof value === "boolean") return value === true;
  throw invalid(`${name} must be a boolean, got ${describe(value)}`);
}
