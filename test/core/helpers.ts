import { expect } from "vitest";
import { IpamError, type ErrorKind } from "../../src/core";

/** Runs fn, expects an IpamError with exactly this message (and kind, when given). */
export function expectError(fn: () => unknown, message: string | RegExp, kind?: ErrorKind): IpamError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, "expected an IpamError").toBeInstanceOf(IpamError);
  const err = caught as IpamError;
  if (typeof message === "string") expect(err.message).toBe(message);
  else expect(err.message).toMatch(message);
  if (kind !== undefined) expect(err.kind).toBe(kind);
  return err;
}
