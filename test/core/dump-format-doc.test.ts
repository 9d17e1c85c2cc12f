// The examples in docs/dump-format.md load as documented, and are exactly what Dump writes back.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { Ipam } from "../../src/core";

const doc = readFileSync(new URL("../../docs/dump-format.md", import.meta.url), "utf8");

/** The first (or `nth`) ```json block after the heading. */
function example(heading: string, nth = 0): string {
  const section = doc.slice(doc.indexOf(heading));
  const block = [...section.matchAll(/```json\n([\s\S]*?)```/g)][nth];
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

it("labels and reservations: both examples load, describe the same namespace, and are written back as shown", () => {
  const ours = example("## Labels and reservations", 0);
  const go = example("## Labels and reservations", 1);
  const a = new Ipam();
  a.load(ours);
  expect(a.dump()).toBe(JSON.stringify(JSON.parse(ours)));
  expect(JSON.parse(a.exportGoIpam())).toEqual(JSON.parse(go));
  const b = new Ipam();
  b.importGoIpam(go);
  expect(b.dump()).toBe(a.dump());
  expect(a.prefixFrom("10.0.0.0/30")).toEqual({ cidr: "10.0.0.0/30", parentCidr: "", labels: { link: "p2p" }, reservation: "none" });
  expect(a.listIPEntries("10.0.0.0/30").labelled.map((e) => [e.ip, e.labels])).toEqual([["10.0.0.0", { end: "a" }], ["10.0.0.1", { end: "b" }]]);
});
