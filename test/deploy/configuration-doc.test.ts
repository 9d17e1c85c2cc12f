// docs/configuration.md is the one page of settings: every binding the Worker reads (worker/env.ts), every
// var and secret the Terraform module binds, every module variable, the CLI's global flags and environment,
// npm run dev's and the benchmarks' options have a row; the README links it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { moduleDir } from "./terraform/check-module";
import { type TfModule, blocksOf, loadModule } from "./terraform/hcl-module";

const ROOT = moduleDir();
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const doc = read("docs/configuration.md");
/** The names in backticks at the start of each table row's first cell. */
const rows = doc
  .split("\n")
  .filter((l) => l.startsWith("| "))
  .map((l) => l.split("|")[1]);
const documented = (name: string) => rows.some((cell) => cell.includes(`\`${name}`));
/** Names given in the "Where" column (Terraform variables are written `Terraform \`name\``). */
const terraformNames = new Set([...doc.matchAll(/Terraform `([a-z_]+)`/g)].map((m) => m[1]));

let mod: TfModule;
beforeAll(async () => {
  mod = await loadModule(moduleDir("terraform"));
});

describe("docs/configuration.md", () => {
  it("is linked from the README", () => {
    expect(read("README.md")).toContain("(docs/configuration.md)");
  });

  it("has a row for every binding the Worker reads", () => {
    const env = read("worker/env.ts");
    const fields = [...env.matchAll(/^\s+([A-Z][A-Z0-9_]*)\??:/gm)].map((m) => m[1]);
    expect(fields.length).toBeGreaterThan(4);
    for (const f of fields) expect(documented(f), f).toBe(true);
  });

  it("has a row for every var and secret the Terraform module binds", () => {
    for (const local of ["vars", "secret_values"]) {
      for (const name of Object.keys(mod.locals.get(local)!.value as object)) expect(documented(name), name).toBe(true);
    }
  });

  it("names every variable of the Terraform module", () => {
    for (const v of blocksOf(mod, "variable")) expect(terraformNames.has(v.name) || documented(v.name), v.name).toBe(true);
  });

  it("has the CLI's global flags and their environment variables", () => {
    const args = read("src/cli/args.ts");
    const globals = ["endpoint", "grpc-server-endpoint", "token"];
    for (const flag of globals) expect(args).toMatch(new RegExp(`^\\s+"?${flag}"?: \\{ type: "string" \\}`, "m"));
    for (const name of ["--endpoint", "--grpc-server-endpoint", "IPAM_ENDPOINT", "--token", "IPAM_TOKEN", "--namespace"]) expect(doc, name).toContain(`\`${name}\``);
  });

  it("has npm run dev's, npm run build's and the benchmarks' options", () => {
    for (const name of ["--port", "--ip", "--outdir", "--secrets-file", ".dev.vars"]) expect(doc, name).toContain(`\`${name}`);
    const service = read("bench/service.ts");
    const options = [...service.slice(service.indexOf("options: {")).matchAll(/^\s{4}([a-z]+): \{ type:/gm)].map((m) => m[1]);
    expect(options.length).toBeGreaterThan(3);
    for (const o of options) expect(doc, `bench:service --${o}`).toContain(`--${o}`);
    for (const o of ["--passes", "--json"]) expect(doc, `bench ${o}`).toContain(o);
  });
});
