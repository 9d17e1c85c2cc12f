// A strict check of binary (protobuf) request bodies, run before connect-es decodes them. protobuf-es accepts
// two things Go's decoder (and so connect-go, go-ipam's server) refuses: a field sent with the wire type of
// another kind (a string field as a varint is decoded anyway), and a length whose varint does not fit in 32
// bits (read as its low 32 bits: 2^32 becomes 0). It also turns invalid UTF-8 in a string field into U+FFFD
// where Go refuses it. This check answers what is wrong, naming the field, so the call gets invalid_argument.

import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;
const WIRE_NAMES = ["varint", "64-bit", "length-delimited", "group start", "group end", "32-bit", "invalid (6)", "invalid (7)"];
const MAX_DEPTH = 64;

class Problem extends Error {}

function scalarWire(t: ScalarType): number {
  switch (t) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return I64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return I32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return LEN;
    default:
      return VARINT;
  }
}

/** What may follow a field's tag: its wire types, and how to check a length-delimited payload. */
interface FieldRule {
  wireTypes: number[];
  message?: DescMessage;
  utf8?: boolean;
  map?: DescField & { fieldKind: "map" };
}

function ruleOf(f: DescField): FieldRule {
  switch (f.fieldKind) {
    case "scalar":
      return { wireTypes: [scalarWire(f.scalar)], utf8: f.scalar === ScalarType.STRING };
    case "enum":
      return { wireTypes: [VARINT] };
    case "message":
      return { wireTypes: [LEN], message: f.message };
    case "list":
      if (f.listKind === "message") return { wireTypes: [LEN], message: f.message };
      if (f.listKind === "enum") return { wireTypes: [VARINT, LEN] };
      if (f.scalar === ScalarType.STRING) return { wireTypes: [LEN], utf8: true };
      if (f.scalar === ScalarType.BYTES) return { wireTypes: [LEN] };
      return { wireTypes: [scalarWire(f.scalar), LEN] }; // packed or not
    case "map":
      return { wireTypes: [LEN], map: f };
  }
}

const rules = new WeakMap<DescMessage, Map<number, { field: DescField; rule: FieldRule }>>();
function rulesOf(schema: DescMessage) {
  let r = rules.get(schema);
  if (!r) {
    r = new Map(schema.fields.map((field) => [field.number, { field, rule: ruleOf(field) }]));
    rules.set(schema, r);
  }
  return r;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Walker {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  /** A varint's value (exact below 2^53, which is all that is compared). */
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Problem(`${what} is cut off`);
      const b = this.bytes[this.pos++];
      value += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return value;
    }
    throw new Problem(`${what} is a varint longer than 10 bytes`);
  }

  take(n: number, what: string): void {
    if (this.end - this.pos < n) throw new Problem(`${what} is cut off`);
    this.pos += n;
  }
}

function walk(schema: DescMessage, w: Walker, depth: number): void {
  if (depth > MAX_DEPTH) throw new Problem(`messages nest deeper than ${MAX_DEPTH} levels`);
  const known = rulesOf(schema);
  while (w.pos < w.end) {
    const tag = w.varint(`a field tag of ${schema.typeName}`);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    if (no < 1 || no > 536_870_911) throw new Problem(`${schema.typeName} has a field number ${no} out of range`);
    const entry = known.get(no);
    const name = entry ? `field ${entry.field.name} (${no}) of ${schema.typeName}` : `unknown field ${no} of ${schema.typeName}`;
    if (entry && !entry.rule.wireTypes.includes(wire)) {
      throw new Problem(`${name} has wire type ${WIRE_NAMES[wire]}, expected ${entry.rule.wireTypes.map((t) => WIRE_NAMES[t]).join(" or ")}`);
    }
    switch (wire) {
      case VARINT:
        w.varint(name);
        break;
      case I64:
        w.take(8, name);
        break;
      case I32:
        w.take(4, name);
        break;
      case LEN: {
        const len = w.varint(`the length of ${name}`);
        if (len > 0xffffffff) throw new Problem(`the length of ${name} does not fit in 32 bits`);
        if (len > w.end - w.pos) throw new Problem(`the length of ${name} (${len}) runs past the end of the message`);
        const start = w.pos;
        w.pos += len;
        if (entry?.rule.message) walk(entry.rule.message, new Walker(w.bytes, start, start + len), depth + 1);
        else if (entry?.rule.map) walkMapEntry(entry.rule.map, name, new Walker(w.bytes, start, start + len), depth + 1);
        else if (entry?.rule.utf8) checkUtf8(w.bytes.subarray(start, start + len), name);
        break;
      }
      default:
        throw new Problem(`${name} has wire type ${WIRE_NAMES[wire]}, which proto3 does not use`);
    }
  }
}

function walkMapEntry(f: DescField & { fieldKind: "map" }, name: string, w: Walker, depth: number): void {
  while (w.pos < w.end) {
    const tag = w.varint(`an entry of ${name}`);
    const no = Math.floor(tag / 8);
    const wire = tag % 8;
    const expected = no === 1 ? scalarWire(f.mapKey) : no === 2 ? (f.mapKind === "scalar" ? scalarWire(f.scalar) : f.mapKind === "enum" ? VARINT : LEN) : -1;
    if (expected !== wire) throw new Problem(`an entry of ${name} has field ${no} with wire type ${WIRE_NAMES[wire]}`);
    if (wire === VARINT) w.varint(name);
    else if (wire === I64) w.take(8, name);
    else if (wire === I32) w.take(4, name);
    else {
      const len = w.varint(`a length in ${name}`);
      if (len > 0xffffffff) throw new Problem(`a length in ${name} does not fit in 32 bits`);
      if (len > w.end - w.pos) throw new Problem(`a length in ${name} runs past the end of the entry`);
      const start = w.pos;
      w.pos += len;
      if (no === 2 && f.mapKind === "message") walk(f.message, new Walker(w.bytes, start, start + len), depth);
      else if ((no === 1 && f.mapKey === ScalarType.STRING) || (no === 2 && f.mapKind === "scalar" && f.scalar === ScalarType.STRING)) {
        checkUtf8(w.bytes.subarray(start, start + len), name);
      }
    }
  }
}

function checkUtf8(bytes: Uint8Array, name: string): void {
  try {
    utf8.decode(bytes);
  } catch {
    throw new Problem(`${name} is not valid UTF-8`);
  }
}

/** What is wrong with `bytes` as a binary `schema` message, or undefined when Go would decode it too. */
export function checkBinaryMessage(schema: DescMessage, bytes: Uint8Array): string | undefined {
  try {
    walk(schema, new Walker(bytes, 0, bytes.length), 0);
    return undefined;
  } catch (e) {
    if (e instanceof Problem) return e.message;
    throw e;
  }
}

/** The same for a gRPC-Web body: every uncompressed data frame's message (framing errors are left to connect-es). */
export function checkGrpcWebBody(schema: DescMessage, bytes: Uint8Array): string | undefined {
  let off = 0;
  while (off + 5 <= bytes.length) {
    const flag = bytes[off];
    const len = new DataView(bytes.buffer, bytes.byteOffset + off + 1, 4).getUint32(0);
    if (off + 5 + len > bytes.length) return undefined;
    if (flag === 0) {
      const problem = checkBinaryMessage(schema, bytes.subarray(off + 5, off + 5 + len));
      if (problem) return problem;
    }
    off += 5 + len;
  }
  return undefined;
}
