// The examples in docs/dump-format.md load as documented, and are exactly what Dump writes back.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { Ipam } from "../../src/core";

const doc = readFileSync(new URL("../../docs/dump-format.md", import.meta.url), "utf8");

/** The first ```json block after the heading. */
function example(heading: string): string {
  const section = doc.slice(doc.indexOf(heading));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  if (!doc.includes(heading) || !block) throw new Error(`docs/dump-format.md has no json block under "${heading}"`);
  return block[1];
}

it("go-ipam's format: the example loads, and exports as written", () => {
  const text = example("## go-ipam's format");
  const ipam = new Ipam();
  ipam.importGoIpam(text);
  expect(JSON.parse(ipam.exportGoIpam())).toEqual(JSON.parse(text));
});

it("our format: the example loads, and dumps as written", () => {
  const text = example("## Our format");
  const ipam = new Ipam();
  ipam.load(text);
  expect(ipam.dump()).toBe(JSON.stringify(JSON.parse(text)));
  expect(ipam.usage("10.0.0.0/16").acquiredPrefixes).toBe(1n);
  expect(ipam.listIPs("10.0.1.0/24")).toEqual(["10.0.1.0", "10.0.1.1", "10.0.1.255"]);
});
