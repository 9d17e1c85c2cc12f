// The Terraform module and its examples, checked offline against Terraform's block schemas and the Cloudflare
// provider 5.14.0 schema from @cdktf/provider-cloudflare's jsii manifest (no terraform binary or registry is
// reachable here). A copy of the module with one deliberate mistake must fail the same check.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allows, checkModule, moduleDir } from "./terraform/check-module";
import { loadProviderSchema } from "./terraform/provider-schema";

const MODULE = moduleDir("terraform");
const EXAMPLES = ["durable-object-workers-dev", "postgres-neon", "redis-upstash-custom-domain"];

describe("the provider schema the checks use", () => {
  it("is the cloudflare provider 5.14.0, from @cdktf/provider-cloudflare 13.9", () => {
    const schema = loadProviderSchema();
    expect(schema.providerVersion).toBe("5.14.0");
    expect(schema.packageVersion).toMatch(/^13\.9\./);
    const script = schema.block("resource", "cloudflare_workers_script")!;
    expect([...script.args.values()].filter((f) => f.required).map((f) => f.name)).toEqual(["account_id", "script_name"]);
    expect(script.attributes.has("migration_tag")).toBe(true);
  });

  it("reads version constraints as Terraform does", () => {
    expect(allows("~> 5.14", "5.14.0")).toBe(true);
    expect(allows("~> 5.14", "5.99.1")).toBe(true);
    expect(allows("~> 5.14", "6.0.0")).toBe(false);
    expect(allows("~> 5.14", "5.13.9")).toBe(false);
    expect(allows("~> 5.14.2", "5.14.9")).toBe(true);
    expect(allows("~> 5.14.2", "5.15.0")).toBe(false);
    expect(allows(">= 5.0, < 6", "5.14.0")).toBe(true);
    expect(allows("~> 4.52", "5.14.0")).toBe(false);
  });
});

describe("terraform/", () => {
  it("has exactly the documented examples", () => {
    expect(readdirSync(join(MODULE, "examples")).sort()).toEqual(EXAMPLES);
  });

  it.each(["", ...EXAMPLES.map((e) => `examples/${e}`)])("%s passes every check", async (sub) => {
    expect(await checkModule(join(MODULE, sub))).toEqual([]);
  });
});

describe("a copy of the module with one mistake fails the check", () => {
  const copies: string[] = [];
  afterAll(() => {
    for (const c of copies) rmSync(c, { recursive: true, force: true });
  });

  async function problemsWith(file: string, from: string, to: string): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), "ipam-tf-"));
    copies.push(dir);
    cpSync(MODULE, dir, { recursive: true });
    const path = join(dir, file);
    const text = readFileSync(path, "utf8");
    expect(text, `${file} no longer contains ${from}`).toContain(from);
    writeFileSync(path, text.replace(from, to));
    return checkModule(dir);
  }

  it.each([
    ["a misspelt argument", "script.tf", "compatibility_date  = local", "compatability_date  = local", 'resource cloudflare_workers_script.this: unknown argument "compatability_date" (did you mean "compatibility_date"?)'],
    ["provider 4's name instead of script_name", "script.tf", "script_name = var.script_name", "name        = var.script_name", 'unknown argument "name"'],
    ["provider 4's name, so script_name is missing", "script.tf", "script_name = var.script_name", "name        = var.script_name", 'missing required argument "script_name"'],
    ["provider 4's resource name", "script.tf", 'resource "cloudflare_workers_script" "this"', 'resource "cloudflare_worker_script" "this"', 'has no resource cloudflare_worker_script (did you mean "cloudflare_workers_script"?)'],
    ["a misspelt attribute in a binding built by a for expression", "bindings.tf", "class_name = b.class_name", "class = b.class_name", 'bindings (local.bindings)[*]: unknown attribute "class"'],
    ["a misspelt attribute in a migration step", "migrations.tf", "{ new_sqlite_classes = m.new_sqlite_classes }", "{ new_sqllite_classes = m.new_sqlite_classes }", 'steps[*]: unknown attribute "new_sqllite_classes" (did you mean "new_sqlite_classes"?)'],
    ["a misspelt argument of the workers.dev resource", "endpoint.tf", "previews_enabled = false", "preview_enabled = false", 'unknown argument "preview_enabled" (did you mean "previews_enabled"?)'],
    ["migrations written as a block (provider 4 style)", "script.tf", "  migrations = local.migrations", '  migrations {\n    new_tag = "v1"\n  }', '"migrations {" is block syntax'],
    ["an attribute the resource does not have", "script.tf", "cloudflare_workers_script.this.migration_tag ==", "cloudflare_workers_script.this.migration_tags ==", 'cloudflare_workers_script.this has no attribute "migration_tags" (did you mean "migration_tag"?)'],
    ["an attribute the data source's elements do not have", "migrations.tf", "s.id == var.script_name", "s.name == var.script_name", 's.name: the elements have no attribute "name"'],
    ["an undeclared variable", "endpoint.tf", "zone_id    = var.custom_domain.zone_id", "zone_id    = var.custom_domian.zone_id", 'var.custom_domian is not declared (did you mean "custom_domain"?)'],
    ["a string where a list belongs", "script.tf", "compatibility_flags = local.compatibility_flags", 'compatibility_flags = "nodejs_compat"', "compatibility_flags: expected a list, got a string"],
  ])("%s", async (_what, file, from, to, expected) => {
    const problems = await problemsWith(file, from, to);
    expect(problems.some((p) => p.includes(expected)), `expected a problem containing ${JSON.stringify(expected)}, got:\n${problems.join("\n")}`).toBe(true);
  });

  it("an example calling the module with an input it does not have", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ipam-tf-"));
    copies.push(dir);
    cpSync(MODULE, join(dir, "terraform"), { recursive: true });
    const main = join(dir, "terraform/examples/durable-object-workers-dev/main.tf");
    writeFileSync(main, readFileSync(main, "utf8").replace("workers_dev           = true", "workers_dve           = true"));
    expect(await checkModule(join(dir, "terraform/examples/durable-object-workers-dev"))).toEqual([
      'main.tf: module ipam: the module has no input "workers_dve" (did you mean "workers_dev"?)',
    ]);
  });
});
