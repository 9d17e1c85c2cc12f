// The command table of `ipam`: which commands exist, which flags each takes, which are required.
// Data only; parsing (args.ts), help (help.ts) and execution (commands.ts) all read it.

/** Flags a command may take besides the global ones (--endpoint, --token, --help). */
export type Flag = "cidr" | "parent" | "length" | "prefix" | "ip" | "file" | "name" | "namespace";

export interface CommandSpec {
  /** "prefix", "ip", "backup", "namespace" or "" for top-level commands such as `version`. */
  group: string;
  name: string;
  summary: string;
  /** Flags this command accepts, with a one-line description each. */
  flags: Partial<Record<Flag, string>>;
  required: Flag[];
  /** `namespace create|delete` also take the name as a positional argument. */
  positionalName?: boolean;
}

const NS = "namespace to work in (default: root)";

export const GROUPS: Record<string, { aliases: string[]; summary: string }> = {
  prefix: { aliases: ["p"], summary: "prefix manipulation" },
  ip: { aliases: ["i"], summary: "ip manipulation" },
  backup: { aliases: [], summary: "create and restore a backup (a go-ipam dump) of one namespace" },
  namespace: { aliases: ["ns"], summary: "namespace manipulation" },
};

export const COMMANDS: CommandSpec[] = [
  { group: "prefix", name: "create", summary: "create a prefix", flags: { cidr: "the prefix, e.g. 10.0.0.0/16", namespace: NS }, required: ["cidr"] },
  {
    group: "prefix",
    name: "acquire",
    summary: "acquire a child prefix",
    flags: { parent: "the parent prefix", length: "prefix length of the child, e.g. 24", namespace: NS },
    required: ["parent", "length"],
  },
  { group: "prefix", name: "release", summary: "release a child prefix", flags: { cidr: "the child prefix", namespace: NS }, required: ["cidr"] },
  { group: "prefix", name: "list", summary: "list all prefixes", flags: { namespace: NS }, required: [] },
  { group: "prefix", name: "get", summary: "show a prefix and its parent", flags: { cidr: "the prefix", namespace: NS }, required: ["cidr"] },
  { group: "prefix", name: "usage", summary: "show a prefix's usage (go-ipam's Usage.String())", flags: { cidr: "the prefix", namespace: NS }, required: ["cidr"] },
  { group: "prefix", name: "delete", summary: "delete a prefix", flags: { cidr: "the prefix", namespace: NS }, required: ["cidr"] },
  {
    group: "ip",
    name: "acquire",
    summary: "acquire an ip (the lowest free one, or the one given with --ip)",
    flags: { prefix: "the prefix to acquire from", ip: "a specific address (optional)", namespace: NS },
    required: ["prefix"],
  },
  {
    group: "ip",
    name: "release",
    summary: "release an ip",
    flags: { ip: "the address", prefix: "the prefix it was acquired from", namespace: NS },
    required: ["ip", "prefix"],
  },
  { group: "ip", name: "list", summary: "list the acquired ips of a prefix, reserved ones included", flags: { prefix: "the prefix", namespace: NS }, required: ["prefix"] },
  { group: "backup", name: "create", summary: "print the namespace's dump (go-ipam's JSON format)", flags: { namespace: NS }, required: [] },
  {
    group: "backup",
    name: "restore",
    summary: "load a dump into the namespace, which must hold no prefixes",
    flags: { file: "the dump file ('-' reads stdin)", namespace: NS },
    required: ["file"],
  },
  { group: "namespace", name: "create", summary: "create a namespace", flags: { name: "the namespace's name" }, required: ["name"], positionalName: true },
  { group: "namespace", name: "list", summary: "list all namespaces", flags: {}, required: [] },
  { group: "namespace", name: "delete", summary: "delete a namespace", flags: { name: "the namespace's name" }, required: ["name"], positionalName: true },
  { group: "", name: "version", summary: "show the server's version", flags: {}, required: [] },
];

/** The canonical group name for a group or one of its aliases. */
export function groupNamed(word: string): string | undefined {
  if (word in GROUPS) return word;
  return Object.keys(GROUPS).find((g) => GROUPS[g].aliases.includes(word));
}

export function commandsOf(group: string): CommandSpec[] {
  return COMMANDS.filter((c) => c.group === group);
}

export function findCommand(group: string, name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.group === group && c.name === name);
}

export function commandTitle(spec: CommandSpec): string {
  return spec.group ? `${spec.group} ${spec.name}` : spec.name;
}
