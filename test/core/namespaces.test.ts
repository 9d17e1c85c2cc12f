// Namespaces: reference §1.4, with the errors CONTRACT §3 asks for.
import { describe, expect, it } from "vitest";
import { Ipam, Namespace, checkNamespaceName } from "../../src/core";
import { expectError } from "./helpers";

describe("namespaces", () => {
  it("starts with root, creates idempotently, lists sorted", () => {
    const ipam = new Ipam();
    expect(ipam.listNamespaces()).toEqual(["root"]);
    ipam.createNamespace("testns2");
    ipam.createNamespace("testns1");
    ipam.createNamespace("testns1");
    expect(ipam.listNamespaces()).toEqual(["root", "testns1", "testns2"]);
  });

  it("deletes only empty namespaces, and only existing ones", () => {
    const ipam = new Ipam();
    ipam.createNamespace("a");
    ipam.newPrefix("10.0.0.0/24", { namespace: "a" });
    expectError(() => ipam.deleteNamespace("a"), /^cannot delete namespace with allocated prefixes/, "conflict");
    ipam.deletePrefix("10.0.0.0/24", { namespace: "a" });
    ipam.deleteNamespace("a");
    expectError(() => ipam.deleteNamespace("a"), 'NamespaceDoesNotExist: namespace "a" does not exist', "namespace_not_found");
    expect(ipam.listNamespaces()).toEqual(["root"]);
  });

  it("fails every command in a namespace that does not exist", () => {
    const ipam = new Ipam();
    expectError(() => ipam.newPrefix("10.0.0.0/8", { namespace: "nope" }), 'NamespaceDoesNotExist: namespace "nope" does not exist', "namespace_not_found");
    expectError(() => ipam.listPrefixes({ namespace: "nope" }), /NamespaceDoesNotExist/, "namespace_not_found");
  });

  it("lets an empty root be deleted, as go-ipam does", () => {
    const ipam = new Ipam();
    ipam.deleteNamespace("root");
    expectError(() => ipam.listPrefixes(), /NamespaceDoesNotExist/, "namespace_not_found");
    ipam.createNamespace("root");
    expect(ipam.listPrefixes()).toEqual([]);
  });

  it("accepts go-ipam's test names and rejects odd ones, naming them", () => {
    for (const ok of ["%u6c^qi$u%tSqhQTcjR!zZHNvMB$3XJd", "0b8a4a7e-2d1f-4a2b-9d43-6b3f0c6f9a11", "tenant-a", "a".repeat(63)])
      expect(() => checkNamespaceName(ok)).not.toThrow();
    expectError(() => checkNamespaceName(""), 'invalid namespace "": must not be empty', "invalid_input");
    expectError(() => checkNamespaceName("a".repeat(144)), /is 144 characters long, at most 63 are allowed/, "invalid_input");
    expectError(() => checkNamespaceName("with space"), /^invalid namespace "with space": character " " at position 4/, "invalid_input");
    expectError(() => checkNamespaceName("ünïcode"), /^invalid namespace "ünïcode"/, "invalid_input");
    expectError(() => new Ipam().createNamespace("a/b\n"), /^invalid namespace "a\/b\\n"/, "invalid_input");
  });

  it("rebuilds every namespace from the store", () => {
    const ipam = new Ipam();
    ipam.createNamespace("x");
    ipam.newPrefix("10.0.0.0/24", { namespace: "x" });
    ipam.acquireIP("10.0.0.0/24", { namespace: "x" });
    const again = new Ipam(ipam.store);
    expect(again.listNamespaces()).toEqual(["root", "x"]);
    expect(again.acquireIP("10.0.0.0/24", { namespace: "x" }).ip).toBe("10.0.0.2");
  });
});

describe("command shapes", () => {
  it("names a field of the wrong type instead of throwing a TypeError", () => {
    const ns = new Namespace();
    expectError(() => ns.apply({ op: "acquireIP", prefixCidr: 42 } as never), "invalid command: prefixCidr must be a string, got 42", "invalid_input");
    expectError(() => ns.apply({ op: "acquireChildPrefix", cidr: "10.0.0.0/8", length: 1.5 } as never), "invalid command: length must be an integer from 0 to 4294967295, got 1.5");
    expectError(() => ns.apply({ op: "nope" } as never), 'invalid command: unknown op "nope"');
    expectError(() => ns.apply({ op: "toString" } as never), 'invalid command: unknown op "toString"');
    expectError(() => ns.apply(null as never), "invalid command: a command must be an object");
  });
});
