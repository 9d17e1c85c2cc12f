// The README's examples, run as a new user would: in the order they are written, against one fresh
// `npm run dev`. Blocks marked `<!-- readme-test: ... -->` run; each shell line's trailing comment is its
// answer (several output lines shown on one, separated by spaces). The connect-es snippet runs from a fresh
// folder with only the packages the README names and the generated ipam_pb.ts copied next to it.
import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, REPO_ROOT, startDevServer } from "./dev-server";

const MARK = "<!-- readme-test:";

interface Block {
  lang: string;
  code: string;
  marked: boolean;
  /** The paragraph before the block. */
  before: string;
}

function readmeBlocks(): Block[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const blocks: Block[] = [];
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  let last = 0;
  for (let m = fence.exec(readme); m !== null; m = fence.exec(readme)) {
    const before = readme.slice(last, m.index);
    const lines = before.trimEnd().split("\n");
    blocks.push({ lang: m[1], code: m[2], marked: lines[lines.length - 1].startsWith(MARK), before });
    last = m.index + m[0].length;
  }
  return blocks;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A shell line and the answer its trailing comment gives. */
function commandAndAnswer(line: string): { command: string; answer?: string } {
  const m = /^(.*?)\s{2,}#\s(.*)$/.exec(line);
  return m ? { command: m[1], answer: m[2] } : { command: line };
}

const blocks = readmeBlocks();
let dev: DevServer;
let scratch: string;

beforeAll(async () => {
  dev = await startDevServer();
  scratch = mkdtempSync(join(tmpdir(), "ipam-readme-"));
});

afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await dev?.stop();
});

describe("README.md", () => {
  it("marks its runnable examples, and every curl or CLI example is marked", () => {
    expect(blocks.filter((b) => b.marked).map((b) => b.lang)).toEqual(["sh", "sh", "ts"]);
    for (const b of blocks.filter((x) => !x.marked && x.lang === "sh")) expect(b.code).not.toMatch(/^(curl|npx ipam) /m);
  });

  it("runs its examples in order against a fresh npm run dev, each giving the answer written next to it", async () => {
    for (const block of blocks.filter((b) => b.marked)) {
      if (block.lang === "sh") {
        for (const line of block.code.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("#"))) {
          const { command, answer } = commandAndAnswer(line);
          const r = await run("bash", ["-c", command.replaceAll("localhost:8787", `localhost:${dev.port}`)], {
            cwd: REPO_ROOT,
            env: { IPAM_ENDPOINT: dev.url },
          });
          // curl writes its progress meter to stderr when stdout is no terminal; the CLI writes only errors there.
          const stderr = command.startsWith("curl ") ? "" : r.stderr;
          expect({ command, code: r.code, stderr }).toEqual({ command, code: 0, stderr: "" });
          if (answer !== undefined) expect({ command, answer: r.stdout.trim().split("\n").join(" ") }).toEqual({ command, answer });
        }
      } else {
        expect(await runConnectEsSnippet(block)).toEqual({ code: 0, stdout: "10.0.0.1\n", stderr: "" });
      }
    }
  });
});

/** The connect-es snippet, from a fresh folder holding the packages the README names and ipam_pb.ts. */
async function runConnectEsSnippet(block: Block): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const install = /`npm i ([^`]+)`/.exec(block.before)?.[1].split(/\s+/) ?? [];
  const gen = readFileSync(join(REPO_ROOT, "src/gen/api/v1/ipam_pb.ts"), "utf8");
  const bareImports = [...`${block.code}\n${gen}`.matchAll(/^import .* from "([^.][^"]*)";$/gm)].map((m) => m[1]);
  const packages = new Set(bareImports.map((i) => (i.startsWith("@") ? i.split("/").slice(0, 2).join("/") : i.split("/")[0])));
  for (const p of packages) expect(install, `the README's npm i line lacks ${p}`).toContain(p);
  expect(install).toContain("tsx");
  expect(block.before).toContain("npx tsx client.mts");
  // The installed packages: this checkout's copies (the test has no registry).
  symlinkSync(join(REPO_ROOT, "node_modules"), join(scratch, "node_modules"), "dir");
  copyFileSync(join(REPO_ROOT, "src/gen/api/v1/ipam_pb.ts"), join(scratch, "ipam_pb.ts"));
  writeFileSync(join(scratch, "client.mts"), block.code);
  return run("npx", ["--no", "tsx", "client.mts"], { cwd: scratch, env: { IPAM_ENDPOINT: dev.url, IPAM_TOKEN: "" } });
}
