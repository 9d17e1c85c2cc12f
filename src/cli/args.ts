// Command-line parsing for `ipam`: argv and environment in, an Invocation (or a help request) out.
// Nothing here talks to the network or prints; bad usage throws UsageError, which main.ts turns into the
// usage text on stderr and exit code 2.
import { parseArgs } from "node:util";
import { type CommandSpec, type Flag, REPEATABLE, commandTitle, commandsOf, findCommand, groupNamed } from "./spec";

export const DEFAULT_ENDPOINT = "http://localhost:8787";

/** Where the help text should point: the whole CLI, a group, or one command. */
export interface HelpTopic {
  group?: string;
  spec?: CommandSpec;
}

export class UsageError extends Error {
  constructor(
    message: string,
    readonly topic: HelpTopic = {},
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export interface Connection {
  endpoint: string;
  /** Sent as `Authorization: Bearer <token>`; absent when empty. */
  token?: string;
}

/** Every value of the repeatable flags, in the order given. */
export type FlagLists = Partial<Record<Flag, string[]>>;

export type Invocation =
  | { kind: "help"; topic: HelpTopic }
  | { kind: "run"; spec: CommandSpec; flags: Partial<Record<Flag, string>>; lists: FlagLists; connection: Connection };

const OPTIONS = {
  endpoint: { type: "string" },
  "grpc-server-endpoint": { type: "string" }, // go-ipam's CLI spelling, accepted as an alias of --endpoint
  token: { type: "string" },
  help: { type: "boolean", short: "h" },
  cidr: { type: "string" },
  parent: { type: "string" },
  length: { type: "string" },
  prefix: { type: "string" },
  ip: { type: "string", multiple: true },
  file: { type: "string" },
  name: { type: "string" },
  namespace: { type: "string" },
  count: { type: "string" },
  label: { type: "string", multiple: true },
  reserve: { type: "string" },
  existing: { type: "string", multiple: true },
  new: { type: "string", multiple: true },
  "page-size": { type: "string" },
  append: { type: "boolean" },
} as const;

const GLOBAL_OPTIONS = new Set(["endpoint", "grpc-server-endpoint", "token", "help"]);

export function parseCommandLine(argv: string[], env: Record<string, string | undefined>): Invocation {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(describeParseError(e), topicOf(argv));
  }
  const { values, positionals } = parsed;
  const words = [...positionals];

  if (words[0] === "help") return { kind: "help", topic: helpTopic(words.slice(1)) };
  if (values.help) return { kind: "help", topic: helpTopic(words) };
  if (words.length === 0) throw new UsageError("no command given");

  const { spec, rest } = resolveCommand(words);
  const flags: Partial<Record<Flag, string>> = {};
  const lists: FlagLists = {};
  for (const [key, value] of Object.entries(values)) {
    if (GLOBAL_OPTIONS.has(key) || value === undefined) continue;
    const nameAlias = key === "namespace" && spec.positionalName; // `namespace create --namespace NAME`
    if (!(key in spec.flags) && !nameAlias) throw new UsageError(`flag --${key} is not valid for "${commandTitle(spec)}"`, { spec });
    if (Array.isArray(value)) {
      lists[key as Flag] = value;
      flags[key as Flag] = value[value.length - 1]; // a flag this command does not repeat: the last one wins
    } else flags[key as Flag] = String(value); // a boolean flag given is "true"
  }
  takeName(spec, flags, rest);
  const exempt = spec.requiredUnless !== undefined && flags[spec.requiredUnless] !== undefined;
  for (const flag of exempt ? [] : spec.required) {
    if (flags[flag] === undefined) throw new UsageError(`"${commandTitle(spec)}" needs --${flag}`, { spec });
  }
  if (flags.length !== undefined) checkLength(flags.length, spec);
  checkExtensionFlags(spec, flags, lists);

  return { kind: "run", spec, flags, lists: repeatedOnly(spec, lists), connection: connection(values, env) };
}

/** The lists of the flags this command repeats; other flags keep only their last value (in `flags`). */
function repeatedOnly(spec: CommandSpec, lists: FlagLists): FlagLists {
  const out: FlagLists = {};
  for (const flag of spec.repeatable ?? []) if (REPEATABLE.has(flag) && lists[flag] !== undefined) out[flag] = lists[flag];
  return out;
}

/** --count, --label, --reserve and their combinations. */
function checkExtensionFlags(spec: CommandSpec, flags: Partial<Record<Flag, string>>, lists: FlagLists): void {
  const title = commandTitle(spec);
  if (flags.count !== undefined && !/^[0-9]+$/.test(flags.count))
    throw new UsageError(`--count must be a whole number (1 to 4096), not "${flags.count}"`, { spec });
  if (flags.count !== undefined && flags.ip !== undefined) throw new UsageError(`"${title}" takes --count or --ip, not both`, { spec });
  const pageSize = flags["page-size"];
  if (pageSize !== undefined && (!/^[0-9]+$/.test(pageSize) || Number(pageSize) < 1 || Number(pageSize) > 100_000))
    throw new UsageError(`--page-size must be a whole number from 1 to 100000, not "${pageSize}"`, { spec });
  for (const label of lists.label ?? []) parseLabel(label, spec);
  if (flags.reserve !== undefined && flags.reserve !== "none" && flags.reserve !== "default")
    throw new UsageError(`--reserve must be "none" or "default", not "${flags.reserve}"`, { spec });
  if (spec.requiredUnless !== undefined && flags[spec.requiredUnless] !== undefined && flags.ip !== undefined)
    throw new UsageError(`"${title}" takes --ip or --${spec.requiredUnless}, not both`, { spec });
}

/** `KEY=VALUE` (the value may hold "=" and may be empty); the server checks the key and value themselves. */
export function parseLabel(text: string, spec?: CommandSpec): [string, string] {
  const at = text.indexOf("=");
  if (at <= 0) throw new UsageError(`--label must be KEY=VALUE, not "${text}"`, spec ? { spec } : {});
  return [text.slice(0, at), text.slice(at + 1)];
}

function resolveCommand(words: string[]): { spec: CommandSpec; rest: string[] } {
  const top = findCommand("", words[0]);
  if (top) return { spec: top, rest: words.slice(1) };
  const group = groupNamed(words[0]);
  if (!group) throw new UsageError(`unknown command "${words[0]}"`);
  if (words.length < 2) throw new UsageError(`"${group}" needs a command`, { group });
  const spec = findCommand(group, words[1]);
  if (!spec) throw new UsageError(`unknown command "${group} ${words[1]}"`, { group });
  return { spec, rest: words.slice(2) };
}

/** `namespace create|delete`: the name as --name, --namespace or a positional argument (all must agree). */
function takeName(spec: CommandSpec, flags: Partial<Record<Flag, string>>, rest: string[]): void {
  if (!spec.positionalName) {
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, { spec });
    return;
  }
  if (rest.length > 1) throw new UsageError(`unexpected argument "${rest[1]}"`, { spec });
  const given = [flags.name, flags.namespace, rest[0]].filter((v): v is string => v !== undefined);
  if (given.some((v) => v !== given[0])) throw new UsageError("the namespace's name is given twice, with different values", { spec });
  delete flags.namespace;
  if (given.length > 0) flags.name = given[0];
}

function checkLength(value: string, spec: CommandSpec): void {
  if (!/^[0-9]+$/.test(value) || Number(value) > 0xffffffff) {
    throw new UsageError(`--length must be a whole number from 0 to 4294967295, not "${value}"`, { spec });
  }
}

function connection(values: { endpoint?: string; "grpc-server-endpoint"?: string; token?: string }, env: Record<string, string | undefined>): Connection {
  const endpoint = values.endpoint ?? values["grpc-server-endpoint"] ?? (env.IPAM_ENDPOINT || DEFAULT_ENDPOINT);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`endpoint "${endpoint}" is not a URL (expected e.g. ${DEFAULT_ENDPOINT})`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`endpoint "${endpoint}" must be an http:// or https:// URL`);
  }
  const token = values.token ?? env.IPAM_TOKEN;
  return token ? { endpoint: endpoint.replace(/\/+$/, ""), token } : { endpoint: endpoint.replace(/\/+$/, "") };
}

function helpTopic(words: string[]): HelpTopic {
  if (words.length === 0) return {};
  const top = findCommand("", words[0]);
  if (top) return { spec: top };
  const group = groupNamed(words[0]);
  if (!group) throw new UsageError(`unknown command "${words[0]}"`);
  if (words.length < 2) return { group };
  const spec = findCommand(group, words[1]);
  if (!spec) throw new UsageError(`unknown command "${group} ${words[1]}"`, { group });
  return { spec };
}

/** Best-effort topic for a parse error: the command named by the leading words, if any. */
function topicOf(argv: string[]): HelpTopic {
  const words = argv.filter((a) => !a.startsWith("-"));
  const group = words[0] === undefined ? undefined : groupNamed(words[0]);
  if (!group) return {};
  const spec = commandsOf(group).find((c) => c.name === words[1]);
  return spec ? { spec } : { group };
}

function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const option = /'([^']+)'/.exec(err.message ?? "")?.[1]?.replace(/ <value>$/, "") ?? "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown flag ${option}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return /does not take an argument/.test(err.message ?? "") ? `flag ${option} takes no value` : `flag ${option} needs a value (write ${option}=VALUE for a value starting with "-")`;
    default:
      return err.message ?? String(e);
  }
}
