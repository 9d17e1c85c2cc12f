// Bad input, generated: malformed CIDRs, IPs, lengths, namespaces, bodies of the wrong type, bodies that are
// not messages at all, huge bodies, over all three protocols. Every one must get a 4xx Connect error (never
// internal, never a crash), and the service must answer normally afterwards.
import { SELF } from "cloudflare:test";
import { ConnectError, Code } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ADMIN, client, type IpamClient, PROTOCOLS, rawCall, uniqueNamespace } from "./clients";

const FUZZ_NS = uniqueNamespace("fuzz");
const V4 = "10.250.0.0/16";
const V6 = "2001:db8:f::/48";

/** Codes a bad request may get: client errors only (each maps to a 4xx HTTP status). */
const CLIENT_CODES = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.ResourceExhausted,
  Code.PermissionDenied,
  Code.Unauthenticated,
]);

const stats = { typed: 0, raw: 0 };

// ---- malformed values ---------------------------------------------------------------------------------

const octet = fc.integer({ min: 0, max: 255 });
const bigOctet = fc.integer({ min: 256, max: 99999 });
const v4Bits = fc.integer({ min: 0, max: 32 });
/** Characters that can never make up an address (no digits, no hex letters). */
const noAddrChars = fc.string({ unit: fc.constantFrom(..."ghijklmnopqrstuvwxyzGHIJ .,;:/-_!?%".split("")), maxLength: 40 });

const badCidr: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(octet, octet, bigOctet, octet, v4Bits).map(([a, b, c, d, n]) => `${a}.${b}.${c}.${d}/${n}`),
  fc.tuple(fc.integer({ min: 1, max: 9 }), octet, octet, octet).map(([a, b, c, d]) => `0${a}.${b}.${c}.${d}/8`),
  fc.tuple(octet, octet, octet, octet, fc.integer({ min: 33, max: 1_000_000 })).map(([a, b, c, d, n]) => `${a}.${b}.${c}.${d}/${n}`),
  fc.integer({ min: 129, max: 1_000_000 }).map((n) => `2001:db8::/${n}`),
  fc.tuple(octet, octet, octet, octet).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`),
  fc.tuple(octet, octet, octet, octet).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}/-${(a % 32) + 1}`),
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `${a}.${b}.${c}/8`),
  fc.tuple(octet, octet, octet, octet, octet).map(([a, b, c, d, e]) => `${a}.${b}.${c}.${d}.${e}/8`),
  fc.constantFrom(
    "",
    "/",
    "/8",
    "fe80::1%eth0/64",
    "1:2:3:4:5:6:7:8:9/64",
    "1::2::3/64",
    "::ffff:1.2.3.4/200",
    " 10.0.0.0/8",
    "10.0.0.0/8 ",
    "10.0.0.0/8x",
    "10.0.0.0//8",
    "10.0.0.0/ 8",
    "2001:db8::g/64",
    "12345::/16",
    `${"1".repeat(5000)}/8`,
    `10.0.0.0/${"9".repeat(400)}`,
  ),
  noAddrChars,
  fc.string({ unit: "grapheme", maxLength: 60 }).filter((s) => !/\/\d+$/.test(s)),
);

const badIp: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(octet, bigOctet, octet, octet).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`),
  fc.tuple(octet, octet, octet, fc.integer({ min: 1, max: 9 })).map(([a, b, c, d]) => `${a}.${b}.${c}.0${d}`),
  fc.tuple(octet, octet, octet).map(([a, b, c]) => `${a}.${b}.${c}`),
  fc.tuple(octet, octet).map(([a, b]) => `10.250.${a}.${b}/32`),
  fc.constantFrom("1:2:3:4:5:6:7:8:9", "::1::", "10.250.0.1 ", " 10.250.0.1", "1.2.3.4.5", "0x0a.0.0.1", "10.250.1", "::ffff:300.1.1.1"),
  noAddrChars.filter((s) => s !== "" && !s.includes("%")),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((s) => !s.includes("%") && /[^0-9a-fA-F:.]/.test(s)),
);

/** Lengths no /16 IPv4 parent can give: over 128, not longer than the parent, longer than 32. */
const badLength = fc.oneof(
  fc.integer({ min: 129, max: 0xffffffff }),
  fc.integer({ min: 0, max: 16 }),
  fc.integer({ min: 33, max: 128 }),
);

/** Names that are invalid (empty is the default namespace, so never generated) or do not exist. */
const badNamespace = fc.oneof(
  fc.tuple(fc.string({ maxLength: 20 }), fc.constantFrom(" ", "\u0000", "\t", "é", "\u2603", "\u{1F600}", "\u007f"), fc.string({ maxLength: 20 }))
    .map(([a, bad, b]) => `${a}${bad}${b}`),
  fc.integer({ min: 64, max: 2000 }).map((n) => "n".repeat(n)),
  fc.string({ unit: fc.constantFrom(..."abcdefxyz-_".split("")), minLength: 1, maxLength: 10 }).map((s) => `missing-${s}`),
);

const namespaceField = fc.oneof({ weight: 3, arbitrary: fc.constant(FUZZ_NS) }, { weight: 1, arbitrary: badNamespace });

/** Labels no call may accept: bad keys, too long, too many, control characters. */
const badLabels: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.string({ maxLength: 10 }).map((k) => ({ [` ${k}`]: "v" })),
  fc.integer({ min: 64, max: 300 }).map((n) => ({ ["k".repeat(n)]: "v" })),
  fc.integer({ min: 256, max: 2000 }).map((n) => ({ k: "v".repeat(n) })),
  fc.integer({ min: 17, max: 40 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))),
  fc.constantFrom<Record<string, string>>({ k: "a\u0000b" }, { "": "v" }, { "-a": "v" }, { "a=b": "v" }, { "é": "v" }),
);
const badCount = fc.oneof(fc.constant(0), fc.integer({ min: 4097, max: 0xffffffff }));

type Typed = { rpc: string; call: (c: IpamClient) => Promise<unknown> };

const typedRequest: fc.Arbitrary<Typed> = fc.oneof(
  fc.tuple(badCidr, namespaceField, fc.constantFrom("createPrefix", "deletePrefix", "getPrefix", "prefixUsage", "releaseChildPrefix"))
    .map(([cidr, namespace, rpc]) => ({ rpc, call: (c: IpamClient) => (c[rpc as "getPrefix"])({ cidr, namespace }) })),
  fc.tuple(fc.oneof(badCidr, fc.constant(V4)), badLength, fc.option(badCidr, { nil: undefined }), namespaceField).map(
    ([cidr, length, childCidr, namespace]) => ({
      rpc: "acquireChildPrefix",
      call: (c: IpamClient) => c.acquireChildPrefix({ cidr, length, childCidr, namespace }),
    }),
  ),
  fc.tuple(badCidr, badCidr, namespaceField).map(([cidr, childCidr, namespace]) => ({
    rpc: "acquireChildPrefix(child)",
    call: (c: IpamClient) => c.acquireChildPrefix({ cidr: V4, length: 24, childCidr: childCidr || cidr || "x", namespace }),
  })),
  fc.tuple(fc.oneof(badCidr, fc.constantFrom(V4, V6)), fc.option(badIp, { nil: undefined }), namespaceField).map(
    ([prefixCidr, ip, namespace]) => ({
      rpc: "acquireIP",
      // Without an ip, the prefix must be the bad part.
      call: (c: IpamClient) => c.acquireIP({ prefixCidr: ip === undefined && (prefixCidr === V4 || prefixCidr === V6) ? `${prefixCidr}x` : prefixCidr, ip, namespace }),
    }),
  ),
  fc.tuple(fc.oneof(badCidr, fc.constantFrom(V4, V6)), fc.oneof(badIp, fc.constant("10.250.9.9")), namespaceField).map(
    ([prefixCidr, ip, namespace]) => ({ rpc: "releaseIP", call: (c: IpamClient) => c.releaseIP({ prefixCidr, ip, namespace }) }),
  ),
  fc.tuple(badCidr, namespaceField).map(([prefixCidr, namespace]) => ({
    rpc: "listIPs",
    call: (c: IpamClient) => c.listIPs({ prefixCidr, namespace }),
  })),
  badNamespace.filter((n) => !n.startsWith("missing-")).map((namespace) => ({
    rpc: "createNamespace",
    call: (c: IpamClient) => c.createNamespace({ namespace }),
  })),
  badNamespace.map((namespace) => ({ rpc: "deleteNamespace", call: (c: IpamClient) => c.deleteNamespace({ namespace }) })),
  badNamespace.map((namespace) => ({ rpc: "listPrefixes", call: (c: IpamClient) => c.listPrefixes({ namespace }) })),
  // The extensions: bulk calls, labels, selectors, overlap checks, each with one bad part.
  fc.tuple(badCidr, fc.integer({ min: 1, max: 5 }), namespaceField).map(([prefixCidr, count, namespace]) => ({
    rpc: "acquireIPs",
    call: (c: IpamClient) => c.acquireIPs({ prefixCidr, count, namespace }),
  })),
  fc.tuple(badCount, namespaceField).map(([count, namespace]) => ({ rpc: "acquireIPs(count)", call: (c: IpamClient) => c.acquireIPs({ prefixCidr: V4, count, namespace }) })),
  badLabels.map((labels) => ({ rpc: "acquireIPs(labels)", call: (c: IpamClient) => c.acquireIPs({ prefixCidr: V4, count: 2, labels, namespace: FUZZ_NS }) })),
  badLabels.map((labels) => ({ rpc: "acquireIP(labels)", call: (c: IpamClient) => c.acquireIP({ prefixCidr: V6, labels, namespace: FUZZ_NS }) })),
  badLabels.map((labels) => ({ rpc: "createPrefix(labels)", call: (c: IpamClient) => c.createPrefix({ cidr: "10.251.0.0/16", labels, namespace: FUZZ_NS }) })),
  fc.tuple(badLabels, fc.boolean()).map(([labelSelector, everywhere]) => ({
    rpc: "releaseIPs(selector)",
    call: (c: IpamClient) => c.releaseIPs({ prefixCidr: everywhere ? "" : V4, labelSelector, namespace: FUZZ_NS }),
  })),
  fc.tuple(fc.array(badIp, { minLength: 1, maxLength: 3 }), namespaceField).map(([ips, namespace]) => ({
    rpc: "releaseIPs",
    call: (c: IpamClient) => c.releaseIPs({ prefixCidr: V4, ips, namespace }),
  })),
  fc.tuple(badCidr, namespaceField).map(([prefixCidr, namespace]) => ({
    rpc: "releaseIPs(prefix)",
    call: (c: IpamClient) => c.releaseIPs({ prefixCidr, ips: ["10.250.0.1"], namespace }),
  })),
  fc.tuple(fc.oneof(badLength, fc.constant(24)), badCount).map(([length, count]) => ({
    rpc: "acquireChildPrefixes",
    call: (c: IpamClient) => c.acquireChildPrefixes({ cidr: V4, length, count, namespace: FUZZ_NS }),
  })),
  fc.array(badCidr, { minLength: 1, maxLength: 3 }).map((cidrs) => ({
    rpc: "releaseChildPrefixes",
    call: (c: IpamClient) => c.releaseChildPrefixes({ cidrs, namespace: FUZZ_NS }),
  })),
  badLabels.map((labelSelector) => ({ rpc: "listIPs(selector)", call: (c: IpamClient) => c.listIPs({ prefixCidr: V4, labelSelector, namespace: FUZZ_NS }) })),
  fc.oneof(badLabels.map((labelSelector) => ({ labelSelector })), badCidr.filter((s) => s !== "").map((overlappingCidr) => ({ overlappingCidr }))).map((filter) => ({
    rpc: "listPrefixes(filter)",
    call: (c: IpamClient) => c.listPrefixes({ ...filter, namespace: FUZZ_NS }),
  })),
  fc.tuple(fc.array(fc.constantFrom(V4, V6), { minLength: 1, maxLength: 3 }), badCidr).map(([existingPrefixes, bad]) => ({
    rpc: "prefixesOverlapping",
    call: (c: IpamClient) => c.prefixesOverlapping({ existingPrefixes, newPrefixes: ["192.0.2.0/24", bad] }),
  })),
  fc.tuple(fc.constantFrom("{", "[{", '[{"Cidr":5}]', '{"Cidr":"10.0.0.0/8"}', "[1,2]", '[{"Cidr":"10.0.0.0/33"}]', "x"), namespaceField).map(
    ([dump, namespace]) => ({ rpc: "load", call: (c: IpamClient) => c.load({ dump, namespace }) }),
  ),
);

// ---- raw bodies ---------------------------------------------------------------------------------------

/** RPCs whose empty request is itself invalid, so any body that decodes at all still fails. */
const CIDR_RPCS = ["CreatePrefix", "DeletePrefix", "GetPrefix", "PrefixUsage", "ReleaseChildPrefix", "AcquireChildPrefix", "AcquireIP", "ReleaseIP", "ListIPs"];
const FIELD = { CreatePrefix: "cidr", AcquireIP: "prefixCidr", ReleaseIP: "prefixCidr", ListIPs: "prefixCidr" } as Record<string, string>;

const wrongValue = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

const jsonBody: fc.Arbitrary<{ rpc: string; body: string | Uint8Array }> = fc.oneof(
  // A field of the wrong type.
  fc.tuple(fc.constantFrom(...CIDR_RPCS), wrongValue).map(([rpc, v]) => ({ rpc, body: JSON.stringify({ [FIELD[rpc] ?? "cidr"]: v }) })),
  fc.tuple(fc.constantFrom(...CIDR_RPCS), wrongValue).map(([rpc, v]) => ({ rpc, body: JSON.stringify({ [FIELD[rpc] ?? "cidr"]: "10.250.0.0/16", namespace: v }) })),
  fc.tuple(fc.oneof(fc.string({ maxLength: 5 }), fc.constant(-1), fc.constant(1.5), fc.constant(2 ** 40), fc.constant(true), fc.constant("129"))).map(
    ([length]) => ({ rpc: "AcquireChildPrefix", body: JSON.stringify({ cidr: V4, length, namespace: FUZZ_NS }) }),
  ),
  // Not an object, or not JSON at all.
  fc.tuple(fc.constantFrom(...CIDR_RPCS), fc.oneof(fc.json(), fc.string({ maxLength: 80 }), fc.constantFrom("", "{", "nul", "[]", '"x"', "{}{}"))).map(
    ([rpc, body]) => ({ rpc, body }),
  ),
  // Invalid UTF-8.
  fc.tuple(fc.constantFrom(...CIDR_RPCS), fc.uint8Array({ minLength: 1, maxLength: 20 })).map(([rpc, junk]) => ({
    rpc,
    body: new Uint8Array([...new TextEncoder().encode('{"cidr":"'), 0xff, 0xfe, ...junk, ...new TextEncoder().encode('"}')]),
  })),
);

const binaryBody = fc.tuple(fc.constantFrom(...CIDR_RPCS), fc.uint8Array({ maxLength: 300 })).map(([rpc, body]) => ({ rpc, body }));

/** A gRPC-Web body: random bytes, or a well-formed frame around random bytes, or a frame that lies about its length. */
const grpcWebBody = fc.tuple(
  fc.constantFrom(...CIDR_RPCS),
  fc.uint8Array({ maxLength: 200 }),
  fc.constantFrom("raw", "framed", "lying", "compressed"),
).map(([rpc, payload, kind]) => {
  if (kind === "raw") return { rpc, body: payload };
  const len = kind === "lying" ? payload.length + 1000 : payload.length;
  const frame = new Uint8Array(5 + payload.length);
  frame[0] = kind === "compressed" ? 1 : 0;
  new DataView(frame.buffer).setUint32(1, len);
  frame.set(payload, 5);
  return { rpc, body: frame };
});

/** The Connect code of a raw response (Connect JSON error body, or gRPC-Web status in headers or trailer). */
async function codeOfResponse(res: Response): Promise<{ code: string; http: number }> {
  const ct = res.headers.get("content-type") ?? "";
  if (ct.startsWith("application/grpc-web")) {
    let status = res.headers.get("grpc-status");
    const bytes = new Uint8Array(await res.arrayBuffer());
    for (let off = 0; status === null && off + 5 <= bytes.length; ) {
      const len = new DataView(bytes.buffer, bytes.byteOffset + off + 1, 4).getUint32(0);
      if (bytes[off] & 0x80) status = trailerParse(bytes.subarray(off + 5, off + 5 + len)).get("grpc-status");
      off += 5 + len;
    }
    const code = Number(status ?? "2") as Code;
    return { code: Code[code] ?? "Ok", http: status === "0" ? 200 : codeToHttpStatus(code) };
  }
  const text = await res.text();
  let code = "?";
  try {
    code = (JSON.parse(text) as { code: string }).code;
  } catch {
    // not a Connect error body
  }
  return { code, http: res.status };
}

async function expectClientError(what: string, p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (e) {
    const err = ConnectError.from(e);
    if (!CLIENT_CODES.has(err.code)) throw new Error(`${what}: got ${Code[err.code]}: ${err.rawMessage}`);
    expect(codeToHttpStatus(err.code)).toBeGreaterThanOrEqual(400);
    expect(codeToHttpStatus(err.code)).toBeLessThan(500);
    return;
  }
  throw new Error(`${what}: succeeded`);
}

async function expectRawClientError(what: string, res: Response): Promise<void> {
  const { code, http } = await codeOfResponse(res);
  if (!(http >= 400 && http < 500) || ["internal", "unknown", "Internal", "Unknown", "?"].includes(code)) {
    throw new Error(`${what}: got HTTP ${http}, code ${code}`);
  }
}

async function healthy(): Promise<void> {
  const c = client("connect-json");
  const ns = uniqueNamespace("after");
  await c.createNamespace({ namespace: ns });
  await c.createPrefix({ cidr: "10.9.0.0/24", namespace: ns });
  expect((await c.acquireIP({ prefixCidr: "10.9.0.0/24", namespace: ns })).ip?.ip).toBe("10.9.0.1");
  expect((await SELF.fetch("http://x/health")).status).toBe(200);
}

describe("malformed requests", () => {
  // Thousands of calls: keep their log lines (one per call, tested in auth.test.ts) out of the test output.
  beforeAll(() => {
    for (const m of ["log", "warn", "error"] as const) vi.spyOn(console, m).mockImplementation(() => {});
  });
  afterAll(() => vi.restoreAllMocks());

  beforeAll(async () => {
    const c = client("connect-json");
    await c.createNamespace({ namespace: FUZZ_NS });
    await c.createPrefix({ cidr: V4, namespace: FUZZ_NS });
    await c.createPrefix({ cidr: V6, namespace: FUZZ_NS });
    await c.acquireIP({ prefixCidr: V4, namespace: FUZZ_NS }); // so Load into FUZZ_NS is refused too
  });

  it.each(PROTOCOLS)("typed requests over %s: 4xx, never internal", async (protocol) => {
    const c = client(protocol, ADMIN);
    await fc.assert(
      fc.asyncProperty(typedRequest, async (r) => {
        stats.typed++;
        await expectClientError(`${protocol} ${r.rpc}`, r.call(c));
      }),
      { numRuns: 700, seed: 0x1ba4 + PROTOCOLS.indexOf(protocol) },
    );
  }, 180_000);

  it("raw bodies of the wrong type, not messages, bad framing: 4xx, never internal", async () => {
    const run = (kind: string, arb: fc.Arbitrary<{ rpc: string; body: string | Uint8Array }>, contentType: string, numRuns: number) =>
      fc.assert(
        fc.asyncProperty(arb, async ({ rpc, body }) => {
          stats.raw++;
          const res = await rawCall(rpc, body, { contentType });
          await expectRawClientError(`${kind} ${rpc} ${typeof body === "string" ? body.slice(0, 80) : `${body.length} bytes`}`, res);
        }),
        { numRuns, seed: 0x5eed },
      );
    await run("json", jsonBody, "application/json", 500);
    await run("binary", binaryBody, "application/proto", 300);
    await run("grpc-web", grpcWebBody, "application/grpc-web+proto", 300);
  }, 180_000);

  it("huge bodies: 4xx before they are parsed", async () => {
    const big = 9 * 1024 * 1024;
    const cases: [string, BodyInit, string][] = [
      ["CreatePrefix", JSON.stringify({ cidr: "1".repeat(big) }), "application/json"],
      ["Load", JSON.stringify({ dump: `[${'{"Cidr":"10.0.0.0/8"},'.repeat(big / 22)}]` }), "application/json"],
      ["CreatePrefix", new Uint8Array(big), "application/proto"],
      ["CreatePrefix", (() => { const b = new Uint8Array(big + 5); new DataView(b.buffer).setUint32(1, big); return b; })(), "application/grpc-web+proto"],
    ];
    for (const [rpc, body, contentType] of cases) {
      stats.raw++;
      await expectRawClientError(`huge ${rpc} ${contentType}`, await rawCall(rpc, body, { contentType }));
    }
    // A frame that only claims to be huge.
    const liar = new Uint8Array(5 + 10);
    new DataView(liar.buffer).setUint32(1, 0xffffffff);
    await expectRawClientError("lying frame", await rawCall("CreatePrefix", liar, { contentType: "application/grpc-web+proto" }));
  }, 120_000);

  it("the service still answers normally afterwards", async () => {
    await healthy();
    // Nothing malformed was created in the fuzz namespace.
    const prefixes = (await client("connect-proto").listPrefixes({ namespace: FUZZ_NS })).prefixes.map((p) => p.cidr).sort();
    expect(prefixes).toEqual([V6, V4].sort());
    expect(stats.typed + stats.raw).toBeGreaterThanOrEqual(3000);
  });
});
