// A Terraform module read offline: every .tf file of one directory parsed by @cdktf/hcl2json (HashiCorp's
// HCL parser compiled to WASM), gathered into its blocks. Attribute values are JSON where the HCL is a
// literal and "${...}" strings where it is an expression; getExpressionAst gives the tree of those.
import { getExpressionAst, parse } from "@cdktf/hcl2json";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

export type Body = Record<string, unknown>;

export interface Block {
  file: string;
  /** "resource", "data", "variable", ... */
  kind: string;
  /** Resource or data source type, e.g. cloudflare_workers_script ("" for other kinds). */
  type: string;
  name: string;
  body: Body;
}

export interface TfModule {
  dir: string;
  files: { name: string; text: string; json: Body }[];
  blocks: Block[];
  locals: Map<string, { file: string; value: unknown }>;
  /** Problems found while reading (syntax errors, duplicate names). */
  problems: string[];
}

export async function loadModule(dir: string): Promise<TfModule> {
  const mod: TfModule = { dir, files: [], blocks: [], locals: new Map(), problems: [] };
  const names = readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  if (names.length === 0) mod.problems.push(`${dir}: no .tf files`);
  for (const name of names) {
    const text = readFileSync(join(dir, name), "utf8");
    let json: Body;
    try {
      json = (await parse(name, text)) as Body;
    } catch (e) {
      mod.problems.push(`${name}: ${(e as Error).message}`);
      continue;
    }
    mod.files.push({ name, text, json });
    for (const [kind, content] of Object.entries(json)) collect(mod, name, kind, content);
  }
  return mod;
}

function collect(mod: TfModule, file: string, kind: string, content: unknown): void {
  const bodies = (v: unknown): Body[] => (Array.isArray(v) ? (v as Body[]) : [v as Body]);
  if (kind === "terraform") {
    for (const body of bodies(content)) mod.blocks.push({ file, kind, type: "", name: "", body });
  } else if (kind === "locals") {
    for (const body of bodies(content)) {
      for (const [name, value] of Object.entries(body)) {
        if (mod.locals.has(name)) mod.problems.push(`${file}: local.${name} is defined twice`);
        mod.locals.set(name, { file, value });
      }
    }
  } else if (kind === "resource" || kind === "data") {
    for (const [type, byName] of Object.entries(content as Record<string, unknown>)) {
      for (const [name, list] of Object.entries(byName as Record<string, unknown>)) {
        for (const body of bodies(list)) addBlock(mod, { file, kind, type, name, body });
      }
    }
  } else {
    // variable, output, module, provider, check, moved, import, removed: one label
    for (const [name, list] of Object.entries(content as Record<string, unknown>)) {
      for (const body of bodies(list)) addBlock(mod, { file, kind, type: "", name, body });
    }
  }
}

function addBlock(mod: TfModule, block: Block): void {
  const same = mod.blocks.find((b) => b.kind === block.kind && b.type === block.type && b.name === block.name);
  if (same && block.kind !== "provider") mod.problems.push(`${block.file}: ${describeBlock(block)} is defined twice (also in ${same.file})`);
  mod.blocks.push(block);
}

export function describeBlock(b: Block): string {
  if (b.kind === "resource") return `resource ${b.type}.${b.name}`;
  if (b.kind === "data") return `data.${b.type}.${b.name}`;
  if (b.kind === "terraform") return "terraform";
  return `${b.kind} ${b.name}`;
}

export function blocksOf(mod: TfModule, kind: string): Block[] {
  return mod.blocks.filter((b) => b.kind === kind);
}

/**
 * A string value as hcl2json gives it: literal text and "${...}" interpolations. A value that is exactly one
 * interpolation is an expression (any type); anything else is a string template.
 */
export function splitTemplate(value: string): { literals: string[]; expressions: string[] } {
  const literals: string[] = [];
  const expressions: string[] = [];
  let text = "";
  let i = 0;
  while (i < value.length) {
    if (value.startsWith("${", i)) {
      const end = scanInterpolation(value, i + 2);
      literals.push(text);
      text = "";
      expressions.push(value.slice(i + 2, end - 1));
      i = end;
    } else {
      text += value[i++];
    }
  }
  literals.push(text);
  return { literals, expressions };
}

/** The expression of a value that is one "${...}" and nothing else, else undefined. */
export function wholeExpression(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const { literals, expressions } = splitTemplate(value);
  return expressions.length === 1 && literals.every((l) => l === "") ? expressions[0] : undefined;
}

/** From just after "${", the index just after its closing "}" (strings and nested templates skipped). */
function scanInterpolation(s: string, i: number): number {
  let depth = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') i = scanString(s, i + 1);
    else if (c === "{") (depth++, i++);
    else if (c === "}") {
      if (depth === 0) return i + 1;
      depth--;
      i++;
    } else i++;
  }
  throw new Error(`unterminated interpolation in ${JSON.stringify(s.slice(0, 80))}`);
}

function scanString(s: string, i: number): number {
  while (i < s.length) {
    if (s[i] === "\\") i += 2;
    else if (s.startsWith("${", i)) i = scanInterpolation(s, i + 2);
    else if (s[i] === '"') return i + 1;
    else i++;
  }
  return i;
}

export interface AstNode {
  type: string;
  meta: {
    value?: string;
    items?: Record<string, string>;
    traversal?: { type: "nameTraversal" | "indexTraversal"; segment: string }[];
    name?: string;
    keyVar?: string;
    valVar?: string;
    type?: string;
  };
  children?: AstNode[];
}

export async function expressionAst(file: string, expression: string): Promise<AstNode | null> {
  return (await getExpressionAst(file, expression)) as AstNode | null;
}
