// The bit packing under packed chunks, against a plain array of bits.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FIELD_PADDING, bitsFor, moveBits, readField, writeField } from "../../src/core/bit-fields";

const WORDS = 12;
const BITS = (WORDS - FIELD_PADDING) * 32;

function bitsOf(words: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < words.length * 32; i++) out.push((words[i >>> 5] >>> (i & 31)) & 1);
  return out;
}

function valueOf(bits: number[], pos: number, width: number): number {
  let v = 0;
  for (let i = width - 1; i >= 0; i--) v = v * 2 + bits[pos + i];
  return v;
}

const field = fc.integer({ min: 0, max: 53 }).chain((width) =>
  fc.record({
    width: fc.constant(width),
    pos: fc.integer({ min: 0, max: BITS - width }),
    value: width === 0 ? fc.constant(0) : fc.bigInt(0n, (1n << BigInt(width)) - 1n).map(Number),
  }),
);

describe("bit fields", () => {
  it("bitsFor is the bit length of values up to 2^53", () => {
    for (const [v, n] of [[0, 0], [1, 1], [2, 2], [255, 8], [2 ** 31, 32], [2 ** 32 - 1, 32], [2 ** 32, 33], [2 ** 53 - 1, 53]])
      expect(bitsFor(v)).toBe(n);
  });

  it("writeField changes exactly its bits, readField reads back what was written", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(0xffffffff), { minLength: WORDS, maxLength: WORDS }), fc.array(field, { maxLength: 20 }), (init, fields) => {
        const words = Uint32Array.from(init);
        const model = bitsOf(words);
        for (const { width, pos, value } of fields) {
          writeField(words, pos, width, value);
          for (let i = 0; i < width; i++) model[pos + i] = Math.floor(value / 2 ** i) % 2;
          expect(bitsOf(words)).toEqual(model);
          expect(readField(words, pos, width)).toBe(value);
        }
        for (const { width, pos } of fields) expect(readField(words, pos, width)).toBe(valueOf(model, pos, width));
      }),
      { numRuns: 300 },
    );
  });

  it("moveBits moves a range up or down, overlapping or not, and leaves every other bit alone", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(0xffffffff), { minLength: WORDS, maxLength: WORDS }),
        fc.nat(BITS),
        fc.nat(BITS),
        fc.nat(BITS),
        (init, a, b, n) => {
          const length = Math.min(n, BITS - Math.max(a, b));
          const words = Uint32Array.from(init);
          const model = bitsOf(words);
          const moved = model.slice(a, a + length);
          for (let i = 0; i < length; i++) model[b + i] = moved[i];
          moveBits(words, a, b, length);
          expect(bitsOf(words)).toEqual(model);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
