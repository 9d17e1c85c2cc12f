// `npm run build` writes the bundle the Terraform module uploads: the same path, the hash the module sends
// as content_sha256, one module exporting the Durable Object classes the module binds, the commit it was
// built from, and a size under Cloudflare's limit for the Workers Free plan (3 MB after gzip).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { moduleDir } from "./terraform/check-module";
import { type TfModule, blocksOf, loadModule, wholeExpression } from "./terraform/hcl-module";

const ROOT = moduleDir();
const FREE_PLAN_LIMIT = 3_000_000;

let mod: TfModule;
let build: { stdout: string; stderr: string; status: number | null };

beforeAll(async () => {
  mod = await loadModule(moduleDir("terraform"));
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: ROOT, encoding: "utf8" });
  build = { stdout: r.stdout, stderr: r.stderr, status: r.status };
});

/** The bundle path the module uses when bundle_path is not set, resolved as Terraform would. */
function defaultBundlePath(): string {
  const expr = wholeExpression(mod.locals.get("bundle_path")!.value)!;
  const m = /: "\$\{path\.module\}\/([^"]+)"$/.exec(expr);
  if (!m) throw new Error(`local.bundle_path has no "\${path.module}/..." default: ${expr}`);
  return resolve(ROOT, "terraform", m[1]);
}

describe("npm run build", () => {
  it("succeeds and prints the bundle's size and hash", () => {
    expect(build.status, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/^dist\/index\.js: [\d.]+ KiB, gzip [\d.]+ KiB/m);
  });

  it("writes the file the module uploads by default, and prints the hash the module sends", () => {
    const path = defaultBundlePath();
    expect(path).toBe(join(ROOT, "dist", "index.js"));
    const sha256 = createHash("sha256").update(readFileSync(path)).digest("hex");
    expect(build.stdout).toContain(`sha256 ${sha256}`);
  });

  it("is what the module's script resource points at: one module, hashed from the same file", () => {
    const script = blocksOf(mod, "resource").find((b) => b.type === "cloudflare_workers_script")!.body;
    expect(script.content_file).toBe("${local.bundle_path}");
    expect(script.content_sha256).toBe("${filesha256(local.bundle_path)}");
    expect(script.main_module).toBe("${basename(local.bundle_path)}");
    expect(existsSync(join(ROOT, "dist", "index.js.map"))).toBe(true);
  });

  it("exports the Durable Object classes the module binds, and the fetch handler", () => {
    const text = readFileSync(join(ROOT, "dist", "index.js"), "utf8");
    // The module's last export block (bundled license comments may follow it).
    const exported = [...text.matchAll(/^export\s*\{([^}]*)\}\s*;/gm)].pop()?.[1] ?? "";
    const names = exported.split(",").map((s) => s.trim().split(/\s+as\s+/).pop());
    for (const b of mod.locals.get("durable_object_bindings")!.value as { class_name: string }[]) expect(names).toContain(b.class_name);
    expect(names).toContain("default");
  });

  it("records the commit it was built from, which the module sends as GIT_REVISION", () => {
    const head = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    expect(readFileSync(join(ROOT, "dist", "GIT_REVISION"), "utf8").trim()).toBe(head);
    expect(mod.locals.get("revision_file")!.value).toBe("${dirname(local.bundle_path)}/GIT_REVISION");
  });

  it("stays under the Workers Free plan's size limit", () => {
    const bundle = readFileSync(join(ROOT, "dist", "index.js"));
    const gzip = gzipSync(bundle).length;
    console.log(`bundle: ${bundle.length} bytes, ${gzip} bytes gzip (${((100 * gzip) / FREE_PLAN_LIMIT).toFixed(1)}% of the Workers Free limit of 3 MB)`);
    expect(gzip).toBeLessThan(FREE_PLAN_LIMIT);
  });
});
