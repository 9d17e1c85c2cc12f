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
  if (!ascending(keys)) keys.sort();
  const out: Record<string, string> = {};
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    checkKey(what, key);
    checkValue(what, key, v);
    out[key] = v as string;
  }
  return Object.freeze(out);
}

function ascending(keys: string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return false;
  return true;
}

// Character loops rather than regular expressions: labels are checked on every labelled acquire.

/** Letters, digits, '.', '_', '-', '/', starting and ending with a letter or digit (so no "__proto__"). */
function isKey(key: string): boolean {
  const n = key.length;
  if (n === 0 || !isAlnum(key.charCodeAt(0)) || !isAlnum(key.charCodeAt(n - 1))) return false;
  for (let i = 1; i < n - 1; i++) {
    const c = key.charCodeAt(i);
    if (!isAlnum(c) && c !== 0x2e && c !== 0x5f && c !== 0x2d && c !== 0x2f) return false;
  }
  return true;
}

const isAlnum = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** Control characters (C0, DEL, C1) or lone surrogates: JSON in every store, Postgres's jsonb included, must hold the value. */
function hasForbidden(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = v.charCodeAt(i + 1); // NaN past the end
      if (c >= 0xdc00 || !(next >= 0xdc00 && next <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}

function checkKey(what: string, key: string): void {
  if (key.length > MAX_LABEL_KEY_LENGTH)
    throw invalid(`invalid ${what}: key ${describe(key)} is ${key.length} characters long, at most ${MAX_LABEL_KEY_LENGTH} are allowed`);
  if (!isKey(key))
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
  if (hasForbidden(v))
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
