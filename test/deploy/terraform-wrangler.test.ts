// The Terraform module deploys the same Worker as `wrangler deploy`: the runtime settings, Durable Object
// bindings, classes and migration tags in terraform/wrangler.tf are wrangler.toml's (read by wrangler's own
// config reader), and nothing in either can delete a Durable Object class.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { experimental_readRawConfig } from "wrangler";
import { beforeAll, describe, expect, it } from "vitest";
import { moduleDir } from "./terraform/check-module";
import { type TfModule, blocksOf, loadModule, wholeExpression } from "./terraform/hcl-module";

const ROOT = moduleDir();
let mod: TfModule;
let wrangler: {
  compatibility_date?: string;
  compatibility_flags?: string[];
  durable_objects?: { bindings?: { name: string; class_name: string }[] };
  migrations?: Record<string, unknown>[];
  vars?: Record<string, unknown>;
};

const local = (name: string) => mod.locals.get(name)?.value;

beforeAll(async () => {
  mod = await loadModule(moduleDir("terraform"));
  wrangler = experimental_readRawConfig({ config: join(ROOT, "wrangler.toml") }).rawConfig as typeof wrangler;
});

describe("terraform/wrangler.tf agrees with wrangler.toml", () => {
  it("compatibility date and flags", () => {
    expect(local("compatibility_date")).toBe(wrangler.compatibility_date);
    expect(local("compatibility_flags")).toEqual(wrangler.compatibility_flags);
  });

  it("Durable Object bindings and class names, in order", () => {
    expect(local("durable_object_bindings")).toEqual(wrangler.durable_objects?.bindings?.map(({ name, class_name }) => ({ name, class_name })));
  });

  it("Durable Object migrations: the same tags, in order, with the same classes", () => {
    const migrations = wrangler.migrations ?? [];
    for (const m of migrations) {
      // The module sends tag + new_sqlite_classes steps; any other kind of step needs the module taught first.
      expect(Object.keys(m).sort(), `wrangler.toml migration ${String(m.tag)}: teach terraform/migrations.tf this kind of step`).toEqual(["new_sqlite_classes", "tag"]);
    }
    expect(local("durable_object_migrations")).toEqual(migrations);
    const tags = migrations.map((m) => m.tag);
    expect(new Set(tags).size).toBe(tags.length);
  });

  it("every bound class was created by a migration", () => {
    const created = (wrangler.migrations ?? []).flatMap((m) => (m.new_sqlite_classes as string[] | undefined) ?? []);
    for (const b of wrangler.durable_objects?.bindings ?? []) expect(created).toContain(b.class_name);
  });

  it("wrangler.toml's vars are bound by the module with the same defaults", () => {
    const vars = local("vars") as Record<string, string>;
    const variable = (name: string) => blocksOf(mod, "variable").find((v) => v.name === name)!.body;
    const defaults: Record<string, unknown> = { IPAM_AUTH: variable("auth").default };
    for (const [name, value] of Object.entries(wrangler.vars ?? {})) {
      expect(vars, `wrangler.toml [vars] ${name} is not bound by terraform/bindings.tf`).toHaveProperty(name);
      expect(defaults[name], `the module's default for ${name}`).toBe(value);
    }
  });
});

describe("no deploy deletes a Durable Object class or its data", () => {
  it("neither wrangler.toml nor the module has a deleted_classes step", () => {
    expect(readFileSync(join(ROOT, "wrangler.toml"), "utf8")).not.toMatch(/deleted_classes/);
    for (const f of mod.files) expect(JSON.stringify(f.json), f.name).not.toMatch(/deleted_classes|renamed_classes|transferred_classes/);
  });

  it("the Worker resource cannot be destroyed or replaced by a plan", () => {
    const script = blocksOf(mod, "resource").find((b) => b.type === "cloudflare_workers_script")!;
    const lifecycle = (script.body.lifecycle as { prevent_destroy?: unknown; ignore_changes?: unknown }[])[0];
    expect(lifecycle.prevent_destroy).toBe(true);
    expect(lifecycle.ignore_changes).toBeUndefined();
    expect(script.body.script_name).toBe("${var.script_name}");
    expect(script.body.account_id).toBe("${var.account_id}");
  });

  it("an upgrade sends only the migrations after the applied tag, as wrangler does", () => {
    const migrations = wholeExpression(local("migrations"))!;
    expect(migrations).toMatch(/old_tag\s*=\s*local\.applied_migration_tag/);
    expect(migrations).toMatch(/length\(local\.pending_migrations\) == 0 \? null/);
    expect(wholeExpression(local("pending_migrations"))).toMatch(/slice\(\s*local\.durable_object_migrations, local\.applied_migration_index \+ 1/);
  });
});
