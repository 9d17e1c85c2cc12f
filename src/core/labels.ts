// Labels (go-ipam #99): string key/value pairs on prefixes and addresses, and label selectors (every key given
// must be present with exactly that value). A Labels object is canonical (keys sorted) and frozen, so many
// addresses may share one object and its JSON is the same wherever it is written.
import { IpamError, describe } from "./errors";

export type Labels = Readonly<Record<string, string>>;

/** Most labels on one prefix or address, and most keys in one selector. */
export const MAX_LABELS = 16;
export const MAX_LABEL_KEY_LENGTH = 63;
/** In characters (Unicode code points). */
export const MAX_LABEL_VALUE_LENGTH = 255;

// Letters, digits, '.', '_', '-', '/', starting and ending with a letter or digit (so no "__proto__").
const KEY = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/;
// Control characters and lone surrogates: JSON in every store, Postgres's jsonb included, must hold the value.
const FORBIDDEN_IN_VALUE = /[\p{Cc}\p{Cs}]/u;

const invalid = (message: string) => new IpamError("invalid_input", message);

/**
 * Checks labels (`what` names them in errors: "labels", "label selector") and returns them canonical, or
 * undefined for none (absent or empty: on the wire an empty map is no map).
 */
export function checkLabels(what: string, value: unknown): Labels | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw invalid(`invalid ${what}: must be an object of strings, got ${describe(value)}`);
  const keys = Object.keys(value);
  if (keys.length === 0) return undefined;
  if (keys.length > MAX_LABELS) throw invalid(`invalid ${what}: ${keys.length} labels given, at most ${MAX_LABELS} are allowed`);
  keys.sort();
  const out: Record<string, string> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    checkKey(what, key);
    checkValue(what, key, v);
    out[key] = v as string;
  }
  return Object.freeze(out);
}

function checkKey(what: string, key: string): void {
  if (key.length > MAX_LABEL_KEY_LENGTH)
    throw invalid(`invalid ${what}: key ${describe(key)} is ${key.length} characters long, at most ${MAX_LABEL_KEY_LENGTH} are allowed`);
  if (!KEY.test(key))
    throw invalid(
      `invalid ${what}: key ${describe(key)} must be letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit`,
    );
}

function checkValue(what: string, key: string, v: unknown): void {
  if (typeof v !== "string") throw invalid(`invalid ${what}: the value of ${describe(key)} must be a string, got ${describe(v)}`);
  if (v.length > MAX_LABEL_VALUE_LENGTH) {
    const chars = v.length > 2 * MAX_LABEL_VALUE_LENGTH ? v.length : [...v].length; // code units >= code points
    if (chars > MAX_LABEL_VALUE_LENGTH)
      throw invalid(`invalid ${what}: the value of ${describe(key)} is ${chars} characters long, at most ${MAX_LABEL_VALUE_LENGTH} are allowed`);
  }
  if (FORBIDDEN_IN_VALUE.test(v))
    throw invalid(`invalid ${what}: the value of ${describe(key)} holds a control character or a lone surrogate`);
}

function isPlainObject(value: unknown): value is object {
  if (typeof value !== "object" || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** True when `labels` has every key of `selector` with the same value. */
export function matches(labels: Labels | undefined, selector: Labels): boolean {
  if (labels === undefined) return false;
  for (const key in selector) if (!Object.hasOwn(labels, key) || labels[key] !== selector[key]) return false;
  return true;
}

/** True when two canonical label sets are equal. */
export function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]] !== b[kb[i]]) return false;
  return true;
}
