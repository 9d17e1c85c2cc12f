import { describe, expect, it } from "vitest";
import { NetParseError, bitLen, formatAddr, parseAddr } from "../../src/net/index.js";
import { goQuote } from "../../src/net/quote.js";
import { invalidAddrs, validAddrs } from "./vectors.js";

function parseError(s: string): NetParseError {
  try {
    parseAddr(s);
  } catch (e) {
    expect(e).toBeInstanceOf(NetParseError);
    return e as NetParseError;
  }
  throw new Error(`parseAddr(${JSON.stringify(s)}) did not throw`);
}

describe("parseAddr: valid inputs (Go ParseAddr + String)", () => {
  it.each(validAddrs)("%j", (input, family, value, zone, str) => {
    const a = parseAddr(input);
    expect(a).toEqual({ family, value, zone });
    expect(formatAddr(a.family, a.value, a.zone)).toBe(str);
    // Printing then parsing again is the identity.
    expect(parseAddr(str)).toEqual(a);
  });
});

describe("parseAddr: invalid inputs throw NetParseError with Go's message", () => {
  it.each(invalidAddrs)("%j", (input, message) => {
    const e = parseError(input);
    expect(e.message).toBe(message);
    expect(e.input).toBe(input);
    expect(e.name).toBe("NetParseError");
    expect(e.message).toContain(goQuote(input));
  });
});

describe("parseAddr: messages named in the brief and the reference (§2.1)", () => {
  it.each([
    ["1.2.3.04", 'ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero'],
    ["2001:0db8:85a3:::", 'ParseAddr("2001:0db8:85a3:::"): each colon-separated field must have at least one digit (at ":")'],
    ["x", 'ParseAddr("x"): unable to parse IP'],
    ["", 'ParseAddr(""): unable to parse IP'],
    ["1.2.3.256", 'ParseAddr("1.2.3.256"): IPv4 field has value >255'],
    ["1.2.3", 'ParseAddr("1.2.3"): IPv4 address too short'],
    ["1.2.3.4.5", 'ParseAddr("1.2.3.4.5"): IPv4 address too long'],
    ["1..2.3", 'ParseAddr("1..2.3"): IPv4 field must have at least one digit (at ".2.3")'],
    ["1.2.3.a", 'ParseAddr("1.2.3.a"): unexpected character (at "a")'],
    ["fe80::1%", 'ParseAddr("fe80::1%"): zone must be a non-empty string'],
    ["::1.2.3", 'ParseAddr("::1.2.3"): IPv4 address too short'],
  ])("%j", (input, message) => {
    expect(parseError(input).message).toBe(message);
  });

  it("quotes the input the way Go's strconv.Quote does", () => {
    expect(parseError('1.2.3.4"').message).toBe('ParseAddr("1.2.3.4\\""): unexpected character (at "\\"")');
    expect(parseError("1.2.3.\n").message).toBe('ParseAddr("1.2.3.\\n"): unexpected character (at "\\n")');
    expect(parseError("\u00a0").message).toBe('ParseAddr("\\u00a0"): unable to parse IP');
    expect(parseError("é").message).toBe('ParseAddr("é"): unable to parse IP');
  });
});

describe("parseAddr: families", () => {
  it("IPv4-mapped IPv6 is IPv6, not equal to the IPv4 address", () => {
    const mapped = parseAddr("::ffff:10.0.0.1");
    const v4 = parseAddr("10.0.0.1");
    expect(mapped.family).toBe(6);
    expect(v4.family).toBe(4);
    expect(mapped.value).toBe(0xffff0a000001n);
    expect(v4.value).toBe(0x0a000001n);
  });

  it("keeps the zone verbatim, including further '%' and '/'", () => {
    expect(parseAddr("fe80::1%eth0").zone).toBe("eth0");
    expect(parseAddr("fe80::1%a%b/c").zone).toBe("a%b/c");
    expect(parseAddr("1.2.3.4").zone).toBe("");
  });

  it("bitLen", () => {
    expect(bitLen(4)).toBe(32);
    expect(bitLen(6)).toBe(128);
  });
});

describe("formatAddr (Go Addr.String, RFC 5952)", () => {
  const v6 = (s: string) => parseAddr(s).value;
  it.each([
    // longest run of zero groups is compressed
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    // leftmost on ties
    ["2001:db8:0:0:1:0:0:2", "2001:db8::1:0:0:2"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    // a single zero group is not compressed
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    // leading zeros dropped, lowercase
    ["2001:0DB8:000A:00B0:0C00:D000:0000:0001", "2001:db8:a:b0:c00:d000:0:1"],
    // runs at either end
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["0:0:1:0:0:0:0:0", "0:0:1::"],
    ["0:0:0:1:0:0:0:0", "0:0:0:1::"],
    ["0:0:0:0:1:0:0:0", "::1:0:0:0"],
    // IPv4-mapped
    ["::ffff:c000:0280", "::ffff:192.0.2.128"],
    ["0:0:0:0:0:ffff:ffff:ffff", "::ffff:255.255.255.255"],
    // not IPv4-mapped: hex
    ["::fffe:c000:0280", "::fffe:c000:280"],
    ["::1:ffff:c000:0280", "::1:ffff:c000:280"],
    ["::c000:0280", "::c000:280"],
  ])("%s -> %s", (input, want) => {
    expect(formatAddr(6, v6(input))).toBe(want);
  });

  it("IPv4 dotted decimal", () => {
    expect(formatAddr(4, 0n)).toBe("0.0.0.0");
    expect(formatAddr(4, 0xffffffffn)).toBe("255.255.255.255");
    expect(formatAddr(4, 0x0a000102n)).toBe("10.0.1.2");
    expect(formatAddr(4, 0xc0a86401n)).toBe("192.168.100.1");
  });

  it("appends the zone to IPv6 (mapped too), never to IPv4", () => {
    expect(formatAddr(6, 1n, "eth0")).toBe("::1%eth0");
    expect(formatAddr(6, 0xffff01020304n, "en0")).toBe("::ffff:1.2.3.4%en0");
    expect(formatAddr(6, 1n, "")).toBe("::1");
    expect(formatAddr(4, 1n, "eth0")).toBe("0.0.0.1");
  });

  it("rejects values outside the family's range with RangeError", () => {
    expect(() => formatAddr(4, -1n)).toThrow(RangeError);
    expect(() => formatAddr(4, 1n << 32n)).toThrow(RangeError);
    expect(() => formatAddr(6, -1n)).toThrow(RangeError);
    expect(() => formatAddr(6, 1n << 128n)).toThrow(RangeError);
    expect(() => formatAddr(5 as never, 1n)).toThrow(RangeError);
    expect(formatAddr(6, (1n << 128n) - 1n)).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  });

  it("canonicalises the reference's examples (§2.1)", () => {
    expect(formatAddr(6, v6("2001:0db8::0a"))).toBe("2001:db8::a");
    expect(formatAddr(6, v6("2001:0db8:85a3::1"))).toBe("2001:db8:85a3::1");
  });
});
