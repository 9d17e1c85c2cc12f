// `terraform validate`, as far as it can be done offline: a module's .tf files checked against Terraform's
// own block schemas and the Cloudflare provider's schema (provider-schema.ts). Catches unknown resource
// types, misspelt or removed arguments (also inside the objects an expression builds, followed through
// locals, concat, for and conditionals), missing required arguments, objects given where lists are
// expected and the reverse, provider-4 block syntax, references to undeclared variables, locals, resources,
// attributes and module outputs, unused variables and locals, module calls with unknown or missing inputs,
// and a provider version constraint that the schema's version does not satisfy.
import { isAbsolute, join, resolve } from "node:path";
import { type AstNode, type Block, type Body, type TfModule, blocksOf, describeBlock, expressionAst, loadModule, splitTemplate, wholeExpression } from "./hcl-module";
import { type Field, type ProviderSchema, type TfType, loadProviderSchema } from "./provider-schema";

/** Terraform's own blocks and their arguments (nested blocks included). */
const LANGUAGE: Record<string, readonly string[]> = {
  terraform: ["required_version", "required_providers", "backend", "cloud", "experiments", "provider_meta"],
  variable: ["type", "default", "description", "sensitive", "nullable", "validation", "ephemeral"],
  validation: ["condition", "error_message"],
  output: ["value", "description", "sensitive", "depends_on", "precondition", "ephemeral"],
  lifecycle: ["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by", "precondition", "postcondition"],
  precondition: ["condition", "error_message"],
  postcondition: ["condition", "error_message"],
  check: ["data", "assert"],
  assert: ["condition", "error_message"],
};
const BLOCK_KINDS = new Set(["terraform", "provider", "variable", "locals", "output", "module", "resource", "data", "check", "moved", "import", "removed"]);
const RESOURCE_META = new Set(["count", "for_each", "depends_on", "provider", "lifecycle", "connection", "provisioner"]);
const MODULE_META = new Set(["source", "version", "providers", "count", "for_each", "depends_on"]);
/** Words that may open a nested block; anything else written as `name {` is an attribute in block syntax. */
const BLOCK_WORDS = new Set([
  ...BLOCK_KINDS,
  "required_providers", "backend", "cloud", "validation", "lifecycle", "precondition", "postcondition",
  "assert", "dynamic", "content", "connection", "provisioner",
]);
/** Functions whose result is built from their arguments' values (so those are checked as the result). */
const PASS_THROUGH = new Set(["concat", "flatten", "tolist", "toset", "compact", "distinct", "coalescelist", "merge", "coalesce", "try"]);

interface Ctx {
  mod: TfModule;
  schema: ProviderSchema;
  problems: string[];
  variables: Set<string>;
  usedVariables: Set<string>;
  usedLocals: Set<string>;
  /** local name + type, to follow each local once per expected type. */
  followed: Set<string>;
  modules: Map<string, Promise<TfModule>>;
}

export async function checkModule(dir: string): Promise<string[]> {
  const mod = await loadModule(dir);
  const ctx: Ctx = {
    mod,
    schema: loadProviderSchema(),
    problems: [...mod.problems],
    variables: new Set(blocksOf(mod, "variable").map((b) => b.name)),
    usedVariables: new Set(),
    usedLocals: new Set(),
    followed: new Set(),
    modules: new Map(),
  };
  for (const file of mod.files) {
    for (const kind of Object.keys(file.json)) if (!BLOCK_KINDS.has(kind)) ctx.problems.push(`${file.name}: unknown block type "${kind}"`);
    blockSyntax(ctx, file.name, file.text);
  }
  for (const b of mod.blocks) await checkBlock(ctx, b);
  for (const file of mod.files) await checkReferences(ctx, file.name, file.json);
  for (const v of ctx.variables) if (!ctx.usedVariables.has(v)) ctx.problems.push(`variable ${v} is declared but never used`);
  for (const [name, { file }] of mod.locals) if (!ctx.usedLocals.has(name)) ctx.problems.push(`${file}: local.${name} is defined but never used`);
  return [...new Set(ctx.problems)].sort();
}

// --- blocks --------------------------------------------------------------------------------------------

async function checkBlock(ctx: Ctx, b: Block): Promise<void> {
  const where = `${b.file}: ${describeBlock(b)}`;
  switch (b.kind) {
    case "resource":
    case "data":
      return checkProviderBlock(ctx, b, where);
    case "provider":
      if (b.name !== "cloudflare") return void ctx.problems.push(`${where}: only the cloudflare provider is expected`);
      return checkArgs(ctx, b.file, b.body, new Map([...ctx.schema.provider, ["alias", { name: "alias", type: { kind: "string" }, required: false }]]), where, new Set());
    case "module":
      return checkModuleCall(ctx, b, where);
    case "terraform":
      languageKeys(ctx, "terraform", b.body, where);
      return checkRequiredProviders(ctx, b, where);
    default:
      if (LANGUAGE[b.kind]) languageKeys(ctx, b.kind, b.body, where);
  }
}

function languageKeys(ctx: Ctx, kind: string, body: Body, where: string): void {
  const allowed = LANGUAGE[kind];
  for (const [k, v] of Object.entries(body)) {
    if (!allowed.includes(k)) {
      ctx.problems.push(`${where}: unknown argument "${k}" in ${kind}${suggest(k, allowed)}`);
      continue;
    }
    if (LANGUAGE[k]) for (const nested of asBlocks(v)) languageKeys(ctx, k, nested, `${where} ${k}`);
  }
}

async function checkProviderBlock(ctx: Ctx, b: Block, where: string): Promise<void> {
  const schema = ctx.schema.block(b.kind as "resource" | "data", b.type);
  if (!schema) {
    ctx.problems.push(`${where}: the cloudflare provider ${ctx.schema.providerVersion} has no ${b.kind === "data" ? "data source" : "resource"} ${b.type}${suggest(b.type, ctx.schema.types(b.kind as "resource" | "data"))}`);
    return;
  }
  if (b.body.lifecycle !== undefined) for (const l of asBlocks(b.body.lifecycle)) languageKeys(ctx, "lifecycle", l, where);
  await checkArgs(ctx, b.file, b.body, schema.args, where, RESOURCE_META);
}

async function checkArgs(ctx: Ctx, file: string, body: Body, fields: Map<string, Field>, where: string, meta: Set<string>): Promise<void> {
  for (const [k, v] of Object.entries(body)) {
    if (meta.has(k)) continue;
    const f = fields.get(k);
    if (!f) ctx.problems.push(`${where}: unknown argument "${k}"${suggest(k, [...fields.keys()])}`);
    else await checkValue(ctx, file, v, f.type, `${where}.${k}`);
  }
  for (const f of fields.values()) if (f.required && !(f.name in body)) ctx.problems.push(`${where}: missing required argument "${f.name}"`);
}

function checkRequiredProviders(ctx: Ctx, b: Block, where: string): void {
  for (const rp of asBlocks(b.body.required_providers)) {
    for (const [name, req] of Object.entries(rp)) {
      if (name !== "cloudflare") continue;
      const { source, version } = req as { source?: string; version?: string };
      if (source !== "cloudflare/cloudflare") ctx.problems.push(`${where}: required_providers.cloudflare.source is ${JSON.stringify(source)}, expected "cloudflare/cloudflare"`);
      if (typeof version !== "string" || !allows(version, ctx.schema.providerVersion)) {
        ctx.problems.push(`${where}: the version constraint ${JSON.stringify(version)} does not allow ${ctx.schema.providerVersion}, the provider version the checks know`);
      }
    }
  }
}

/** Whether a Terraform version constraint ("~> 5.14", ">= 5.0, < 6") allows `version`. */
export function allows(constraint: string, version: string): boolean {
  const v = version.split(".").map(Number);
  const cmp = (a: number[], b: number[]) => {
    for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
    return 0;
  };
  return constraint.split(",").every((part) => {
    const m = /^\s*(~>|>=|<=|>|<|=|!=)?\s*(\d+(?:\.\d+){0,2})\s*$/.exec(part);
    if (!m) return false;
    const want = m[2].split(".").map(Number);
    const c = cmp(v, want);
    switch (m[1] ?? "=") {
      case "~>": {
        const upper = want.length === 1 ? [want[0] + 1] : [...want.slice(0, -2), want[want.length - 2] + 1];
        return c >= 0 && cmp(v, upper) < 0;
      }
      case ">=": return c >= 0;
      case "<=": return c <= 0;
      case ">": return c > 0;
      case "<": return c < 0;
      case "!=": return c !== 0;
      default: return c === 0;
    }
  });
}

async function checkModuleCall(ctx: Ctx, b: Block, where: string): Promise<void> {
  const called = await calledModule(ctx, b);
  if (!called) return;
  const variables = blocksOf(called, "variable");
  for (const k of Object.keys(b.body)) {
    if (MODULE_META.has(k)) continue;
    if (!variables.some((v) => v.name === k)) ctx.problems.push(`${where}: the module has no input "${k}"${suggest(k, variables.map((v) => v.name))}`);
  }
  for (const v of variables) if (!("default" in v.body) && !(v.name in b.body)) ctx.problems.push(`${where}: missing required input "${v.name}"`);
}

async function calledModule(ctx: Ctx, b: Block): Promise<TfModule | undefined> {
  const source = b.body.source;
  if (typeof source !== "string" || !/^\.\.?\//.test(source)) {
    ctx.problems.push(`${b.file}: ${describeBlock(b)}: source must be a local path (./ or ../) for the offline checks`);
    return undefined;
  }
  const dir = isAbsolute(source) ? source : resolve(ctx.mod.dir, source);
  let m = ctx.modules.get(dir);
  if (!m) ctx.modules.set(dir, (m = loadModule(dir)));
  return m;
}

// --- values --------------------------------------------------------------------------------------------

const describeType = (t: TfType): string =>
  t.kind === "list" ? "a list" : t.kind === "map" ? "a map" : t.kind === "object" ? "an object" : t.kind === "bool" ? "a bool" : `a ${t.kind}`;

async function checkValue(ctx: Ctx, file: string, value: unknown, type: TfType, where: string): Promise<void> {
  if (value === null || type.kind === "any") return;
  if (typeof value === "string") {
    const expr = wholeExpression(value);
    if (expr !== undefined) {
      const ast = await parseExpression(ctx, file, expr, where);
      if (ast) await checkExpr(ctx, file, ast, type, where);
    } else if (type.kind === "list" || type.kind === "map" || type.kind === "object") {
      ctx.problems.push(`${where}: expected ${describeType(type)}, got a string`);
    }
    return;
  }
  if (typeof value === "number" || typeof value === "boolean") {
    const fits = type.kind === "string" || type.kind === (typeof value === "number" ? "number" : "bool");
    if (!fits) ctx.problems.push(`${where}: expected ${describeType(type)}, got ${JSON.stringify(value)}`);
    return;
  }
  if (Array.isArray(value)) {
    if (type.kind === "list") for (const [i, el] of value.entries()) await checkValue(ctx, file, el, type.element, `${where}[${i}]`);
    else if (type.kind === "object") ctx.problems.push(`${where}: takes one object (${where.split(".").pop()} = { ... }), not a list or a block`);
    else ctx.problems.push(`${where}: expected ${describeType(type)}, got a list`);
    return;
  }
  if (typeof value === "object") {
    const obj = value as Body;
    if (type.kind === "object") await checkObject(ctx, file, Object.keys(obj), type.fields(), where, async (k, t) => checkValue(ctx, file, obj[k], t, `${where}.${k}`));
    else if (type.kind === "map") for (const [k, v] of Object.entries(obj)) await checkValue(ctx, file, v, type.element, `${where}["${k}"]`);
    else ctx.problems.push(`${where}: expected ${describeType(type)}, got an object`);
  }
}

async function checkObject(
  ctx: Ctx,
  file: string,
  keys: string[],
  fields: Map<string, Field>,
  where: string,
  each: (key: string, type: TfType) => Promise<void>,
): Promise<void> {
  for (const k of keys) {
    const f = fields.get(k);
    if (!f) ctx.problems.push(`${where}: unknown attribute "${k}"${suggest(k, [...fields.keys()])}`);
    else await each(k, f.type);
  }
  for (const f of fields.values()) if (f.required && !keys.includes(f.name)) ctx.problems.push(`${where}: missing required attribute "${f.name}"`);
}

/** Checks the values an expression can produce (objects, lists, what locals hold) against `type`. */
async function checkExpr(ctx: Ctx, file: string, node: AstNode, type: TfType, where: string): Promise<void> {
  if (type.kind === "any") return;
  const kids = node.children ?? [];
  switch (node.type) {
    case "object": {
      if (type.kind === "map") return;
      if (type.kind !== "object") return void ctx.problems.push(`${where}: expected ${describeType(type)}, got an object`);
      const items = node.meta.items ?? {};
      const keys = Object.keys(items).map((k) => k.replace(/^"(.*)"$/, "$1"));
      await checkObject(ctx, file, keys, type.fields(), where, async (k, t) => {
        const source = items[k] ?? items[`"${k}"`];
        const ast = source === undefined ? null : await parseExpression(ctx, file, source, where);
        if (ast) await checkExpr(ctx, file, ast, t, `${where}.${k}`);
      });
      return;
    }
    case "tuple":
      if (type.kind === "list") for (const [i, k] of kids.entries()) await checkExpr(ctx, file, k, type.element, `${where}[${i}]`);
      else if (type.kind === "object") ctx.problems.push(`${where}: takes one object, not a list`);
      return;
    case "for": {
      const objectFor = (node.meta.value ?? "").trimStart().startsWith("{");
      const valueNode = objectFor ? kids[2] : kids[1];
      if (type.kind === "object") return void ctx.problems.push(`${where}: takes one object, not the result of a for expression`);
      if (valueNode && (type.kind === "list" || type.kind === "map")) await checkExpr(ctx, file, valueNode, type.element, `${where}[*]`);
      return;
    }
    case "conditional":
      for (const k of kids.slice(1, 3)) await checkExpr(ctx, file, k, type, where);
      return;
    case "function":
      if (PASS_THROUGH.has(node.meta.name ?? "")) for (const k of kids) await checkExpr(ctx, file, k, type, where);
      return;
    case "":
    case "templateWrap":
      if (kids[0]) await checkExpr(ctx, file, kids[0], type, where);
      return;
    case "scopeTraversal": {
      const segs = node.meta.traversal ?? [];
      if (segs.length !== 2 || segs[0].segment !== "local") return;
      const name = segs[1].segment;
      const local = ctx.mod.locals.get(name);
      const key = `${name}\u0000${JSON.stringify(type, (_k, v) => (typeof v === "function" ? "fields" : v))}\u0000${where}`;
      if (!local || ctx.followed.has(key)) return;
      ctx.followed.add(key);
      await checkValue(ctx, local.file, local.value, type, `${where} (local.${name})`);
    }
  }
}

async function parseExpression(ctx: Ctx, file: string, expr: string, where: string): Promise<AstNode | null> {
  try {
    return await expressionAst(file, expr);
  } catch (e) {
    ctx.problems.push(`${where}: cannot parse ${JSON.stringify(expr.slice(0, 60))}: ${(e as Error).message.slice(0, 200)}`);
    return null;
  }
}

// --- references ----------------------------------------------------------------------------------------

async function checkReferences(ctx: Ctx, file: string, value: unknown, path: string[] = []): Promise<void> {
  if (typeof value === "string") {
    for (const expr of splitTemplate(value).expressions) {
      const ast = await parseExpression(ctx, file, expr, file);
      if (!ast) continue;
      const refs: string[][] = [];
      collectReferences(ast, new Set(), refs);
      for (const r of refs) await checkReference(ctx, file, r);
      await checkIterations(ctx, file, ast);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) await checkReferences(ctx, file, v, path);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      // A variable's type constraint (string, list(object({...}))) is no expression.
      if (path.length === 2 && path[0] === "variable" && k === "type") continue;
      await checkReferences(ctx, file, v, [...path, k]);
    }
  }
}

/** The name segments of every traversal in `node` that does not start at a for expression's own variable. */
function collectReferences(node: AstNode, scope: Set<string>, out: string[][]): void {
  if (node.type === "scopeTraversal") {
    const names = (node.meta.traversal ?? []).filter((t) => t.type === "nameTraversal").map((t) => t.segment);
    if (names.length > 0 && !scope.has(names[0])) out.push(names);
  }
  const kids = node.children ?? [];
  if (node.type === "for") {
    if (kids[0]) collectReferences(kids[0], scope, out);
    const inner = new Set([...scope, node.meta.keyVar ?? "", node.meta.valVar ?? ""]);
    for (const k of kids.slice(1)) collectReferences(k, inner, out);
    return;
  }
  for (const k of kids) collectReferences(k, scope, out);
}

async function checkReference(ctx: Ctx, file: string, segs: string[]): Promise<void> {
  const [root, a, b] = segs;
  const blocks = ctx.mod.blocks;
  switch (root) {
    case "var":
      ctx.usedVariables.add(a);
      if (!ctx.variables.has(a)) ctx.problems.push(`${file}: var.${a} is not declared${suggest(a, [...ctx.variables])}`);
      return;
    case "local":
      ctx.usedLocals.add(a);
      if (!ctx.mod.locals.has(a)) ctx.problems.push(`${file}: local.${a} is not defined${suggest(a, [...ctx.mod.locals.keys()])}`);
      return;
    case "path":
    case "terraform":
    case "count":
    case "each":
    case "self":
      return;
    case "module": {
      const call = blocks.find((x) => x.kind === "module" && x.name === a);
      if (!call) return void ctx.problems.push(`${file}: module.${a} is not declared`);
      const called = await calledModule(ctx, call);
      const outputs = called ? blocksOf(called, "output").map((o) => o.name) : [];
      if (called && b !== undefined && !outputs.includes(b)) ctx.problems.push(`${file}: module.${a} has no output "${b}"${suggest(b, outputs)}`);
      return;
    }
    case "data":
      return checkBlockReference(ctx, file, "data", a, b, segs[3], `data.${a}.${b}`);
    default:
      if (ctx.schema.block("resource", root)) return checkBlockReference(ctx, file, "resource", root, a, b, `${root}.${a}`);
      ctx.problems.push(`${file}: unknown reference ${segs.join(".")}`);
  }
}

function checkBlockReference(ctx: Ctx, file: string, kind: "resource" | "data", type: string, name: string, attr: string | undefined, shown: string): void {
  if (!ctx.mod.blocks.some((x) => x.kind === kind && x.type === type && x.name === name)) return void ctx.problems.push(`${file}: ${shown} is not declared`);
  const schema = ctx.schema.block(kind, type);
  if (schema && attr !== undefined && !schema.attributes.has(attr)) {
    ctx.problems.push(`${file}: ${shown} has no attribute "${attr}"${suggest(attr, [...schema.attributes.keys()])}`);
  }
}

/** `for x in <resource or data attribute that is a list of objects>`: every x.<attribute> must exist. */
async function checkIterations(ctx: Ctx, file: string, node: AstNode): Promise<void> {
  if (node.type === "for" && node.meta.valVar) {
    const elementFields = collectionElement(ctx, node.children?.[0]);
    if (elementFields) {
      const visit = (n: AstNode) => {
        const segs = n.meta.traversal;
        if (n.type === "scopeTraversal" && segs && segs[0].segment === node.meta.valVar && segs[1]?.type === "nameTraversal") {
          const attr = segs[1].segment;
          if (!elementFields.has(attr)) ctx.problems.push(`${file}: ${node.meta.valVar}.${attr}: the elements have no attribute "${attr}"${suggest(attr, [...elementFields.keys()])}`);
        }
        for (const c of n.children ?? []) visit(c);
      };
      for (const c of (node.children ?? []).slice(1)) visit(c);
    }
  }
  for (const c of node.children ?? []) await checkIterations(ctx, file, c);
}

function collectionElement(ctx: Ctx, node: AstNode | undefined): Map<string, Field> | undefined {
  const segs = node?.type === "scopeTraversal" ? (node.meta.traversal ?? []).filter((s) => s.type === "nameTraversal").map((s) => s.segment) : [];
  const [kind, type, attr] = segs[0] === "data" ? ["data" as const, segs[1], segs[3]] : ["resource" as const, segs[0], segs[2]];
  const t = type ? ctx.schema.block(kind, type)?.attributes.get(attr ?? "") : undefined;
  return t?.kind === "list" && t.element.kind === "object" ? t.element.fields() : undefined;
}

// --- syntax --------------------------------------------------------------------------------------------

/** Provider 5 has no nested blocks: `bindings { ... }` (provider 4 style) must be `bindings = [{ ... }]`. */
function blockSyntax(ctx: Ctx, file: string, text: string): void {
  for (const [i, line] of text.split("\n").entries()) {
    const m = /^\s*([a-z_][a-z0-9_]*)\s*\{\s*(#.*)?$/.exec(line);
    if (m && !BLOCK_WORDS.has(m[1])) {
      ctx.problems.push(`${file}:${i + 1}: "${m[1]} {" is block syntax; the cloudflare provider 5 takes attributes: ${m[1]} = { ... } or ${m[1]} = [{ ... }]`);
    }
  }
}

// --- helpers -------------------------------------------------------------------------------------------

function asBlocks(v: unknown): Body[] {
  if (Array.isArray(v)) return v.filter((x) => x !== null && typeof x === "object") as Body[];
  return v !== null && typeof v === "object" ? [v as Body] : [];
}

/** ` (did you mean "x"?)` for the closest known name, when it is close. */
function suggest(name: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(name, k);
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : "";
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

export const moduleDir = (...parts: string[]) => join(new URL("../../..", import.meta.url).pathname, ...parts);
