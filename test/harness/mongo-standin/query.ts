// Filters and updates, with MongoDB's semantics from `mingo` (its query and update operators over plain
// objects). Only the forms the adapter uses are accepted: equality and $ne on top-level fields, replacement
// documents, $set and $inc. Anything else is refused, so the adapter cannot come to rely on a mingo reading of
// an operator that real MongoDB might read differently.
import { BSON, type Document, ObjectId } from "bson";
import { Query, update as applyModifier } from "mingo";
import { CommandError, Unsupported } from "./errors";

export type Doc = Document;

const FILTER_OPERATORS = new Set(["$eq", "$ne"]);
const UPDATE_OPERATORS = new Set(["$set", "$inc"]);

const isPlainObject = (v: unknown): v is Document =>
  v !== null && typeof v === "object" && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function checkLiteral(v: unknown, where: string): void {
  if (v === null || typeof v === "string" || typeof v === "boolean" || typeof v === "number") return;
  throw new Unsupported(`${where}: a value of type ${Array.isArray(v) ? "array" : typeof v === "object" ? ((v as object).constructor?.name ?? "object") : typeof v}`);
}

function checkField(name: string, where: string): void {
  if (name.startsWith("$")) throw new Unsupported(`${where}: the operator ${name}`);
  if (name.includes(".")) throw new Unsupported(`${where}: the dotted field path ${JSON.stringify(name)}`);
}

/** A predicate for `filter`, refusing operators the adapter does not use. */
export function compileFilter(filter: unknown): (doc: Doc) => boolean {
  if (filter === undefined) return () => true;
  if (!isPlainObject(filter)) throw new CommandError("BadValue", "filter must be an object");
  for (const [field, cond] of Object.entries(filter)) {
    checkField(field, "query");
    if (isPlainObject(cond)) {
      for (const [op, v] of Object.entries(cond)) {
        if (!FILTER_OPERATORS.has(op)) throw new Unsupported(`query operator ${op}`);
        checkLiteral(v, `query operator ${op}`);
      }
    } else checkLiteral(cond, "query equality");
  }
  let q: Query | undefined;
  return (doc) => (q ??= new Query(filter)).test(doc);
}

/** The _id a filter pins, if it has an equality on _id (what lets a write find its document directly). */
export function pinnedId(filter: unknown): { id: unknown } | undefined {
  if (!isPlainObject(filter) || !("_id" in filter)) return undefined;
  const c = filter._id;
  if (isPlainObject(c)) return "$eq" in c ? { id: c.$eq } : undefined;
  return { id: c };
}

/** The fields an upsert's new document starts with: the filter's equality conditions (MongoDB's rule). */
function upsertSeed(filter: Document): Doc {
  const seed: Doc = {};
  for (const [field, cond] of Object.entries(filter)) {
    if (isPlainObject(cond)) {
      if ("$eq" in cond) seed[field] = cond.$eq;
    } else seed[field] = cond;
  }
  return seed;
}

export const isReplacement = (u: Document) => !Object.keys(u).some((k) => k.startsWith("$"));

/** Checks an update document (replacement, or $set / $inc on top-level fields) before anything is applied. */
export function checkUpdate(u: unknown): asserts u is Document {
  if (Array.isArray(u)) throw new Unsupported("pipeline updates");
  if (!isPlainObject(u)) throw new CommandError("BadValue", "the update must be a document");
  const keys = Object.keys(u);
  const ops = keys.filter((k) => k.startsWith("$"));
  if (ops.length === 0) {
    for (const [field, v] of Object.entries(u)) {
      checkField(field, "replacement document");
      checkLiteral(v, `replacement field ${field}`);
    }
    return;
  }
  if (ops.length !== keys.length) {
    throw new CommandError("BadValue", "an update document holds either update operators or replacement fields, not both");
  }
  for (const op of ops) {
    if (!UPDATE_OPERATORS.has(op)) throw new Unsupported(`update operator ${op}`);
    const fields = u[op];
    if (!isPlainObject(fields) || Object.keys(fields).length === 0) throw new CommandError("BadValue", `${op} needs a document of fields`);
    for (const [field, v] of Object.entries(fields)) {
      checkField(field, `update operator ${op}`);
      if (op === "$inc" && typeof v !== "number") throw new CommandError("BadValue", `Cannot increment with non-numeric argument: {${field}: ${String(v)}}`);
      checkLiteral(v, `${op} field ${field}`);
    }
  }
}

const sameId = (a: unknown, b: unknown) => a === b || (a instanceof ObjectId && b instanceof ObjectId && a.equals(b));

/**
 * The document after applying `u` to `current`, or, for an upsert that matched nothing (`current` null), the
 * document the upsert inserts. Throws ImmutableField if the update would change _id.
 */
export function applyUpdate(current: Doc | null, u: Document, filter: Document): Doc {
  const base = current ?? upsertSeed(filter);
  let next: Doc;
  if (isReplacement(u)) {
    next = { ...(base._id !== undefined ? { _id: base._id } : {}), ...u };
    if (current && "_id" in u && !sameId(u._id, current._id)) throw immutableId(u._id);
  } else {
    next = BSON.deserialize(BSON.serialize(base));
    for (const [field, v] of Object.entries((u.$inc ?? {}) as Document)) {
      if (field in next && typeof next[field] !== "number") {
        throw new CommandError("BadValue", `Cannot apply $inc to a value of non-numeric type. {_id: ${JSON.stringify(next._id)}} has the field '${field}' of non-numeric type`);
      }
    }
    applyModifier(next, u);
    if (base._id !== undefined && !sameId(next._id, base._id)) throw immutableId(next._id);
  }
  if (next._id === undefined) next = { _id: new ObjectId(), ...next };
  return next;
}

const immutableId = (id: unknown) =>
  new CommandError("ImmutableField", `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${JSON.stringify(id)}`);
