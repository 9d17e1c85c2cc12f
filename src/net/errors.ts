import { goQuote } from "./quote.js";

/**
 * A malformed address or prefix. `message` is Go's net/netip error text, byte for byte (Go 1.26), e.g.
 * `ParseAddr("1.2.3.04"): IPv4 field has octet with leading zero` or
 * `netip.ParsePrefix("10.0.0.0/08"): bad bits after slash: "08"`. `input` is the string that was given to
 * parseAddr / parsePrefix.
 */
export class NetParseError extends Error {
  override readonly name = "NetParseError";
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
  }
}

/** Go's parseAddrError.Error(): `ParseAddr("<in>"): <msg>[ (at "<at>")]`. */
export function addrErrorText(input: string, msg: string, at: string): string {
  const head = "ParseAddr(" + goQuote(input) + "): " + msg;
  return at === "" ? head : head + " (at " + goQuote(at) + ")";
}

/** Go's parsePrefixError.Error(): `netip.ParsePrefix("<in>"): <msg>`. */
export function prefixErrorText(input: string, msg: string): string {
  return "netip.ParsePrefix(" + goQuote(input) + "): " + msg;
}
