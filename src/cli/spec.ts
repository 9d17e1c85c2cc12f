// The command table of `ipam`: which commands exist, which flags each takes, which are required.
// Data only; parsing (args.ts), help (help.ts) and execution (commands.ts) all read it.

/** Flags a command may take besides the global ones (--endpoint, --token, --help). */
export type Flag =
  | "cidr"
  | "parent"
  | "length"
  | "prefix"
  | "ip"
  | "file"
  | "name"
  | "namespace"
  | "count"
  | "label"
  | "reserve"
  | "existing"
  | "new"
  | "page-size"
  | "append";

/** Flags that may be given more than once (all values count); any other repeated flag: the last one wins. */
export const REPEATABLE: ReadonlySet<Flag> = new Set<Flag>(["label", "existing", "new", "ip"]);

export interface CommandSpec {
  /** "prefix", "ip", "backup", "namespace" or "" for top-level commands such as `version`. */
  group: string;
  name: string;
  summary: string;
  /** Flags this command accepts, with a one-line description each. */
  flags: Partial<Record<Flag, string>>;
  required: Flag[];
  /** The required flags are not needed when this one is given (`ip release --label`). */
  requiredUnless?: Flag;
  /** Flags this command takes more than once (a subset of REPEATABLE). */
  repeatable?: Flag[];
  /** The flags part of the usage line, when the generated one would mislead (alternative flags). */
  synopsis?: string;
  /** `namespace create|delete` also take the name as a positional argument. */
  positionalName?: boolean;
}

const NS = "namespace to work in (default: root)";
const LABEL = "a label KEY=VALUE to attach";
const RESERVE = "'none': reserve no network or broadcast address (default: go-ipam's)";

export const GROUPS: Record<string, { aliases: string[]; summary: string }> = {
  prefix: { aliases: ["p"], summary: "prefix manipulation" },
  ip: { aliases: ["i"], summary: "ip manipulation" },
  backup: { aliases: [], summary: "create and restore a backup (a go-ipam dump) of one namespace" },
  namespace: { aliases: ["ns"], summary: "namespace manipulation" },
};

export const COMMANDS: CommandSpec[] = [
  {
    group: "prefix",
    name: "create",
    summary: "create a prefix",
    flags: { cidr: "the prefix, e.g. 10.0.0.0/16", label: LABEL, reserve: RESERVE, namespace: NS },
    required: ["cidr"],
    repeatable: ["label"],
  },
  {
    group: "prefix",
    name: "acquire",
    summary: "acquire a child prefix (or --count of them, all or nothing)",
    flags: {
      parent: "the parent prefix",
      length: "prefix length of the child, e.g. 24",
      count: "how many children, 1 to 4096 (optional)",
      label: LABEL,
      reserve: RESERVE,
      namespace: NS,
    },
    required: ["parent", "length"],
    repeatable: ["label"],
  },
  { group: "prefix", name: "release", summary: "release a child prefix", flags: { cidr: "the child prefix", namespace: NS }, required: ["cidr"] },
  {
    group: "prefix",
    name: "list",
    summary: "list all prefixes (or those carrying every --label given)",
    flags: { label: "only prefixes with this label KEY=VALUE", namespace: NS },
    required: [],
    repeatable: ["label"],
  },
  {
    group: "prefix",
    name: "overlapping",
    summary: "list the prefixes, children included, that overlap a CIDR (nothing is created)",
    flags: { cidr: "the CIDR to check", namespace: NS },
    required: ["cidr"],
  },
  { group: "prefix", name: "get", summary: "show a prefix and its parent", flags: { cidr: "the prefix", namespace: NS }, required: ["cidr"] },
  { group: "prefix", name: "usage", summary: "show a prefix's usage (go-ipam's Usage.String())", flags: { cidr: "the prefix", namespace: NS }, required: ["cidr"] },
  { group: "prefix", name: "delete", summary: "delete a prefix", flags: { cidr: "the prefix", namespace: NS }, required: ["cidr"] },
  {
    group: "ip",
    name: "acquire",
    summary: "acquire an ip (the lowest free one, the one given with --ip, or the --count lowest)",
    flags: {
      prefix: "the prefix to acquire from",
      ip: "a specific address (optional)",
      count: "how many addresses, 1 to 4096, all or nothing (optional)",
      label: LABEL,
      namespace: NS,
    },
    required: ["prefix"],
    repeatable: ["label"],
  },
  {
    group: "ip",
    name: "release",
    summary: "release ips: those given with --ip, or (with --label) every one carrying the labels",
    flags: {
      ip: "the address; several are released all or nothing",
      prefix: "the prefix it was acquired from (with --label: optional, default the whole namespace)",
      label: "release every address with this label KEY=VALUE",
      namespace: NS,
    },
    required: ["ip", "prefix"],
    requiredUnless: "label",
    repeatable: ["ip", "label"],
    synopsis: "(--ip IP... --prefix CIDR | --label KEY=VALUE... [--prefix CIDR]) [--namespace NAME]",
  },
  {
    group: "ip",
    name: "list",
    summary: "list the acquired ips of a prefix, reserved ones included, with their labels",
    flags: { prefix: "the prefix", label: "only addresses with this label KEY=VALUE", namespace: NS },
    required: ["prefix"],
    repeatable: ["label"],
  },
  {
    group: "backup",
    name: "create",
    summary: "print the namespace's dump (go-ipam's JSON format; above 200,000 addresses, pages of ours, one per line)",
    flags: { "page-size": "dump in pages of about this many records (1 to 100000), one per line", namespace: NS },
    required: [],
  },
  {
    group: "backup",
    name: "restore",
    summary: "load a dump (or a paged one, page by page) into the namespace, which must hold no prefixes",
    flags: {
      file: "the dump file ('-' reads stdin)",
      append: "add to what the namespace holds, skipping what it holds already (resumes a restore)",
      namespace: NS,
    },
    required: ["file"],
  },
  { group: "namespace", name: "create", summary: "create a namespace", flags: { name: "the namespace's name" }, required: ["name"], positionalName: true },
  { group: "namespace", name: "list", summary: "list all namespaces", flags: {}, required: [] },
  { group: "namespace", name: "delete", summary: "delete a namespace", flags: { name: "the namespace's name" }, required: ["name"], positionalName: true },
  { group: "", name: "version", summary: "show the server's version", flags: {}, required: [] },
  {
    group: "",
    name: "overlap",
    summary: "go-ipam's PrefixesOverlapping: the first of the new prefixes that overlaps an existing one",
    flags: { existing: "an existing prefix", new: "a new prefix" },
    required: [],
    repeatable: ["existing", "new"],
  },
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
