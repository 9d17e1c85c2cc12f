// The harness names the Debian package of a server that is not installed (npm run dev -- --store, tests).
import { expect, it } from "vitest";
import { requireCommand } from "./process";

it("a missing server is reported with the Debian package that provides it", () => {
  expect(() => requireCommand("no-such-server-4711", "no-such-package")).toThrow(
    "no-such-server-4711 is not installed: install the Debian package no-such-package (apt-get install -y no-such-package)",
  );
  expect(requireCommand("sh", "dash")).toMatch(/\/sh$/);
});
