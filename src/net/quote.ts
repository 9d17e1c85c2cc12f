// Go's strconv.Quote, used only to build error texts (never on a hot path).
//
// Go strings are bytes; ours are UTF-16. A JS string is read code point by code point; a lone surrogate
// (which has no UTF-8 form) is treated as U+FFFD, which is what it becomes when the string is UTF-8 encoded
// on its way to a Go program. Printability follows Go's strconv.IsPrint: letters, marks, numbers,
// punctuation, symbols and the ASCII space (categories L, M, N, P, S). The Unicode tables are the JS
// engine's, so characters assigned in a Unicode version newer than Go's may be judged differently.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** strconv.Quote(s): a double-quoted Go string literal with Go's escapes. */
export function goQuote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    // Fast path for printable ASCII other than the quote and the backslash.
    if (c >= 0x20 && c < 0x7f) {
      if (c === 0x22 || c === 0x5c) out += "\\";
      out += s[i];
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else {
        c = 0xfffd;
      }
    } else if (c >= 0xd800 && c <= 0xdfff) {
      c = 0xfffd;
    }
    const ch = String.fromCodePoint(c);
    if (c >= 0x80 && PRINTABLE.test(ch)) {
      out += ch;
      continue;
    }
    switch (c) {
      case 0x07: out += "\\a"; break;
      case 0x08: out += "\\b"; break;
      case 0x0c: out += "\\f"; break;
      case 0x0a: out += "\\n"; break;
      case 0x0d: out += "\\r"; break;
      case 0x09: out += "\\t"; break;
      case 0x0b: out += "\\v"; break;
      default:
        if (c < 0x20 || c === 0x7f) out += "\\x" + hex(c, 2);
        else if (c < 0x10000) out += "\\u" + hex(c, 4);
        else out += "\\U" + hex(c, 8);
    }
  }
  return out + '"';
}
