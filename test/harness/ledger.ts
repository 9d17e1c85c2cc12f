// What the store fault and two-writer tests keep of the addresses handed out (used inside workerd and from
// Node alike: plain TypeScript and vitest's expect).
import { expect } from "vitest";

/** Collects addresses handed out; fails on the first one handed out twice. */
export class Ledger {
  readonly held = new Set<string>();
  readonly codes: Record<string, number> = {};
  take(ip: string): void {
    expect(this.held.has(ip), `${ip} handed out twice`).toBe(false);
    this.held.add(ip);
  }
  count(code: string): void {
    this.codes[code] = (this.codes[code] ?? 0) + 1;
  }
}

/** The two addresses an IPv4 prefix reserves (its first and last), as text. */
export function reservedOf(prefix: string): string[] {
  const base = prefix.split("/")[0].split(".").map(Number);
  const size = 2 ** (32 - Number(prefix.split("/")[1]));
  const last = (base[0] << 24) + (base[1] << 16) + (base[2] << 8) + base[3] + size - 1;
  return [base.join("."), [last >>> 24, (last >> 16) & 255, (last >> 8) & 255, last & 255].join(".")];
}
