// The Cloudflare Terraform provider's schema, offline: read from the jsii manifest of
// @cdktf/provider-cloudflare, which is generated from the provider (13.9 = provider 5.14.0). Every resource
// and data source is a class whose docs link its registry page; its config interface lists the arguments
// (camelCase, with the snake_case name in each property's doc link) and its getters the readable attributes.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type TfType =
  | { kind: "string" | "number" | "bool" | "any" }
  | { kind: "list" | "map"; element: TfType }
  | { kind: "object"; fields: () => Map<string, Field> };

export interface Field {
  name: string;
  type: TfType;
  required: boolean;
}

export interface BlockSchema {
  /** "resource" or "data". */
  kind: "resource" | "data";
  /** e.g. cloudflare_workers_script */
  type: string;
  /** Arguments that may be set. */
  args: Map<string, Field>;
  /** Every attribute that may be read (arguments and computed ones), with its type where known. */
  attributes: Map<string, TfType>;
}

export interface ProviderSchema {
  /** The provider version the manifest was generated from, e.g. "5.14.0". */
  providerVersion: string;
  packageVersion: string;
  provider: Map<string, Field>;
  block(kind: "resource" | "data", type: string): BlockSchema | undefined;
  types(kind: "resource" | "data"): string[];
}

interface JsiiType {
  kind: "class" | "interface" | "enum";
  name: string;
  fqn: string;
  docs?: { summary?: string; remarks?: string };
  properties?: JsiiProperty[];
  initializer?: { parameters?: { name: string; type: JsiiTypeRef }[] };
  methods?: { name: string; returns?: { type: JsiiTypeRef } }[];
}
interface JsiiProperty {
  name: string;
  optional?: boolean;
  static?: boolean;
  docs?: { remarks?: string };
  type: JsiiTypeRef;
}
type JsiiTypeRef = {
  primitive?: string;
  fqn?: string;
  collection?: { kind: "array" | "map"; elementtype: JsiiTypeRef };
  union?: { types: JsiiTypeRef[] };
};

const snake = (camel: string) => camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The argument's Terraform name: the anchor of its registry link, else the snake_case of its name. */
function tfName(p: JsiiProperty): string {
  return /#([a-z0-9_]+) /.exec(p.docs?.remarks ?? "")?.[1] ?? snake(p.name);
}

let cached: ProviderSchema | undefined;

export function loadProviderSchema(): ProviderSchema {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve("@cdktf/provider-cloudflare/package.json"));
  const manifest = JSON.parse(readFileSync(join(pkgDir, ".jsii"), "utf8")) as { version: string; types: Record<string, JsiiType> };
  const types = manifest.types;

  const refType = (ref: JsiiTypeRef): TfType => {
    if (ref.union) {
      const real = ref.union.types.filter((t) => t.fqn !== "cdktf.IResolvable");
      return real.length === 1 ? refType(real[0]) : { kind: "any" };
    }
    if (ref.primitive) {
      if (ref.primitive === "string") return { kind: "string" };
      if (ref.primitive === "number") return { kind: "number" };
      if (ref.primitive === "boolean") return { kind: "bool" };
      return { kind: "any" };
    }
    if (ref.collection) return { kind: ref.collection.kind === "array" ? "list" : "map", element: refType(ref.collection.elementtype) };
    if (ref.fqn) {
      const t = types[ref.fqn];
      if (!t) return { kind: "any" };
      if (t.kind === "interface") return { kind: "object", fields: lazy(() => fieldsOf(t)) };
      // Computed nested values: a *List class (get(i) -> *OutputReference) or an *OutputReference.
      if (t.kind === "class" && t.name.endsWith("List")) {
        const get = t.methods?.find((m) => m.name === "get");
        return get?.returns ? { kind: "list", element: refType(get.returns.type) } : { kind: "any" };
      }
      if (t.kind === "class" && t.name.endsWith("OutputReference")) {
        return { kind: "object", fields: lazy(() => gettersOf(t)) };
      }
    }
    return { kind: "any" };
  };

  const fieldsOf = (t: JsiiType): Map<string, Field> =>
    new Map(
      (t.properties ?? []).map((p) => {
        const name = tfName(p);
        return [name, { name, type: refType(p.type), required: !p.optional }];
      }),
    );

  const gettersOf = (t: JsiiType): Map<string, Field> => {
    const out = new Map<string, Field>();
    for (const p of t.properties ?? []) {
      if (p.static || p.name.endsWith("Input") || p.name === "internalValue" || p.name === "fqn") continue;
      out.set(snake(p.name), { name: snake(p.name), type: refType(p.type), required: false });
    }
    return out;
  };

  const blocks = { resource: new Map<string, BlockSchema>(), data: new Map<string, BlockSchema>() };
  let providerVersion = "";
  let provider = new Map<string, Field>();
  for (const t of Object.values(types)) {
    if (t.kind !== "class") continue;
    const link = /registry\.terraform\.io\/providers\/cloudflare\/cloudflare\/([0-9.]+)\/docs(?:\/(resources|data-sources)\/\S+)? (\S+)\}/.exec(
      t.docs?.summary ?? "",
    );
    if (!link) continue;
    const configRef = t.initializer?.parameters?.find((p) => p.name === "config")?.type.fqn;
    const config = configRef ? types[configRef] : undefined;
    if (!config) continue;
    const args = fieldsOf(config);
    if (link[2] === undefined) {
      providerVersion = link[1];
      provider = args;
      continue;
    }
    const kind = link[2] === "resources" ? "resource" : "data";
    const attributes = new Map<string, TfType>([["id", { kind: "string" }]]);
    for (const [name, f] of args) attributes.set(name, f.type);
    for (const [name, f] of gettersOf(t)) if (!attributes.has(name) || attributes.get(name)!.kind === "any") attributes.set(name, f.type);
    blocks[kind].set(link[3], { kind, type: link[3], args, attributes });
  }
  if (!providerVersion) throw new Error("the jsii manifest names no provider version");

  cached = {
    providerVersion,
    packageVersion: manifest.version,
    provider,
    block: (kind, type) => blocks[kind].get(type),
    types: (kind) => [...blocks[kind].keys()].sort(),
  };
  return cached;
}

function lazy<T>(f: () => T): () => T {
  let v: T | undefined;
  return () => (v ??= f());
}
