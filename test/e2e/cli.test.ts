// End to end: `npm run dev` on a private port with throw-away storage, the seed's curl call verbatim, then
// the `ipam` CLI as a user runs it, checking its exact output, stderr and exit codes.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevServer, REPO_ROOT, freePort, groupMembers, startDevServer } from "./dev-server";
import { type CliResult, cliFor, runCli } from "./run-cli";

let dev: DevServer;
let ipam: ReturnType<typeof cliFor>;
let scratch: string;

beforeAll(async () => {
  dev = await startDevServer();
  ipam = cliFor(dev.url);
  scratch = mkdtempSync(join(tmpdir(), "ipam-e2e-"));
});

afterAll(async () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  await dev?.stop(); // idempotent: the last test has normally stopped it already
});

/** The command succeeded and printed exactly these lines. */
function ok(r: CliResult, ...lines: string[]): void {
  expect({ code: r.code, stderr: r.stderr, stdout: r.stdout }).toEqual({ code: 0, stderr: "", stdout: lines.map((l) => `${l}\n`).join("") });
}

/** The call failed: nothing on stdout, exactly this error line on stderr, exit code 1. */
function failed(r: CliResult, message: string | RegExp): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 1, stdout: "" });
  if (typeof message === "string") expect(r.stderr).toBe(`${message}\n`);
  else expect(r.stderr).toMatch(message);
}

/** Bad usage: the problem and usage text on stderr, nothing on stdout, exit code 2. */
function usage(r: CliResult, problem: string, usageLine: string): void {
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: "" });
  expect(r.stderr.startsWith(`ipam: ${problem}\n\n`)).toBe(true);
  expect(r.stderr).toContain(usageLine);
}

describe("npm run dev", () => {
  it("answers the seed's curl call verbatim with an empty prefix list", async () => {
    const { stdout } = await promisify(execFile)("curl", [
      "-X", "POST", "-d", "{}", "-H", "Content-Type: application/json", `localhost:${dev.port}/api.v1.IpamService/ListPrefixes`,
    ]);
    expect(stdout).toBe("{}");
    expect(dev.output()).toContain("auth is DISABLED");
  });
});

describe("ipam CLI: help and usage", () => {
  it("prints help on stdout with exit 0 (--help, -h, help <command>)", async () => {
    const all = await ipam(["--help"]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain("Usage: ipam <command> [flags]");
    expect(all.stdout).toContain("prefix create --cidr CIDR [--label KEY=VALUE]... [--reserve none] [--namespace NAME]");
    expect(all.stdout).toContain("namespace create NAME");
    const one = await ipam(["help", "ip", "release"]);
    expect(one.code).toBe(0);
    expect(one.stdout.split("\n")[0]).toBe("Usage: ipam ip release (--ip IP... --prefix CIDR | --label KEY=VALUE... [--prefix CIDR]) [--namespace NAME]");
    const h = await ipam(["prefix", "acquire", "-h"]);
    expect(h.stdout.split("\n")[0]).toBe("Usage: ipam prefix acquire --parent CIDR --length N [--count N] [--label KEY=VALUE]... [--reserve none] [--namespace NAME]");
  });

  it("answers bad usage with the problem and the usage text on stderr, exit 2", async () => {
    usage(await ipam([]), "no command given", "Usage: ipam <command> [flags]");
    usage(await ipam(["frob"]), 'unknown command "frob"', "Usage: ipam <command> [flags]");
    usage(await ipam(["prefix", "frob"]), 'unknown command "prefix frob"', "Usage: ipam prefix <command> [flags]");
    usage(await ipam(["prefix"]), '"prefix" needs a command', "Usage: ipam prefix <command> [flags]");
    usage(await ipam(["prefix", "create"]), '"prefix create" needs --cidr', "Usage: ipam prefix create --cidr CIDR");
    usage(await ipam(["ip", "release", "--ip", "10.0.0.1"]), '"ip release" needs --prefix', "Usage: ipam ip release");
    usage(await ipam(["prefix", "create", "--cidr"]), 'flag --cidr needs a value (write --cidr=VALUE for a value starting with "-")', "Usage: ipam prefix create");
    usage(await ipam(["prefix", "create", "--frob", "1"]), "unknown flag --frob", "Usage: ipam prefix create");
    usage(await ipam(["prefix", "create", "--parent", "10.0.0.0/8"]), 'flag --parent is not valid for "prefix create"', "Usage: ipam prefix create");
    usage(await ipam(["prefix", "acquire", "--parent", "10.0.0.0/8", "--length", "x"]), '--length must be a whole number from 0 to 4294967295, not "x"', "Usage: ipam prefix acquire");
    usage(await ipam(["prefix", "list", "extra"]), 'unexpected argument "extra"', "Usage: ipam prefix list");
    usage(await ipam(["namespace", "create", "a", "--name", "b"]), "the namespace's name is given twice, with different values", "Usage: ipam namespace create NAME");
    usage(await ipam(["version", "--endpoint", "ftp://x"]), 'endpoint "ftp://x" must be an http:// or https:// URL', "Usage: ipam <command> [flags]");
    usage(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/8", "--count", "x"]), '--count must be a whole number (1 to 4096), not "x"', "Usage: ipam ip acquire");
    usage(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/8", "--count", "2", "--ip", "10.0.0.1"]), '"ip acquire" takes --count or --ip, not both', "Usage: ipam ip acquire");
    usage(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/8", "--label", "owner"]), '--label must be KEY=VALUE, not "owner"', "Usage: ipam ip acquire");
    usage(await ipam(["ip", "release", "--label", "a=b", "--ip", "10.0.0.1"]), '"ip release" takes --ip or --label, not both', "Usage: ipam ip release");
    usage(await ipam(["prefix", "create", "--cidr", "10.0.0.0/8", "--reserve", "all"]), '--reserve must be "none" or "default", not "all"', "Usage: ipam prefix create");
    usage(await ipam(["prefix", "release", "--cidr", "10.0.0.0/8", "--label", "a=b"]), 'flag --label is not valid for "prefix release"', "Usage: ipam prefix release");
  });

  it("runs through npx ipam from a subdirectory, and bin/ipam.mjs from any directory", async () => {
    const viaNpx = await ipam(["version"], { viaNpx: true, cwd: join(REPO_ROOT, "docs") });
    expect(viaNpx.code).toBe(0);
    expect(viaNpx.stdout).toMatch(/^version:"\d+\.\d+\.\d+[^"]*" revision:"[0-9a-f]*" gitSha1:"[0-9a-f]*" buildDate:""\n$/);
    const elsewhere = await runCli(["version", "--endpoint", dev.url], { cwd: tmpdir(), env: { IPAM_ENDPOINT: undefined } });
    expect(elsewhere.stdout).toBe(viaNpx.stdout);
  });
});

describe("ipam CLI: prefixes and IPs in root", () => {
  it("creates a prefix with host bits masked and lists it", async () => {
    ok(await ipam(["prefix", "create", "--cidr", "10.0.0.1/16"]), 'prefix:"10.0.0.0/16" created');
    ok(await ipam(["prefix", "list"]), 'Prefix:"10.0.0.0/16" parent:""');
    ok(await ipam(["prefix", "get", "--cidr", "10.0.0.0/16"]), 'Prefix:"10.0.0.0/16" parent:""');
  });

  it("acquires the lowest free IPs, lists, releases and reuses them", async () => {
    ok(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/16"]), 'ip:"10.0.0.1" acquired');
    ok(await ipam(["i", "acquire", "--prefix=10.0.0.0/16"]), 'ip:"10.0.0.2" acquired');
    ok(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/16", "--ip", "10.0.0.100"]), 'ip:"10.0.0.100" acquired');
    ok(await ipam(["ip", "list", "--prefix", "10.0.0.0/16"]), 'ip:"10.0.0.0"', 'ip:"10.0.0.1"', 'ip:"10.0.0.2"', 'ip:"10.0.0.100"', 'ip:"10.0.255.255"');
    ok(await ipam(["prefix", "usage", "--cidr", "10.0.0.0/16"]), "ip:5/65536");
    ok(await ipam(["ip", "release", "--ip", "10.0.0.1", "--prefix", "10.0.0.0/16"]), 'ip:"10.0.0.1" released');
    ok(await ipam(["ip", "acquire", "--prefix", "10.0.0.0/16"]), 'ip:"10.0.0.1" acquired');
    for (const ip of ["10.0.0.1", "10.0.0.2", "10.0.0.100"]) {
      ok(await ipam(["ip", "release", "--ip", ip, "--prefix", "10.0.0.0/16"]), `ip:"${ip}" released`);
    }
    ok(await ipam(["ip", "list", "--prefix", "10.0.0.0/16"]), 'ip:"10.0.0.0"', 'ip:"10.0.255.255"');
  });

  it("acquires, uses, releases child prefixes and deletes the parent", async () => {
    ok(await ipam(["prefix", "acquire", "--parent", "10.0.0.0/16", "--length", "24"]), 'child prefix:"10.0.0.0/24" from "10.0.0.0/16" created');
    ok(await ipam(["p", "acquire", "--parent", "10.0.0.0/16", "--length", "22"]), 'child prefix:"10.0.4.0/22" from "10.0.0.0/16" created');
    ok(
      await ipam(["prefix", "list"]),
      'Prefix:"10.0.0.0/16" parent:""',
      'Prefix:"10.0.0.0/24" parent:"10.0.0.0/16"',
      'Prefix:"10.0.4.0/22" parent:"10.0.0.0/16"',
    );
    ok(await ipam(["prefix", "usage", "--cidr", "10.0.0.0/16"]), "ip:2/65536 prefixes alloc:2 avail:16064");
    ok(await ipam(["ip", "acquire", "--prefix", "10.0.4.0/22"]), 'ip:"10.0.4.1" acquired');
    failed(await ipam(["prefix", "release", "--cidr", "10.0.4.0/22"]), /^invalid_argument: .*10\.0\.4\.0\/22.*\n$/);
    failed(await ipam(["prefix", "delete", "--cidr", "10.0.0.0/16"]), /^invalid_argument: prefix 10\.0\.0\.0\/16 has childprefixes, .*\n$/);
    ok(await ipam(["ip", "release", "--ip", "10.0.4.1", "--prefix", "10.0.4.0/22"]), 'ip:"10.0.4.1" released');
    ok(await ipam(["prefix", "release", "--cidr", "10.0.4.0/22"]), 'child prefix:"10.0.4.0/22" from "10.0.0.0/16" released');
    failed(await ipam(["prefix", "release", "--cidr", "10.0.4.0/22"]), "not_found: NotFound prefix 10.0.4.0/22 not found");
    ok(await ipam(["prefix", "release", "--cidr", "10.0.0.0/24"]), 'child prefix:"10.0.0.0/24" from "10.0.0.0/16" released');
    ok(await ipam(["prefix", "usage", "--cidr", "10.0.0.0/16"]), "ip:2/65536");
    ok(await ipam(["prefix", "delete", "--cidr", "10.0.0.0/16"]), 'prefix:"10.0.0.0/16" deleted');
    expect(await ipam(["prefix", "list"])).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("speaks IPv6 with canonical output", async () => {
    ok(await ipam(["prefix", "create", "--cidr", "2001:0db8:0:0::/64"]), 'prefix:"2001:db8::/64" created');
    ok(await ipam(["ip", "acquire", "--prefix", "2001:db8::/64"]), 'ip:"2001:db8::1" acquired');
    ok(await ipam(["ip", "release", "--ip", "2001:0db8::0001", "--prefix", "2001:db8::/64"]), 'ip:"2001:db8::1" released');
    ok(await ipam(["prefix", "delete", "--cidr", "2001:db8::/64"]), 'prefix:"2001:db8::/64" deleted');
  });
});

describe("ipam CLI: failed calls print the error on stderr and exit 1", () => {
  it("reports parse errors, overlaps, exhaustion, taken and unknown addresses", async () => {
    failed(await ipam(["prefix", "create", "--cidr", "10.0.0.0/33"]), /^invalid_argument: .*10\.0\.0\.0\/33.*\n$/);
    failed(await ipam(["prefix", "create", "--cidr", "not-a-cidr"]), /^invalid_argument: .*not-a-cidr.*\n$/);
    ok(await ipam(["prefix", "create", "--cidr", "10.9.0.0/30"]), 'prefix:"10.9.0.0/30" created');
    failed(await ipam(["prefix", "create", "--cidr", "10.9.0.0/24"]), "invalid_argument: 10.9.0.0/24 overlaps 10.9.0.0/30");
    ok(await ipam(["ip", "acquire", "--prefix", "10.9.0.0/30"]), 'ip:"10.9.0.1" acquired');
    failed(await ipam(["ip", "acquire", "--prefix", "10.9.0.0/30", "--ip", "10.9.0.1"]), "already_exists: AlreadyAllocatedError: given ip:10.9.0.1 is already allocated");
    ok(await ipam(["ip", "acquire", "--prefix", "10.9.0.0/30"]), 'ip:"10.9.0.2" acquired');
    failed(await ipam(["ip", "acquire", "--prefix", "10.9.0.0/30"]), /^not_found: NoIPAvailableError: .*10\.9\.0\.0\/30.*\n$/);
    failed(await ipam(["ip", "acquire", "--prefix", "10.8.0.0/24"]), /^invalid_argument: NotFound: .*10\.8\.0\.0\/24.*\n$/);
    failed(await ipam(["prefix", "delete", "--cidr", "10.8.0.0/24"]), /^not_found: .*10\.8\.0\.0\/24.*\n$/);
    failed(await ipam(["prefix", "acquire", "--parent", "10.9.0.0/30", "--length", "200"]), "invalid_argument: length must not be greater than 128");
    failed(await ipam(["prefix", "usage", "--cidr", "10.8.0.0/24"]), /^not_found: .*10\.8\.0\.0\/24.*\n$/);
    for (const ip of ["10.9.0.1", "10.9.0.2"]) ok(await ipam(["ip", "release", "--ip", ip, "--prefix", "10.9.0.0/30"]), `ip:"${ip}" released`);
    failed(await ipam(["ip", "release", "--ip", "10.9.0.2", "--prefix", "10.9.0.0/30"]), /^not_found: NotFound: .*10\.9\.0\.2.*\n$/);
    ok(await ipam(["prefix", "delete", "--cidr", "10.9.0.0/30"]), 'prefix:"10.9.0.0/30" deleted');
  });

  it("reports an unreachable server and an unreadable dump file", async () => {
    const closed = await freePort(); // nothing listens there
    failed(await ipam(["prefix", "list", "--endpoint", `http://127.0.0.1:${closed}`]), `unavailable: cannot reach http://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`);
    failed(await ipam(["backup", "restore", "--file", join(scratch, "missing.json")]), `open ${join(scratch, "missing.json")}: no such file or directory`);
  });
});

describe("ipam CLI: namespaces and backups", () => {
  it("creates, lists and isolates namespaces", async () => {
    ok(await ipam(["namespace", "create", "tenant-a"]), 'namespace:"tenant-a" created');
    ok(await ipam(["ns", "create", "--name", "tenant-b"]), 'namespace:"tenant-b" created');
    ok(await ipam(["namespace", "list"]), 'Namespace:"root"', 'Namespace:"tenant-a"', 'Namespace:"tenant-b"');
    ok(await ipam(["prefix", "create", "--cidr", "172.16.0.0/16", "--namespace", "tenant-a"]), 'prefix:"172.16.0.0/16" created');
    // The same CIDR lives in another namespace, with its own addresses.
    ok(await ipam(["prefix", "create", "--cidr", "172.16.0.0/16"]), 'prefix:"172.16.0.0/16" created');
    ok(await ipam(["ip", "acquire", "--prefix", "172.16.0.0/16"]), 'ip:"172.16.0.1" acquired');
    ok(await ipam(["ip", "acquire", "--prefix", "172.16.0.0/16", "--namespace", "tenant-a"]), 'ip:"172.16.0.1" acquired');
    ok(await ipam(["prefix", "create", "--cidr", "172.20.0.0/16", "--namespace", "tenant-a"]), 'prefix:"172.20.0.0/16" created');
    ok(await ipam(["prefix", "acquire", "--parent", "172.20.0.0/16", "--length", "24", "--namespace", "tenant-a"]), 'child prefix:"172.20.0.0/24" from "172.20.0.0/16" created');
    ok(
      await ipam(["prefix", "list", "--namespace", "tenant-a"]),
      'Prefix:"172.16.0.0/16" parent:""',
      'Prefix:"172.20.0.0/16" parent:""',
      'Prefix:"172.20.0.0/24" parent:"172.20.0.0/16"',
    );
    ok(await ipam(["prefix", "list"]), 'Prefix:"172.16.0.0/16" parent:""');
    ok(await ipam(["prefix", "list", "--namespace", "tenant-b"]));
    failed(await ipam(["prefix", "list", "--namespace", "nope"]), 'not_found: NamespaceDoesNotExist: namespace "nope" does not exist');
    failed(await ipam(["namespace", "create", "bad name"]), /^invalid_argument: .*"bad name".*\n$/);
  });

  it("backs up a namespace and restores it elsewhere, from a file and from stdin", async () => {
    const dumped = await ipam(["backup", "create", "--namespace", "tenant-a"]);
    expect({ code: dumped.code, stderr: dumped.stderr }).toEqual({ code: 0, stderr: "" });
    expect(dumped.stdout.endsWith("]\n")).toBe(true);
    const dump = JSON.parse(dumped.stdout) as { Cidr: string; ParentCidr: string; IsParent: boolean; IPs: Record<string, boolean> }[];
    expect(dump.map((p) => [p.Cidr, p.ParentCidr, p.IsParent]).sort()).toEqual([
      ["172.16.0.0/16", "", false],
      ["172.20.0.0/16", "", true],
      ["172.20.0.0/24", "172.20.0.0/16", false],
    ]);
    const file = join(scratch, "tenant-a.json");
    writeFileSync(file, dumped.stdout);

    ok(await ipam(["backup", "restore", "--file", file, "--namespace", "tenant-b"]), "database restored");
    const listA = await ipam(["prefix", "list", "--namespace", "tenant-a"]);
    expect(await ipam(["prefix", "list", "--namespace", "tenant-b"])).toEqual(listA);
    expect(await ipam(["ip", "list", "--prefix", "172.16.0.0/16", "--namespace", "tenant-b"])).toEqual(
      await ipam(["ip", "list", "--prefix", "172.16.0.0/16", "--namespace", "tenant-a"]),
    );
    // The restored namespace carries on where the original was.
    ok(await ipam(["ip", "acquire", "--prefix", "172.16.0.0/16", "--namespace", "tenant-b"]), 'ip:"172.16.0.2" acquired');
    failed(await ipam(["backup", "restore", "--file", file, "--namespace", "tenant-b"]), "invalid_argument: prefixes exist, please drop existing data before loading");

    ok(await ipam(["namespace", "create", "tenant-c"]), 'namespace:"tenant-c" created');
    ok(await ipam(["backup", "restore", "--file", "-", "--namespace", "tenant-c"], { stdin: dumped.stdout }), "database restored");
    expect(await ipam(["prefix", "list", "--namespace", "tenant-c"])).toEqual(listA);
    failed(await ipam(["backup", "restore", "--file", file, "--namespace", "nope"]), 'not_found: NamespaceDoesNotExist: namespace "nope" does not exist');
  });

  it("backs up root as go-ipam's dump format", async () => {
    const r = await ipam(["backup", "create"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        Cidr: "172.16.0.0/16",
        ParentCidr: "",
        Namespace: "",
        AvailableChildPrefixes: {},
        ChildPrefixLength: 0,
        IsParent: false,
        IPs: { "172.16.0.0": true, "172.16.0.1": true, "172.16.255.255": true },
        Version: expect.any(Number),
      },
    ]);
  });

  it("deletes namespaces only when empty", async () => {
    failed(await ipam(["namespace", "delete", "tenant-c"]), /^failed_precondition: .*"tenant-c".*\n$/);
    ok(await ipam(["namespace", "create", "scratch"]), 'namespace:"scratch" created');
    ok(await ipam(["namespace", "delete", "--namespace", "scratch"]), 'namespace:"scratch" deleted');
    failed(await ipam(["namespace", "delete", "scratch"]), 'not_found: NamespaceDoesNotExist: namespace "scratch" does not exist');
    ok(await ipam(["namespace", "list"]), 'Namespace:"root"', 'Namespace:"tenant-a"', 'Namespace:"tenant-b"', 'Namespace:"tenant-c"');
  });
});

describe("ipam CLI: labels, bulk calls, reservation choice, overlap checks", () => {
  const n = ["--namespace", "features"];

  it("acquires many addresses at once, with labels, lists and releases them by label", async () => {
    ok(await ipam(["namespace", "create", "features"]), 'namespace:"features" created');
    ok(await ipam(["prefix", "create", "--cidr", "10.50.0.0/24", "--label", "pool=pods", "--label", "zone=eu-1", ...n]), 'prefix:"10.50.0.0/24" created');
    ok(await ipam(["prefix", "get", "--cidr", "10.50.0.0/24", ...n]), 'Prefix:"10.50.0.0/24" parent:"" labels:"pool=pods,zone=eu-1"');
    ok(
      await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", "--count", "3", "--label", "owner=pod-a", ...n]),
      'ip:"10.50.0.1" acquired',
      'ip:"10.50.0.2" acquired',
      'ip:"10.50.0.3" acquired',
    );
    ok(await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", ...n]), 'ip:"10.50.0.4" acquired');
    ok(await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", "--label", "owner=pod-b", ...n]), 'ip:"10.50.0.5" acquired');
    ok(
      await ipam(["ip", "list", "--prefix", "10.50.0.0/24", ...n]),
      'ip:"10.50.0.0"',
      'ip:"10.50.0.1" labels:"owner=pod-a"',
      'ip:"10.50.0.2" labels:"owner=pod-a"',
      'ip:"10.50.0.3" labels:"owner=pod-a"',
      'ip:"10.50.0.4"',
      'ip:"10.50.0.5" labels:"owner=pod-b"',
      'ip:"10.50.0.255"',
    );
    ok(await ipam(["ip", "list", "--prefix", "10.50.0.0/24", "--label", "owner=pod-b", ...n]), 'ip:"10.50.0.5" labels:"owner=pod-b"');
    ok(await ipam(["prefix", "list", "--label", "pool=pods", ...n]), 'Prefix:"10.50.0.0/24" parent:"" labels:"pool=pods,zone=eu-1"');
    ok(await ipam(["prefix", "list", "--label", "pool=none", ...n]));
    ok(
      await ipam(["ip", "release", "--label", "owner=pod-a", ...n]),
      'ip:"10.50.0.1" released',
      'ip:"10.50.0.2" released',
      'ip:"10.50.0.3" released',
    );
    ok(await ipam(["ip", "release", "--label", "owner=pod-a", ...n]));
    ok(await ipam(["ip", "release", "--prefix", "10.50.0.0/24", "--ip", "10.50.0.4", "--ip", "10.50.0.5", ...n]), 'ip:"10.50.0.4" released', 'ip:"10.50.0.5" released');
    failed(
      await ipam(["ip", "release", "--prefix", "10.50.0.0/24", "--ip", "10.50.0.0", "--ip", "10.50.0.9", ...n]),
      "not_found: NotFound: unable to release ip:10.50.0.9 because it is not allocated in prefix:10.50.0.0/24",
    );
    ok(await ipam(["ip", "list", "--prefix", "10.50.0.0/24", ...n]), 'ip:"10.50.0.0"', 'ip:"10.50.0.255"');
  });

  it("refuses bad counts and labels with the server's message", async () => {
    failed(await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", "--count", "0", ...n]), "invalid_argument: count must be from 1 to 4096, got 0");
    failed(await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", "--count", "4097", ...n]), "invalid_argument: count must be from 1 to 4096, got 4097");
    failed(
      await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", "--label", "bad key=v", ...n]),
      `invalid_argument: invalid labels: key "bad key" must be letters, digits, '.', '_', '-' or '/', starting and ending with a letter or digit`,
    );
    failed(await ipam(["ip", "acquire", "--prefix", "10.50.0.0/24", "--count", "255", ...n]), /^not_found: NoIPAvailableError: 255 ips asked for but only 254 left/);
  });

  it("acquires child prefixes in bulk, reserving nothing in point-to-point links", async () => {
    ok(await ipam(["prefix", "create", "--cidr", "10.51.0.0/24", ...n]), 'prefix:"10.51.0.0/24" created');
    ok(
      await ipam(["prefix", "acquire", "--parent", "10.51.0.0/24", "--length", "31", "--count", "2", "--reserve", "none", "--label", "link=p2p", ...n]),
      'child prefix:"10.51.0.0/31" from "10.51.0.0/24" created',
      'child prefix:"10.51.0.2/31" from "10.51.0.0/24" created',
    );
    ok(await ipam(["prefix", "get", "--cidr", "10.51.0.2/31", ...n]), 'Prefix:"10.51.0.2/31" parent:"10.51.0.0/24" labels:"link=p2p" reservation:"none"');
    ok(await ipam(["ip", "acquire", "--prefix", "10.51.0.2/31", "--count", "2", ...n]), 'ip:"10.51.0.2" acquired', 'ip:"10.51.0.3" acquired');
    ok(await ipam(["prefix", "usage", "--cidr", "10.51.0.2/31", ...n]), "ip:2/2");
    ok(await ipam(["prefix", "create", "--cidr", "10.52.0.0/30", "--reserve", "none", ...n]), 'prefix:"10.52.0.0/30" created');
    ok(await ipam(["ip", "acquire", "--prefix", "10.52.0.0/30", ...n]), 'ip:"10.52.0.0" acquired');
  });

  it("tells which prefixes overlap a CIDR, and answers go-ipam's PrefixesOverlapping", async () => {
    ok(
      await ipam(["prefix", "overlapping", "--cidr", "10.51.0.0/16", ...n]),
      'Prefix:"10.51.0.0/24" parent:""',
      'Prefix:"10.51.0.0/31" parent:"10.51.0.0/24" labels:"link=p2p" reservation:"none"',
      'Prefix:"10.51.0.2/31" parent:"10.51.0.0/24" labels:"link=p2p" reservation:"none"',
    );
    ok(await ipam(["prefix", "overlapping", "--cidr", "10.60.0.0/16", ...n]));
    ok(await ipam(["overlap", "--existing", "192.168.0.0/24", "--existing", "192.168.1.0/24", "--new", "192.168.0.0/23"]), "192.168.0.0/23 overlaps 192.168.0.0/24");
    ok(await ipam(["overlap", "--existing", "192.168.0.0/24", "--new", "192.168.1.0/24"]), "no overlap");
    failed(await ipam(["overlap", "--existing", "192.168.0.0/24", "--new", "bad"]), `invalid_argument: parsing prefix bad failed:netip.ParsePrefix("bad"): no '/'`);
  });

  it("backs labels up and restores them", async () => {
    const dumped = await ipam(["backup", "create", ...n]);
    expect(dumped.code).toBe(0);
    ok(await ipam(["namespace", "create", "features-copy"]), 'namespace:"features-copy" created');
    ok(await ipam(["backup", "restore", "--file", "-", "--namespace", "features-copy"], { stdin: dumped.stdout }), "database restored");
    expect(await ipam(["prefix", "list", "--namespace", "features-copy"])).toEqual(await ipam(["prefix", "list", ...n]));
  });
});

describe("ipam CLI: big namespaces", () => {
  it("backs up in pages, one per line, and restores them page by page; ip list follows pages", async () => {
    ok(await ipam(["namespace", "create", "paged-a"]), 'namespace:"paged-a" created');
    ok(await ipam(["prefix", "create", "--cidr", "10.40.0.0/16", "--namespace", "paged-a"]), 'prefix:"10.40.0.0/16" created');
    for (let i = 0; i < 3; i++) expect((await ipam(["ip", "acquire", "--prefix", "10.40.0.0/16", "--count", "4096", "--namespace", "paged-a"])).code).toBe(0);
    ok(await ipam(["ip", "acquire", "--prefix", "10.40.0.0/16", "--label", "role=gw", "--namespace", "paged-a"]), 'ip:"10.40.48.1" acquired');
    const listed = await ipam(["ip", "list", "--prefix", "10.40.0.0/16", "--namespace", "paged-a"]);
    const lines = listed.stdout.split("\n").slice(0, -1);
    expect(lines.length).toBe(12_291); // more than one page of 10,000
    expect(lines.slice(-2)).toEqual(['ip:"10.40.48.1" labels:"role=gw"', 'ip:"10.40.255.255"']);

    const dumped = await ipam(["backup", "create", "--page-size", "5000", "--namespace", "paged-a"]);
    expect({ code: dumped.code, stderr: dumped.stderr }).toEqual({ code: 0, stderr: "" });
    const pages = dumped.stdout.split("\n").slice(0, -1);
    expect(pages.length).toBe(3);
    for (const page of pages) expect(JSON.parse(page).format).toBe("edge-ipam/v1");
    const file = join(scratch, "paged-a.jsonl");
    writeFileSync(file, dumped.stdout);
    ok(await ipam(["namespace", "create", "paged-b"]), 'namespace:"paged-b" created');
    ok(await ipam(["backup", "restore", "--file", file, "--namespace", "paged-b"]), "database restored");
    expect(await ipam(["ip", "list", "--prefix", "10.40.0.0/16", "--namespace", "paged-b"])).toEqual(listed);
    // a restore into a namespace holding prefixes is refused, unless it appends (resuming a restore)
    failed(await ipam(["backup", "restore", "--file", file, "--namespace", "paged-b"]), "invalid_argument: prefixes exist, please drop existing data before loading");
    ok(await ipam(["backup", "restore", "--file", file, "--append", "--namespace", "paged-b"]), "database restored");
    expect(await ipam(["ip", "list", "--prefix", "10.40.0.0/16", "--namespace", "paged-b"])).toEqual(listed);
    usage(await ipam(["backup", "create", "--page-size", "0"]), '--page-size must be a whole number from 1 to 100000, not "0"', "Usage: ipam backup create");
  });
});

describe("stopping npm run dev", () => {
  it("leaves no process of its group (npm, wrangler, workerd) behind", async () => {
    expect(groupMembers(dev.pgid).length).toBeGreaterThan(0);
    await dev.stop();
    expect(groupMembers(dev.pgid)).toEqual([]);
  });
});
