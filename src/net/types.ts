// Addresses and prefixes as plain values. Address values are unsigned integers held in a bigint:
// 0 .. 2^32-1 for IPv4, 0 .. 2^128-1 for IPv6. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is IPv6.

export type Family = 4 | 6;

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
  /** IPv6 zone (the part after %), "" when absent. Only ParseAddr accepts zones; prefixes never have one. */
  readonly zone: string;
}

export interface Prefix {
  readonly family: Family;
  /** The address as written, host bits included (mask with maskPrefix). */
  readonly addr: bigint;
  readonly bits: number;
}
