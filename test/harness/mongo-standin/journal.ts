// The stand-in's durability, when it is given a data directory: an append-only file of committed writes, one
// BSON document per commit, fsynced before the commit is answered, replayed on start. A torn last entry (the
// process killed in the middle of a write) is cut off, as a journal replay would.
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { BSON, type Document } from "bson";

export interface JournalWrite {
  ns: string;
  id: unknown;
  /** The document after the commit; null: deleted. */
  doc: Document | null;
}

export type JournalEntry =
  | { t: "commit"; seq: number; writes: JournalWrite[] }
  | { t: "indexes"; ns: string; indexes: { name: string; key: Document }[] };

/** On disk a commit is written in parts (a BSON document holds at most 16 MiB); it counts once its last part is there. */
type StoredEntry = { t: "part"; seq: number; writes: JournalWrite[]; last: boolean } | Extract<JournalEntry, { t: "indexes" }>;

const WRITES_PER_PART = 5_000;

export class Journal {
  private readonly fd: number;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens (or creates) the journal in `dir` and returns it with the entries it already holds. */
  static open(dir: string): { journal: Journal; entries: JournalEntry[] } {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "journal.bson");
    const fd = openSync(path, "a+");
    const data = fstatSync(fd).size ? readFileSync(path) : Buffer.alloc(0);
    const entries: JournalEntry[] = [];
    let at = 0;
    let good = 0;
    let parts: JournalWrite[] = [];
    while (at + 4 <= data.length) {
      const size = data.readInt32LE(at);
      if (size < 5 || at + size > data.length) break;
      let e: StoredEntry;
      try {
        e = BSON.deserialize(data.subarray(at, at + size)) as StoredEntry;
      } catch {
        break;
      }
      at += size;
      if (e.t === "indexes") {
        entries.push(e);
        good = at;
      } else {
        parts.push(...e.writes);
        if (e.last) {
          entries.push({ t: "commit", seq: e.seq, writes: parts });
          parts = [];
          good = at;
        }
      }
    }
    at = good;
    if (at < data.length) {
      ftruncateSync(fd, at);
      fdatasyncSync(fd);
    }
    return { journal: new Journal(fd), entries };
  }

  /** Appends the entry and waits until it is on disk. */
  append(entry: JournalEntry): void {
    if (entry.t === "indexes") this.write(entry);
    else {
      for (let i = 0; i === 0 || i < entry.writes.length; i += WRITES_PER_PART) {
        const writes = entry.writes.slice(i, i + WRITES_PER_PART);
        this.write({ t: "part", seq: entry.seq, writes, last: i + WRITES_PER_PART >= entry.writes.length });
      }
    }
    fdatasyncSync(this.fd);
  }

  private write(e: StoredEntry): void {
    const bytes = BSON.serialize(e);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off);
  }

  close(): void {
    closeSync(this.fd);
  }
}
