import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  NetParseError,
  formatAddr,
  formatPrefix,
  maskPrefix,
  parseAddr,
  parsePrefix,
  containsAddr,
  prefixFirst,
  prefixLast,
} from "../../src/net/index.js";
import { goQuote } from "../../src/net/quote.js";

/** Parses or throws NetParseError naming the input; never anything else. */
function tryParse<T>(parse: (s: string) => T, s: string): T | NetParseError {
  try {
    return parse(s);
  } catch (e) {
    if (!(e instanceof NetParseError)) throw new Error(`non-NetParseError for ${JSON.stringify(s)}: ${String(e)}`);
    expect(e.input).toBe(s);
    expect(e.message).toContain(goQuote(s));
    return e;
  }
}

const alphabet = fc.constantFrom(..."0123456789abcdef:./%".split(""));
const tokens = fc.constantFrom(
  ..."0123456789abcdefABCDEF:./%".split(""),
  "::", ":", "ffff", "0", "00", "255", "256", "1.2.3.4", "%eth0", "/", "/24", "/0", "/128", "/08", "::ffff:", "-", "+", " ",
);
const soup = fc.oneof(
  fc.string({ unit: alphabet, maxLength: 24 }),
  fc.array(tokens, { maxLength: 16 }).map((t) => t.join("")),
  fc.string({ maxLength: 24 }),
  fc.string({ unit: "binary", maxLength: 16 }),
);

describe("fuzz: parseAddr", () => {
  it("parses or throws NetParseError; a result prints and re-parses to itself", () => {
    fc.assert(
      fc.property(soup, (s) => {
        const r = tryParse(parseAddr, s);
        if (r instanceof NetParseError) return;
        expect(r.value >= 0n && r.value < (r.family === 4 ? 1n << 32n : 1n << 128n)).toBe(true);
        const str = formatAddr(r.family, r.value, r.zone);
        expect(parseAddr(str)).toEqual(r);
        expect(formatAddr(r.family, r.value, r.zone)).toBe(str);
      }),
      { numRuns: 20000 },
    );
  });

  it("error messages over the alphabet 0-9a-f:./% contain the input verbatim", () => {
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 24 }), (s) => {
        const r = tryParse(parseAddr, s);
        if (r instanceof NetParseError) expect(r.message.startsWith(`ParseAddr("${s}"): `)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("fuzz: parsePrefix", () => {
  it("parses or throws NetParseError; a result prints and re-parses to itself", () => {
    fc.assert(
      fc.property(soup, (s) => {
        const r = tryParse(parsePrefix, s);
        if (r instanceof NetParseError) {
          expect(r.message.startsWith("netip.ParsePrefix(")).toBe(true);
          return;
        }
        const str = formatPrefix(r);
        expect(parsePrefix(str)).toEqual(r);
        const m = maskPrefix(r);
        expect(prefixFirst(m)).toBe(m.addr);
        expect(prefixFirst(r) <= prefixLast(r)).toBe(true);
      }),
      { numRuns: 20000 },
    );
  });

  it("address/length pairs built from valid addresses", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt(0n, 0xffffffffn).map((v) => formatAddr(4, v)),
          fc.bigInt(0n, (1n << 128n) - 1n).map((v) => formatAddr(6, v)),
        ),
        fc.oneof(fc.integer({ min: 0, max: 140 }).map(String), fc.string({ unit: alphabet, maxLength: 4 })),
        (a, bits) => {
          const s = `${a}/${bits}`;
          const r = tryParse(parsePrefix, s);
          if (r instanceof NetParseError) return;
          expect(formatPrefix(r)).toBe(`${a}/${r.bits}`);
          expect(containsAddr(r, parseAddr(a))).toBe(true);
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe("fuzz: printing and parsing are inverse", () => {
  it("IPv4: any octets print as dotted decimal and parse back; a leading zero is refused", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }), fc.nat(3), (o, i) => {
        const value = BigInt(((o[0] * 256 + o[1]) * 256 + o[2]) * 256 + o[3]);
        const s = o.join(".");
        expect(formatAddr(4, value)).toBe(s);
        expect(parseAddr(s)).toEqual({ family: 4, value, zone: "" });
        const padded = o.map((x, j) => (j === i ? "0" + x : String(x))).join(".");
        expect(() => parseAddr(padded)).toThrow(/IPv4 field has octet with leading zero$/);
      }),
      { numRuns: 3000 },
    );
  });

  it("IPv6: canonical and fully expanded forms (any case, any zone) parse to the same value", () => {
    const zone = fc.oneof(fc.constant(""), fc.string({ minLength: 1, maxLength: 6 }));
    const groupsOf = (v: bigint) => Array.from({ length: 8 }, (_, i) => Number((v >> BigInt(112 - 16 * i)) & 0xffffn));
    const value = fc.oneof(
      fc.bigInt(0n, (1n << 128n) - 1n),
      // many zero groups, to exercise "::" placement
      fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0xabc), { minLength: 8, maxLength: 8 }).map((g) =>
        g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n),
      ),
    );
    fc.assert(
      fc.property(value, zone, fc.boolean(), (v, z, upper) => {
        const canon = formatAddr(6, v, z);
        expect(parseAddr(canon)).toEqual({ family: 6, value: v, zone: z });
        const g = groupsOf(v);
        let full = g.map((x) => x.toString(16).padStart(4, "0")).join(":");
        if (upper) full = full.toUpperCase();
        expect(parseAddr(full + (z ? "%" + z : ""))).toEqual({ family: 6, value: v, zone: z });
        // RFC 5952: lowercase, no leading zeros, at most one "::", never for a single zero group
        const addrPart = canon.split("%")[0];
        expect(addrPart).toBe(addrPart.toLowerCase());
        expect(addrPart.split("::").length).toBeLessThanOrEqual(2);
        if (!addrPart.startsWith("::ffff:") || addrPart.indexOf(".") < 0) {
          for (const f of addrPart.split(":")) if (f.length > 1) expect(f[0]).not.toBe("0");
        }
      }),
      { numRuns: 3000 },
    );
  });
});
