// The MongoDB driver stays where it belongs: only the MongoDB build (wrangler.mongodb.toml) bundles it; the
// default build (wrangler.toml) does not grow by it. Both measured with `wrangler deploy --dry-run`, as the
// README reports them. And the MongoDB build's config is the default one's but for `main` and its vars.
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { removeDir, tempDir } from "../harness/process";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const WRANGLER = `${ROOT}/node_modules/wrangler/bin/wrangler.js`;

async function bundle(config: string): Promise<{ kib: number; gzipKib: number; code: string }> {
  const out = tempDir("bundle");
  try {
    const { stdout } = await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--config", config, "--outdir", out], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(stdout).toContain("--dry-run: exiting now.");
    const code = readFileSync(`${out}/index.js`, "utf8");
    return { kib: statSync(`${out}/index.js`).size / 1024, gzipKib: gzipSync(code).length / 1024, code };
  } finally {
    removeDir(out);
  }
}

/** Strings only the driver's own code holds. */
const DRIVER_MARKERS = ["MongoNetworkError", "mongodb-connection-string-url"];

describe("the Worker bundle with and without the MongoDB driver", () => {
  it("the default build holds none of the driver; the MongoDB build holds it", async () => {
    const lean = await bundle("wrangler.toml");
    const full = await bundle("wrangler.mongodb.toml");
    console.log(
      `[workers-mongodb] wrangler deploy --dry-run: default build ${lean.kib.toFixed(0)} KiB (gzip ${lean.gzipKib.toFixed(0)} KiB), ` +
        `MongoDB build ${full.kib.toFixed(0)} KiB (gzip ${full.gzipKib.toFixed(0)} KiB): the driver adds ${(full.kib - lean.kib).toFixed(0)} KiB`,
    );
    for (const m of DRIVER_MARKERS) {
      expect(lean.code.includes(m), `default build contains ${m}`).toBe(false);
      expect(full.code.includes(m), `MongoDB build lacks ${m}`).toBe(true);
    }
    expect(full.kib - lean.kib).toBeGreaterThan(1000);
  });

  it("wrangler.mongodb.toml is wrangler.toml but for main and the store vars", () => {
    const base = unstable_readConfig({ config: `${ROOT}/wrangler.toml` }, { hideWarnings: true });
    const mongo = unstable_readConfig({ config: `${ROOT}/wrangler.mongodb.toml` }, { hideWarnings: true });
    for (const key of ["name", "compatibility_date", "compatibility_flags", "durable_objects", "migrations"] as const) {
      expect(mongo[key], key).toEqual(base[key]);
    }
    expect(mongo.vars).toEqual({ ...base.vars, IPAM_STORE: "mongodb" });
    expect(mongo.main).toMatch(/worker\/mongodb\/index\.ts$/);
  });
});
