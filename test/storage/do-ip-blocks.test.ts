// The DO SQLite block codec (src/storage/do-ip-blocks.ts): 16-byte keys that sort as the addresses do,
// gaps as varints decoded back exactly (as bigints, and as double offsets below 2^53), at the edges of an
// IPv4 /8 and an IPv6 /64, and how many members go into each block.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_BLOCK_BYTES,
  addressBytes,
  blockStarts,
  bytesAddress,
  decodeMembers,
  decodeOffsets,
  encodeGaps,
  encodeOffsetGaps,
  offsetsFitOneBlock,
} from "../../src/storage/do-ip-blocks";
import { parseAddr } from "../../src/net";

const v = (ip: string) => parseAddr(ip).value;
const sortBig = (xs: bigint[]) => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const compareBytes = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
};

function roundTrip(members: bigint[]) {
  const data = encodeGaps(members, 0, members.length);
  expect(decodeMembers(members[0], members.length, data)).toEqual(members);
  const offsets = decodeOffsets(members.length, data);
  const expected = members.map((m) => m - members[0]);
  if (offsets instanceof Float64Array) {
    expect(expected[expected.length - 1] < 2n ** 53n).toBe(true);
    expect([...offsets].map(BigInt)).toEqual(expected);
  } else {
    expect(expected[expected.length - 1] >= 2n ** 53n).toBe(true);
    expect(offsets).toEqual(expected);
  }
  return data;
}

describe("ip block codec", () => {
  it("keys are 16 bytes big-endian and sort as the addresses do", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), (a, b) => {
        const ka = addressBytes(a);
        expect(ka.length).toBe(16);
        expect(bytesAddress(ka)).toBe(a);
        expect(bytesAddress(ka.buffer as ArrayBuffer)).toBe(a);
        expect(Math.sign(compareBytes(ka, addressBytes(b)))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    expect([...addressBytes(v("10.0.0.1"))]).toEqual([...Array(12).fill(0), 10, 0, 0, 1]);
  });

  it("round-trips any sorted members, IPv4 and IPv6", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 32n - 1n }), { minLength: 1, maxLength: 300 }), (xs) => void roundTrip(sortBig(xs))),
    );
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), { minLength: 1, maxLength: 100 }), (xs) => void roundTrip(sortBig(xs))),
    );
    const base = v("2001:db8::");
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: 1, maxLength: 300 }), (xs) => void roundTrip(sortBig(xs.map((x) => base + x)))),
    );
  });

  it("keeps the first and last address of an IPv4 /8 and of an IPv6 /64", () => {
    const data = roundTrip([v("10.0.0.0"), v("10.0.0.1"), v("10.128.0.0"), v("10.255.255.254"), v("10.255.255.255")]);
    expect(data.length).toBeLessThan(12);
    roundTrip([v("10.0.0.0"), v("10.255.255.255")]);
    roundTrip([v("2001:db8::"), v("2001:db8::1"), v("2001:db8::ffff:ffff:ffff:fffe"), v("2001:db8::ffff:ffff:ffff:ffff")]);
    roundTrip([v("::"), v("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]);
    roundTrip([v("255.255.255.255")]);
  });

  it("decodes offsets as doubles up to just below 2^53, as bigints from 2^53 and at 2^64", () => {
    const base = v("2001:db8::");
    expect(decodeOffsets(2, encodeGaps([base, base + 2n ** 53n - 1n], 0, 2))).toEqual(new Float64Array([0, 2 ** 53 - 1]));
    expect(decodeOffsets(2, encodeGaps([base, base + 2n ** 53n], 0, 2))).toEqual([0n, 2n ** 53n]);
    expect(decodeOffsets(3, encodeGaps([base, base + 1n, base + 2n ** 64n - 1n], 0, 3))).toEqual([0n, 1n, 2n ** 64n - 1n]);
    // gaps that add up past 2^53, none of them alone that large
    const steps = [0n, 2n ** 52n, 2n ** 53n - 1n, 2n ** 53n + 1n];
    expect(decodeOffsets(4, encodeGaps(steps.map((s) => base + s), 0, 4))).toEqual(steps);
    roundTrip([0n, 2n ** 64n, 2n ** 64n + 1n]);
  });

  it("a block of one member has no data; a slice encodes only its own members", () => {
    expect(encodeGaps([v("10.0.0.5")], 0, 1).length).toBe(0);
    expect(decodeOffsets(1, new Uint8Array(0))).toEqual(new Float64Array([0]));
    const members = [1n, 3n, 6n, 10n, 15n];
    expect(decodeMembers(6n, 3, encodeGaps(members, 2, 5))).toEqual([6n, 10n, 15n]);
  });

  it("refuses data that does not match its count", () => {
    const data = encodeGaps([1n, 2n, 300n], 0, 3);
    expect(() => decodeMembers(1n, 4, data)).toThrow(/malformed/);
    expect(() => decodeOffsets(2, data)).toThrow(/malformed/);
    expect(() => decodeOffsets(4, data)).toThrow(/malformed/);
  });

  it("cuts members into as few blocks as keep within MAX_BLOCK_BYTES of gaps, about equal", () => {
    const run = (n: number, step: bigint, from = 0n) => Array.from({ length: n }, (_, i) => from + BigInt(i) * step);
    const sizes = (members: bigint[]) => {
      const starts = blockStarts(members);
      return starts.map((s, b) => (b + 1 < starts.length ? starts[b + 1] : members.length) - s);
    };
    expect(MAX_BLOCK_BYTES).toBe(800);
    expect(blockStarts([])).toEqual([]);
    expect(sizes(run(1, 1n))).toEqual([1]);
    // one byte a gap: 801 members fill a block
    expect(sizes(run(MAX_BLOCK_BYTES + 1, 2n))).toEqual([MAX_BLOCK_BYTES + 1]);
    expect(sizes(run(MAX_BLOCK_BYTES + 2, 2n))).toEqual([401, 401]);
    // six bytes a gap (scattered over a /64): ~133 members a block
    const wideSizes = sizes(run(2000, 2n ** 40n + 12345n));
    expect(wideSizes.length).toBe(Math.ceil((1999 * 6) / MAX_BLOCK_BYTES));
    expect(Math.max(...wideSizes) - Math.min(...wideSizes)).toBeLessThanOrEqual(1);
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 2n ** 70n }), { minLength: 1, maxLength: 3000 }), (gaps) => {
        const members: bigint[] = [];
        let at = 0n;
        for (const g of gaps) members.push((at += g));
        const starts = blockStarts(members);
        expect(starts[0]).toBe(0);
        let bytes = 0;
        for (let i = 1; i < members.length; i++) bytes += encodeGaps(members, i - 1, i + 1).length;
        for (let b = 0; b < starts.length; b++) {
          const from = starts[b];
          const to = b + 1 < starts.length ? starts[b + 1] : members.length;
          expect(to).toBeGreaterThan(from);
          expect(encodeGaps(members, from, to).length).toBeLessThanOrEqual(MAX_BLOCK_BYTES);
        }
        // as few as fit, give or take one for the balancing
        expect(starts.length).toBeLessThanOrEqual(Math.ceil(bytes / MAX_BLOCK_BYTES) + 1);
      }),
      { numRuns: 40 },
    );
  });
});

describe("ip block codec in doubles (edits in place)", () => {
  it("encodes offsets as encodeGaps encodes the members, and knows when they fit one block", () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 1n, max: 2n ** 46n }), { minLength: 1, maxLength: 300 }), (gaps) => {
        const members = [5n];
        for (const g of gaps) members.push(members[members.length - 1] + g);
        if (members[members.length - 1] - members[0] >= 2n ** 53n) return;
        const offsets = members.map((m) => Number(m - members[0]));
        expect(encodeOffsetGaps(offsets, 0, offsets.length)).toEqual(encodeGaps(members, 0, members.length));
        expect(offsetsFitOneBlock(offsets)).toBe(blockStarts(members).length === 1);
      }),
    );
    const dense = Array.from({ length: MAX_BLOCK_BYTES + 2 }, (_, i) => i);
    expect(offsetsFitOneBlock(dense.slice(0, MAX_BLOCK_BYTES + 1))).toBe(true);
    expect(offsetsFitOneBlock(dense)).toBe(false);
    const wide = Array.from({ length: 135 }, (_, i) => i * 2 ** 40);
    expect(offsetsFitOneBlock(wide)).toBe(false); // 134 gaps of 6 bytes
    expect(offsetsFitOneBlock(wide.slice(0, 134))).toBe(true);
  });
});
