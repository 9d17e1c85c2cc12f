import { describe, expect, it } from "vitest";
import {
  NetParseError,
  containsAddr,
  containsPrefix,
  formatAddr,
  formatPrefix,
  maskPrefix,
  parseAddr,
  parsePrefix,
  prefixFirst,
  prefixLast,
  prefixSize,
  prefixesOverlap,
  type Prefix,
} from "../../src/net/index.js";
import { goQuote } from "../../src/net/quote.js";
import { invalidPrefixes, validPrefixes } from "./vectors.js";

const P = parsePrefix;
const A = parseAddr;

function parseError(s: string): NetParseError {
  try {
    parsePrefix(s);
  } catch (e) {
    expect(e).toBeInstanceOf(NetParseError);
    return e as NetParseError;
  }
  throw new Error(`parsePrefix(${JSON.stringify(s)}) did not throw`);
}

describe("parsePrefix: valid inputs (Go ParsePrefix + String)", () => {
  it.each(validPrefixes)("%j", (input, family, addr, bits, str) => {
    const p = parsePrefix(input);
    expect(p).toEqual({ family, addr, bits });
    expect(formatPrefix(p)).toBe(str);
    expect(parsePrefix(str)).toEqual(p);
  });
});

describe("parsePrefix: invalid inputs throw NetParseError with Go's message", () => {
  it.each(invalidPrefixes)("%j", (input, message) => {
    const e = parseError(input);
    expect(e.message).toBe(message);
    expect(e.input).toBe(input);
    expect(e.message).toContain(goQuote(input));
  });
});

describe("parsePrefix: messages named in the brief and the reference (§2.1, §2.2, §5.2)", () => {
  it.each([
    ["192.168.0.0/33", 'netip.ParsePrefix("192.168.0.0/33"): prefix length out of range'],
    ["10.0.0.0", "netip.ParsePrefix(\"10.0.0.0\"): no '/'"],
    ["", "netip.ParsePrefix(\"\"): no '/'"],
    ["garbage", "netip.ParsePrefix(\"garbage\"): no '/'"],
    ["bad", "netip.ParsePrefix(\"bad\"): no '/'"],
    ["10.0.0.0/08", 'netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"'],
    ["10.0.0.0/+8", 'netip.ParsePrefix("10.0.0.0/+8"): bad bits after slash: "+8"'],
    ["10.0.0.0/-1", 'netip.ParsePrefix("10.0.0.0/-1"): bad bits after slash: "-1"'],
    ["fe80::1%eth0/64", 'netip.ParsePrefix("fe80::1%eth0/64"): IPv6 zones cannot be present in a prefix'],
    ["1.2.3.04/24", 'netip.ParsePrefix("1.2.3.04/24"): ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero'],
    [
      "2001:0db8:85a3:::/64",
      'netip.ParsePrefix("2001:0db8:85a3:::/64"): ParseAddr("2001:0db8:85a3:::"): each colon-separated field must have at least one digit (at ":")',
    ],
    ["x/8", 'netip.ParsePrefix("x/8"): ParseAddr("x"): unable to parse IP'],
    ["::/129", 'netip.ParsePrefix("::/129"): prefix length out of range'],
  ])("%j", (input, message) => {
    expect(parseError(input).message).toBe(message);
  });

  it("an address error inside a prefix does not leak into a later parseAddr", () => {
    expect(parseError("bad/24").message).toBe('netip.ParsePrefix("bad/24"): ParseAddr("bad"): unable to parse IP');
    expect(() => parseAddr("bad")).toThrow(new NetParseError("bad", 'ParseAddr("bad"): unable to parse IP'));
    try {
      parseAddr("bad");
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as NetParseError).input).toBe("bad");
      expect((e as NetParseError).message).toBe('ParseAddr("bad"): unable to parse IP');
    }
  });

  it("accepts /0 and the full length, splits at the last '/'", () => {
    expect(P("10.0.0.0/0")).toEqual({ family: 4, addr: 0x0a000000n, bits: 0 });
    expect(P("10.0.0.0/32").bits).toBe(32);
    expect(P("::/128").bits).toBe(128);
    expect(parseError("10.0.0.0/8/8").message).toContain('ParseAddr("10.0.0.0/8")');
  });

  it("does not mask, and an IPv4-mapped prefix is IPv6", () => {
    expect(P("192.169.0.1/24").addr).toBe(0xc0a90001n);
    expect(P("::ffff:10.0.0.0/104").family).toBe(6);
    expect(formatPrefix(P("::ffff:c000:0280/96"))).toBe("::ffff:192.0.2.128/96");
  });
});

describe("maskPrefix (Go Prefix.Masked)", () => {
  it.each([
    // Go netip_test TestPrefixMasked / TestPrefixMasking
    ["192.168.0.255/24", "192.168.0.0/24"],
    ["2100::/3", "2000::/3"],
    ["192.0.2.0/16", "192.0.0.0/16"],
    ["255.255.255.255/20", "255.255.240.0/20"],
    ["100.98.156.66/10", "100.64.0.0/10"],
    ["2001:db8::1/32", "2001:db8::/32"],
    ["fe80::dead:beef:dead:beef/96", "fe80::dead:beef:0:0/96"],
    ["aaaa::/4", "a000::/4"],
    ["::/63", "::/63"],
    // reference §2.1, §2.3
    ["192.169.0.1/24", "192.169.0.0/24"],
    ["192.167.10.0/16", "192.167.0.0/16"],
    ["2001:0db8:85a4::2/120", "2001:db8:85a4::/120"],
    ["10.2.0.0/8", "10.0.0.0/8"],
    ["10.0.0.77/24", "10.0.0.0/24"],
    ["10.0.3.7/29", "10.0.3.0/29"],
    ["10.0.0.5/24", "10.0.0.0/24"],
    ["1.2.3.4/0", "0.0.0.0/0"],
    ["1.2.3.4/32", "1.2.3.4/32"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/0", "::/0"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/127", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127"],
    ["::ffff:10.9.0.7/126", "::ffff:10.9.0.4/126"],
  ])("%s -> %s", (input, want) => {
    const m = maskPrefix(P(input));
    expect(formatPrefix(m)).toBe(want);
    expect(maskPrefix(m)).toEqual(m);
  });
});

describe("prefixFirst / prefixLast / prefixSize", () => {
  it.each([
    // reference §2.3 small-prefix table and others
    ["10.0.0.0/30", "10.0.0.0", "10.0.0.3", 4n],
    ["10.0.1.0/31", "10.0.1.0", "10.0.1.1", 2n],
    ["10.0.2.0/32", "10.0.2.0", "10.0.2.0", 1n],
    ["2001:db8::/126", "2001:db8::", "2001:db8::3", 4n],
    ["2001:db8:1::/127", "2001:db8:1::", "2001:db8:1::1", 2n],
    ["2001:db8:2::/128", "2001:db8:2::", "2001:db8:2::", 1n],
    ["10.0.3.7/29", "10.0.3.0", "10.0.3.7", 8n],
    ["::ffff:10.9.0.0/126", "::ffff:10.9.0.0", "::ffff:10.9.0.3", 4n],
    ["0.0.0.0/0", "0.0.0.0", "255.255.255.255", 1n << 32n],
    ["4.1.0.0/24", "4.1.0.0", "4.1.0.255", 256n],
    ["3.1.0.0/26", "3.1.0.0", "3.1.0.63", 64n],
    ["2001:0db8:85a3::/120", "2001:db8:85a3::", "2001:db8:85a3::ff", 256n],
    ["2001:0db8:95a3::/122", "2001:db8:95a3::", "2001:db8:95a3::3f", 64n],
    ["::/0", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1n << 128n],
    ["192.168.0.0/20", "192.168.0.0", "192.168.15.255", 4096n],
  ])("%s", (cidr, first, last, size) => {
    const p = P(cidr);
    expect(formatAddr(p.family, prefixFirst(p))).toBe(first);
    expect(formatAddr(p.family, prefixLast(p))).toBe(last);
    expect(prefixSize(p.bits, p.family)).toBe(size);
    expect(prefixLast(p) - prefixFirst(p) + 1n).toBe(size);
  });

  it("prefixSize covers every length and rejects others", () => {
    for (let b = 0; b <= 32; b++) expect(prefixSize(b, 4)).toBe(1n << BigInt(32 - b));
    for (let b = 0; b <= 128; b++) expect(prefixSize(b, 6)).toBe(1n << BigInt(128 - b));
    expect(() => prefixSize(33, 4)).toThrow(RangeError);
    expect(() => prefixSize(-1, 6)).toThrow(RangeError);
    expect(() => prefixSize(129, 6)).toThrow(RangeError);
    expect(() => prefixSize(1.5, 4)).toThrow(RangeError);
  });
});

describe("containsAddr (Go Prefix.Contains)", () => {
  // Go netip_test TestPrefix
  it.each([
    ["192.168.0.0/24", ["192.168.0.1", "192.168.0.55"], ["192.168.1.1", "1.1.1.1"]],
    ["192.168.1.1/32", ["192.168.1.1"], ["192.168.1.2"]],
    [
      "100.64.0.0/10",
      ["100.64.0.0", "100.64.0.1", "100.81.251.94", "100.100.100.100", "100.127.255.254", "100.127.255.255"],
      ["100.63.255.255", "100.128.0.0"],
    ],
    ["2001:db8::/96", ["2001:db8::aaaa:bbbb", "2001:db8::1"], ["2001:db8::1:aaaa:bbbb", "2001:db9::"]],
    ["0.0.0.0/0", ["192.168.0.1", "1.1.1.1"], ["2001:db8::1", "::ffff:1.1.1.1"]],
    ["::/0", ["::1", "2001:db8::1", "::ffff:1.1.1.1"], ["192.0.2.1"]],
    ["2000::/3", ["2001:db8::1"], ["fe80::1"]],
    // reference §2.3 / §5.2
    ["10.0.0.0/24", ["10.0.0.0", "10.0.0.255"], ["::ffff:10.0.0.5", "10.0.1.0"]],
    ["10.0.0.9/24", ["10.0.0.9", "10.0.0.1"], ["10.0.1.9"]],
    ["fe80::/64", ["fe80::1", "fe80::ffff:ffff:ffff:ffff"], ["fe80::1%eth0", "fe80:0:0:1::"]],
    ["::ffff:10.0.0.0/104", ["::ffff:10.1.2.3"], ["10.1.2.3", "::ffff:11.0.0.0"]],
  ] as [string, string[], string[]][])("%s", (cidr, yes, no) => {
    const p = P(cidr);
    for (const a of yes) expect(containsAddr(p, A(a)), a).toBe(true);
    for (const a of no) expect(containsAddr(p, A(a)), a).toBe(false);
  });
});

describe("containsPrefix", () => {
  it.each([
    ["10.0.0.0/8", "10.1.0.0/16", true],
    ["10.0.0.0/8", "10.0.0.0/8", true],
    ["10.0.0.0/8", "10.255.255.255/32", true],
    ["10.0.0.0/16", "10.0.0.0/8", false],
    ["10.0.0.0/8", "11.0.0.0/16", false],
    ["10.1.2.3/8", "10.200.0.0/16", true], // host bits of the outer are ignored
    ["10.0.0.0/24", "10.0.0.128/25", true],
    ["10.0.0.0/25", "10.0.0.128/25", false],
    ["0.0.0.0/0", "255.255.255.255/32", true],
    ["0.0.0.0/0", "::/0", false],
    ["::/0", "::ffff:10.0.0.0/104", true],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8", false],
    ["10.0.0.0/8", "::ffff:10.0.0.0/104", false],
    ["2001:db8::/32", "2001:db8:85a3::/48", true],
    ["2001:db8:85a3::/48", "2001:db8::/32", false],
  ])("%s contains %s: %s", (outer, inner, want) => {
    expect(containsPrefix(P(outer), P(inner))).toBe(want);
  });
});

describe("prefixesOverlap (Go Prefix.Overlaps)", () => {
  it.each([
    // Go netip_test TestPrefixOverlaps (valid prefixes)
    ["::0/3", "0.0.0.0/3", false],
    ["1.2.0.0/16", "1.2.0.0/16", true],
    ["1.2.0.0/16", "1.2.3.0/24", true],
    ["1.2.0.0/16", "1.2.3.0/32", true],
    ["1.2.3.0/32", "0.0.0.0/0", true],
    ["1.2.3.0/32", "5.5.5.5/0", true],
    ["5::1/128", "5::0/8", true],
    ["1::1/128", "2::2/128", false],
    ["0100::0/8", "::1/128", false],
    ["::ffff:1.2.0.0/16", "1.2.3.0/24", false],
    ["::ffff:1.2.0.0/112", "1.2.3.0/24", false],
    // reference §2.9
    ["192.168.0.0/24", "192.168.1.0/24", false],
    ["2001:0db8:85a3::/126", "2001:0db8:85a4::/126", false],
    ["2001:0db8:85a4::/126", "2001:0db8:85a4::/126", true],
    ["192.168.1.0/24", "192.168.1.0/24", true],
    ["192.168.0.0/24", "192.168.0.0/23", true],
    ["192.168.1.0/24", "192.168.0.0/23", true],
    ["192.168.0.0/23", "192.168.3.0/24", false],
    ["192.168.2.0/23", "192.168.3.0/24", true],
    ["192.168.128.0/25", "192.168.128.0/27", true],
    ["10.0.0.0/24", "10.0.0.0/16", true],
    ["10.0.0.0/8", "10.0.0.0/16", true],
    ["::ffff:10.0.0.0/104", "10.0.0.0/8", false],
    ["0.0.0.0/0", "::/0", false],
    // host bits ignored
    ["10.0.0.77/24", "10.0.0.0/25", true],
    ["10.0.1.77/24", "10.0.0.0/24", false],
  ])("%s / %s: %s", (a, b, want) => {
    expect(prefixesOverlap(P(a), P(b))).toBe(want);
    expect(prefixesOverlap(P(b), P(a))).toBe(want);
  });
});

describe("invalid Prefix values are a programming error (RangeError)", () => {
  const bad: Prefix[] = [
    { family: 4, addr: 0n, bits: 33 },
    { family: 6, addr: 0n, bits: -1 },
    { family: 6, addr: 0n, bits: 129 },
    { family: 4, addr: 0n, bits: 8.5 },
    { family: 7 as never, addr: 0n, bits: 8 },
  ];
  it.each(bad)("%o", (p) => {
    const ok = P("10.0.0.0/8");
    expect(() => formatPrefix(p)).toThrow(RangeError);
    expect(() => maskPrefix(p)).toThrow(RangeError);
    expect(() => prefixFirst(p)).toThrow(RangeError);
    expect(() => prefixLast(p)).toThrow(RangeError);
    expect(() => containsAddr(p, A("10.0.0.1"))).toThrow(RangeError);
    expect(() => containsPrefix(p, ok)).toThrow(RangeError);
    expect(() => containsPrefix(ok, p)).toThrow(RangeError);
    expect(() => prefixesOverlap(p, ok)).toThrow(RangeError);
  });
  it("rejects an address value out of range when printing", () => {
    expect(() => formatPrefix({ family: 4, addr: 1n << 32n, bits: 8 })).toThrow(RangeError);
  });
});
