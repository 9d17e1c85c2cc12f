// Secrets in the Terraform module: every secret the Worker reads is a secret_text binding fed only by
// sensitive variables, so a plan shows it as (sensitive value); no output is derived from one; the examples
// pass them on from sensitive variables and keep the Cloudflare API token out of their files.
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { moduleDir } from "./terraform/check-module";
import { type AstNode, type TfModule, blocksOf, expressionAst, loadModule, splitTemplate, wholeExpression } from "./terraform/hcl-module";

const SECRETS = ["IPAM_TOKENS", "UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN", "DATABASE_URL", "ETCD_PASSWORD", "MONGODB_URI"];
const VARS = ["IPAM_AUTH", "IPAM_CALL_LOG", "IPAM_STORE", "IPAM_STORE_TIMEOUT_MS", "IPAM_MAX_QUEUE", "IPAM_IDEMPOTENCY_TTL_SECONDS", "IPAM_IDEMPOTENCY_MAX_KEYS", "GIT_REVISION", "NEON_WS_PROXY", "IPAM_AUTO_MIGRATE", "IPAM_PG_IDLE_MS", "ETCD_ENDPOINT", "ETCD_USERNAME", "MONGODB_DATABASE"];
const EXAMPLES = ["durable-object-workers-dev", "postgres-neon", "redis-upstash-custom-domain"];

let mod: TfModule;
beforeAll(async () => {
  mod = await loadModule(moduleDir("terraform"));
});

/** Every var.* and local.* an expression (or template, or literal structure of them) refers to. */
async function references(value: unknown): Promise<string[]> {
  const out: string[] = [];
  const walk = (n: AstNode) => {
    const t = n.meta.traversal;
    if (n.type === "scopeTraversal" && t && t.length >= 2 && (t[0].segment === "var" || t[0].segment === "local" || t[0].segment === "module")) {
      out.push(`${t[0].segment}.${t[1].segment}`);
    }
    for (const c of n.children ?? []) walk(c);
  };
  const visit = async (v: unknown): Promise<void> => {
    if (typeof v === "string") {
      for (const e of splitTemplate(v).expressions) {
        const ast = await expressionAst("x.tf", e);
        if (ast) walk(ast);
      }
    } else if (Array.isArray(v)) for (const x of v) await visit(x);
    else if (v !== null && typeof v === "object") for (const x of Object.values(v)) await visit(x);
  };
  await visit(value);
  return [...new Set(out)];
}

/** The variables `value` depends on, following locals. */
async function variablesBehind(m: TfModule, value: unknown, seen = new Set<string>()): Promise<Set<string>> {
  const vars = new Set<string>();
  for (const r of await references(value)) {
    const [kind, name] = r.split(".");
    if (kind === "var") vars.add(name);
    else if (kind === "local" && !seen.has(name)) {
      seen.add(name);
      for (const v of await variablesBehind(m, m.locals.get(name)?.value, seen)) vars.add(v);
    }
  }
  return vars;
}

const sensitiveVariables = (m: TfModule) => new Set(blocksOf(m, "variable").filter((v) => v.body.sensitive === true).map((v) => v.name));

describe("the module's secrets", () => {
  it("binds the Worker's secrets as secret_text and its settings as plain_text", async () => {
    expect(Object.keys(mod.locals.get("secret_values")!.value as object).sort()).toEqual([...SECRETS].sort());
    expect(Object.keys(mod.locals.get("vars")!.value as object).sort()).toEqual([...VARS].sort());
    const names = wholeExpression(mod.locals.get("secret_names")!.value)!;
    for (const s of SECRETS) expect(names).toContain(`"${s}"`);
    const bindings = wholeExpression(mod.locals.get("bindings")!.value)!;
    expect(bindings).toMatch(/for name in local\.secret_names : \{ name = name, type = "secret_text", text = local\.secret_values\[name\] \}/);
    expect(bindings).toMatch(/for name in sort\(keys\(local\.vars\)\) : \{ name = name, type = "plain_text", text = local\.vars\[name\] \}/);
  });

  it("feeds every secret from sensitive variables only", async () => {
    const sensitive = sensitiveVariables(mod);
    const values = mod.locals.get("secret_values")!.value as Record<string, unknown>;
    for (const [name, value] of Object.entries(values)) {
      const behind = await variablesBehind(mod, value);
      expect(behind.size, `${name} comes from no variable`).toBeGreaterThan(0);
      for (const v of behind) expect(sensitive.has(v), `var.${v} feeds the secret ${name} but is not sensitive`).toBe(true);
    }
  });

  it("decides which secrets are bound from non-sensitive inputs, so the bindings list stays readable in a plan", async () => {
    const sensitive = sensitiveVariables(mod);
    for (const v of await variablesBehind(mod, mod.locals.get("secret_names")!.value)) expect(sensitive.has(v), `var.${v}`).toBe(false);
  });

  it("derives no output from a sensitive variable", async () => {
    const sensitive = sensitiveVariables(mod);
    for (const out of blocksOf(mod, "output")) {
      expect(out.body.sensitive, `output ${out.name}`).toBeUndefined();
      for (const v of await variablesBehind(mod, out.body.value)) expect(sensitive.has(v), `output ${out.name} depends on var.${v}`).toBe(false);
    }
  });
});

describe.each(EXAMPLES)("examples/%s", (example) => {
  let ex: TfModule;
  beforeAll(async () => {
    ex = await loadModule(join(moduleDir("terraform"), "examples", example));
  });

  it("passes the module's sensitive inputs from sensitive variables", async () => {
    const moduleSensitive = sensitiveVariables(mod);
    const ownSensitive = sensitiveVariables(ex);
    const call = blocksOf(ex, "module")[0];
    for (const [input, value] of Object.entries(call.body)) {
      if (!moduleSensitive.has(input)) continue;
      for (const v of await variablesBehind(ex, value)) expect(ownSensitive.has(v), `${input} = var.${v}, which is not sensitive`).toBe(true);
    }
  });

  it("reads the Cloudflare API token from the environment, not from a variable or file", () => {
    for (const p of blocksOf(ex, "provider")) expect(Object.keys(p.body)).toEqual([]);
  });

  it("outputs nothing sensitive", async () => {
    for (const out of blocksOf(ex, "output")) expect((await references(out.body.value)).every((r) => r.startsWith("module."))).toBe(true);
  });
});
