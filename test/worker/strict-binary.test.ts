// Binary bodies are checked as Go's decoder checks them: a field with another kind's wire type, a length
// that does not fit 32 bits, invalid UTF-8 in a string answer invalid_argument naming the field, over Connect
// binary and gRPC-Web; well-formed unknown fields still pass (a newer client), and a refused caller's body is
// never read.
import { trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import { describe, expect, it } from "vitest";
import { AcquireIPRequestSchema } from "../../src/gen/api/v1/ipam_pb";
import { checkBinaryMessage } from "../../src/service/strict-binary";
import { client, rawCall, uniqueNamespace } from "./clients";

const enc = new TextEncoder();
const bytes = (...parts: (number | number[] | Uint8Array)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === "number" ? [p] : [...p])));
const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(Math.floor(n / 128))]);
const str = (field: number, s: string | Uint8Array) => {
  const b = typeof s === "string" ? enc.encode(s) : s;
  return bytes(varint((field << 3) | 2), varint(b.length), b);
};
const frame = (msg: Uint8Array) => {
  const f = new Uint8Array(5 + msg.length);
  new DataView(f.buffer).setUint32(1, msg.length);
  f.set(msg, 5);
  return f;
};

async function answer(res: Response): Promise<{ code: string; message: string }> {
  const ct = res.headers.get("content-type") ?? "";
  if (ct.startsWith("application/grpc-web")) {
    const b = new Uint8Array(await res.arrayBuffer());
    const t = trailerParse(b.subarray(5));
    return { code: t.get("grpc-status") ?? "?", message: decodeURIComponent(t.get("grpc-message") ?? "") };
  }
  return (await res.json()) as { code: string; message: string };
}

describe("strict binary bodies", () => {
  const bad: [string, Uint8Array, string][] = [
    ["a string field sent as a varint", bytes(0x08, 0x05), "field prefix_cidr (1) of api.v1.AcquireIPRequest has wire type varint, expected length-delimited"],
    ["a length of 2^32", bytes(0x0a, 0x80, 0x80, 0x80, 0x80, 0x10), "the length of field prefix_cidr (1) of api.v1.AcquireIPRequest does not fit in 32 bits"],
    ["a length past the end", bytes(0x0a, 0x09, 0x31), "the length of field prefix_cidr (1) of api.v1.AcquireIPRequest (9) runs past the end of the message"],
    ["invalid UTF-8", str(1, new Uint8Array([0x31, 0xff, 0x32])), "field prefix_cidr (1) of api.v1.AcquireIPRequest is not valid UTF-8"],
    ["a group wire type", bytes(varint((50 << 3) | 3)), "unknown field 50 of api.v1.AcquireIPRequest has wire type group start, which proto3 does not use"],
    ["an over-long varint", bytes(varint(50 << 3), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "unknown field 50 of api.v1.AcquireIPRequest is a varint longer than 10 bytes"],
  ];

  for (const [what, body, message] of bad) {
    it(`${what}: invalid_argument naming it, over Connect binary and gRPC-Web`, async () => {
      expect(checkBinaryMessage(AcquireIPRequestSchema, body)).toContain(message);
      const proto = await rawCall("AcquireIP", body, { contentType: "application/proto" });
      expect(proto.status).toBe(400);
      expect(await answer(proto)).toEqual({ code: "invalid_argument", message: expect.stringContaining(`invalid request body: ${message}`) });
      const web = await rawCall("AcquireIP", frame(body), { contentType: "application/grpc-web+proto" });
      expect(await answer(web)).toEqual({ code: "3", message: expect.stringContaining(message) });
    });
  }

  it("well-formed bodies pass, unknown fields included (a newer client's additions)", async () => {
    const ns = uniqueNamespace("strict");
    await client("connect-json").createNamespace({ namespace: ns });
    await client("connect-json").createPrefix({ cidr: "10.9.0.0/24", namespace: ns });
    const body = bytes(str(1, "10.9.0.0/24"), str(3, ns), str(99, "from the future"), varint(100 << 3), 0x01);
    expect(checkBinaryMessage(AcquireIPRequestSchema, body)).toBeUndefined();
    const res = await rawCall("AcquireIP", body, { contentType: "application/proto" });
    expect(res.status).toBe(200);
  });

  it("a refused caller's bad body is not read: unauthenticated, as before", async () => {
    const res = await rawCall("AcquireIP", bytes(0x08, 0x05), { contentType: "application/proto", token: "wrong" });
    expect(res.status).toBe(401);
    expect((await answer(res)).code).toBe("unauthenticated");
  });
});
