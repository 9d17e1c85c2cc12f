// MongoDB's wire protocol, the part the driver speaks: OP_MSG both ways, and the legacy OP_QUERY request /
// OP_REPLY answer that the driver still uses for its first hello on a connection. BSON through `bson`, the
// driver's own codec. https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/
import { BSON, type Document } from "bson";

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_COMPRESSED = 2012;
export const OP_MSG = 2013;

/** What the stand-in says in hello: MongoDB's own limits, which the driver splits its batches by. */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;
export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
export const MAX_WRITE_BATCH_SIZE = 100_000;

const HEADER = 16;
const MORE_TO_COME = 2;

/** The connection cannot go on (a malformed or oversized message): real mongod closes it too. */
export class ProtocolError extends Error {}

export interface Request {
  requestId: number;
  /** OP_MSG moreToCome: the client expects no answer (the driver's endSessions on close, sent with w:0). */
  noReply: boolean;
  /** OP_QUERY (the handshake) or OP_MSG. */
  legacy: boolean;
  /** The command document, with OP_MSG document sequences (kind 1 sections) merged in as arrays. */
  command: Document;
  /** The database: $db for OP_MSG, the "<db>.$cmd" collection name for OP_QUERY. */
  db: string;
}

/** Splits a TCP byte stream into whole messages. */
export class Framer {
  private pending: Buffer[] = [];
  private size = 0;

  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.size += chunk.length;
    const out: Buffer[] = [];
    for (;;) {
      if (this.size < 4) break;
      const head = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
      this.pending = [head];
      const length = head.readInt32LE(0);
      if (length < HEADER || length > MAX_MESSAGE_SIZE_BYTES) {
        throw new ProtocolError(`message length ${length} is invalid (at most maxMessageSizeBytes ${MAX_MESSAGE_SIZE_BYTES})`);
      }
      if (this.size < length) break;
      out.push(head.subarray(0, length));
      const rest = head.subarray(length);
      this.pending = rest.length ? [rest] : [];
      this.size = rest.length;
    }
    return out;
  }
}

function cstring(buf: Buffer, at: number): [string, number] {
  const end = buf.indexOf(0, at);
  if (end < 0) throw new ProtocolError("unterminated cstring");
  return [buf.toString("utf8", at, end), end + 1];
}

function document(buf: Buffer, at: number, limit: number): [Document, number] {
  const size = buf.readInt32LE(at);
  if (size < 5 || at + size > limit) throw new ProtocolError(`BSON document of ${size} bytes overruns its section`);
  if (size > MAX_BSON_OBJECT_SIZE + 16 * 1024) throw new ProtocolError(`BSON document of ${size} bytes exceeds maxBsonObjectSize`);
  return [BSON.deserialize(buf.subarray(at, at + size)), at + size];
}

export function parseRequest(msg: Buffer): Request {
  const requestId = msg.readInt32LE(4);
  const opCode = msg.readInt32LE(12);
  if (opCode === OP_MSG) return { requestId, legacy: false, ...parseMsg(msg) };
  if (opCode === OP_QUERY) return { requestId, legacy: true, noReply: false, ...parseQuery(msg) };
  if (opCode === OP_COMPRESSED) throw new ProtocolError("OP_COMPRESSED: the stand-in offers no compressor in hello, so none may be used");
  throw new ProtocolError(`opcode ${opCode} is not supported (OP_MSG, and OP_QUERY for the handshake only)`);
}

function parseMsg(msg: Buffer): { command: Document; db: string; noReply: boolean } {
  const flags = msg.readUInt32LE(HEADER);
  if (flags & ~MORE_TO_COME) {
    // Not used by the driver with this server: checksums, exhaust cursors / streaming hello.
    throw new ProtocolError(`OP_MSG flag bits 0x${flags.toString(16)} are not supported by the stand-in`);
  }
  let at = HEADER + 4;
  let body: Document | undefined;
  const sequences: [string, Document[]][] = [];
  while (at < msg.length) {
    const kind = msg[at++];
    if (kind === 0) {
      if (body) throw new ProtocolError("OP_MSG with two kind-0 sections");
      [body, at] = document(msg, at, msg.length);
    } else if (kind === 1) {
      const size = msg.readInt32LE(at);
      const end = at + size;
      if (size < 5 || end > msg.length) throw new ProtocolError("kind-1 section overruns the message");
      let [identifier, p] = cstring(msg, at + 4);
      const docs: Document[] = [];
      while (p < end) {
        let d: Document;
        [d, p] = document(msg, p, end);
        docs.push(d);
      }
      sequences.push([identifier, docs]);
      at = end;
    } else {
      throw new ProtocolError(`OP_MSG section kind ${kind} is unknown`);
    }
  }
  if (!body) throw new ProtocolError("OP_MSG without a kind-0 section");
  for (const [identifier, docs] of sequences) {
    if (identifier in body) throw new ProtocolError(`document sequence ${identifier} duplicates a field of the command`);
    body[identifier] = docs;
  }
  const db = body.$db;
  if (typeof db !== "string" || db === "") throw new ProtocolError("OP_MSG command without $db");
  return { command: body, db, noReply: (flags & MORE_TO_COME) !== 0 };
}

function parseQuery(msg: Buffer): { command: Document; db: string } {
  let at = HEADER + 4; // flags: ignored (secondaryOk and the like carry no meaning for the handshake)
  let collection: string;
  [collection, at] = cstring(msg, at);
  at += 8; // numberToSkip, numberToReturn
  const [query] = document(msg, at, msg.length);
  if (!collection.endsWith(".$cmd")) throw new ProtocolError(`OP_QUERY on ${collection}: only commands (<db>.$cmd) are accepted`);
  return { command: query, db: collection.slice(0, -5) };
}

function header(length: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(HEADER);
  h.writeInt32LE(length, 0);
  h.writeInt32LE((Math.random() * 0x7fffffff) | 0, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

/** The answer to a request, in the request's own protocol. */
export function encodeReply(req: Request, reply: Document): Buffer {
  const body = Buffer.from(BSON.serialize(reply));
  if (req.legacy) {
    // OP_REPLY: responseFlags, cursorID (int64), startingFrom, numberReturned, then the document.
    const fixed = Buffer.alloc(20);
    fixed.writeInt32LE(1, 16);
    return Buffer.concat([header(HEADER + 20 + body.length, req.requestId, OP_REPLY), fixed, body]);
  }
  const flags = Buffer.alloc(5); // flagBits 0, then section kind 0
  return Buffer.concat([header(HEADER + 5 + body.length, req.requestId, OP_MSG), flags, body]);
}
