// The README's library example (a port of go-ipam's seed example) is taken from README.md and run as written.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import * as lib from "../../src";

function readmeExample(): string {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### As a library"));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (block === null) throw new Error("README.md has no ts block under '### As a library'");
  return block[1];
}

it("runs the README's library example as written", () => {
  const code = readmeExample();
  expect(code).toMatch(/^import \{ Ipam \} from "edge-ipam";/);
  const lines: string[] = [];
  const fakeConsole = { log: (...args: unknown[]) => lines.push(args.join(" ")) };
  const body = code.replace(/^import .*\n/m, "");
  new Function("Ipam", "console", body)(lib.Ipam, fakeConsole);
  expect(lines).toEqual([
    "Super IP 192.168.0.1",
    "IP released 192.168.0.1",
    "children 2001:aabb::/64 2001:aabb:0:1::/72 ip 2001:aabb:0:1::1",
  ]);
});
