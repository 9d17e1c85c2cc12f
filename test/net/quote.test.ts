import { describe, expect, it } from "vitest";
import { goQuote } from "../../src/net/quote.js";

// Expected strings produced by Go's strconv.Quote.
describe("goQuote (Go strconv.Quote)", () => {
  it.each([
    ["", '""'],
    ["abc", '"abc"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ["\u0000\u0007\b\f\n\r\t\u000b\u001b\u007f", '"\\x00\\a\\b\\f\\n\\r\\t\\v\\x1b\\x7f"'],
    ["é日本", '"é日本"'],
    ["\u00a0\u00ad\u0080\u2028\ufeff", '"\\u00a0\\u00ad\\u0080\\u2028\\ufeff"'],
    ["😀", '"😀"'],
    ["\u{e0001}", '"\\U000e0001"'],
    ["\u{f0000}", '"\\U000f0000"'],
    ["\ufffd", '"\ufffd"'],
    // a lone surrogate has no UTF-8 form: it is what a UTF-8 encoder makes of it, U+FFFD
    ["a\ud800b", '"a\ufffdb"'],
    ["\udc00", '"\ufffd"'],
  ])("%j", (input, want) => {
    expect(goQuote(input)).toBe(want);
  });
});
