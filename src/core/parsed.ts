import { NetParseError } from "../net";
import type { IpamError } from "./errors";

/** Runs a parser of the address math, turning its NetParseError into the core error that fits the context. */
export function parsed<T>(parse: () => T, wrap: (message: string) => IpamError): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof NetParseError) throw wrap(e.message);
    throw e;
  }
}
