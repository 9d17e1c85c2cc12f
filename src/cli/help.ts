// Help and usage text of `ipam`, generated from the command table.
import { DEFAULT_ENDPOINT, type HelpTopic } from "./args";
import { COMMANDS, type CommandSpec, type Flag, GROUPS, commandTitle, commandsOf } from "./spec";

const METAVAR: Record<Flag, string> = {
  cidr: "CIDR",
  parent: "CIDR",
  length: "N",
  prefix: "CIDR",
  ip: "IP",
  file: "FILE",
  name: "NAME",
  namespace: "NAME",
  count: "N",
  label: "KEY=VALUE",
  reserve: "none",
  existing: "CIDR",
  new: "CIDR",
  "page-size": "N",
  append: "",
};

function synopsis(spec: CommandSpec): string {
  if (spec.synopsis !== undefined) return `${commandTitle(spec)} ${spec.synopsis}`;
  const parts = [commandTitle(spec)];
  if (spec.positionalName) parts.push("NAME");
  for (const flag of Object.keys(spec.flags) as Flag[]) {
    if (spec.positionalName && flag === "name") continue;
    const f = METAVAR[flag] === "" ? `--${flag}` : `--${flag} ${METAVAR[flag]}`;
    const again = spec.repeatable?.includes(flag) ? "..." : "";
    parts.push(spec.required.includes(flag) ? `${f}${again}` : `[${f}]${again}`);
  }
  return parts.join(" ");
}

const GLOBAL = [
  "Global flags (anywhere on the line):",
  `  --endpoint URL   server (env IPAM_ENDPOINT, default ${DEFAULT_ENDPOINT}); --grpc-server-endpoint is an alias`,
  "  --token TOKEN    bearer token, sent as 'Authorization: Bearer TOKEN' (env IPAM_TOKEN)",
  "  -h, --help       this help; 'ipam help <command>' or '<command> --help' for one command",
];

const EXIT = ["Exit status: 0 done; 1 the call failed (its error on stderr); 2 bad usage (usage on stderr)."];

function commandHelp(spec: CommandSpec): string[] {
  const lines = [`Usage: ipam ${synopsis(spec)}`, "", `  ${spec.summary}`];
  const flags = Object.entries(spec.flags) as [Flag, string][];
  if (flags.length > 0) {
    lines.push("", "Flags:");
    for (const [flag, text] of flags) {
      const notes = [spec.required.includes(flag) ? (spec.requiredUnless ? `required without --${spec.requiredUnless}` : "required") : "", spec.repeatable?.includes(flag) ? "repeatable" : ""];
      const note = notes.filter((n) => n !== "").join(", ");
      lines.push(`  --${flag.padEnd(10)} ${text}${note === "" ? "" : ` (${note})`}`);
    }
    if (spec.positionalName) lines.push("  (the name may also be given as a positional argument or as --namespace)");
  }
  return lines;
}

/** Most columns a usage line takes in a listing before its summary goes on the next line. */
const LISTING_WIDTH = 56;

function listing(specs: CommandSpec[]): string[] {
  const width = Math.min(LISTING_WIDTH, Math.max(...specs.map((s) => synopsis(s).length)));
  return specs.flatMap((s) => {
    const line = synopsis(s);
    return line.length <= width ? [`  ${line.padEnd(width)}  ${s.summary}`] : [`  ${line}`, `  ${"".padEnd(width)}  ${s.summary}`];
  });
}

export function helpText(topic: HelpTopic): string {
  let lines: string[];
  if (topic.spec) {
    lines = commandHelp(topic.spec);
  } else if (topic.group) {
    const aliases = GROUPS[topic.group].aliases;
    lines = [
      `Usage: ipam ${topic.group} <command> [flags]${aliases.length ? `   (alias: ${aliases.join(", ")})` : ""}`,
      "",
      `  ${GROUPS[topic.group].summary}`,
      "",
      "Commands:",
      ...listing(commandsOf(topic.group)),
    ];
  } else {
    lines = [
      "ipam: the command-line client of edge IPAM (go-ipam's API, over Connect JSON)",
      "",
      "Usage: ipam <command> [flags]",
      "",
      "Commands:",
      ...listing(COMMANDS),
      "",
      "Group aliases: p = prefix, i = ip, ns = namespace.",
    ];
  }
  return [...lines, "", ...GLOBAL, "", ...EXIT, ""].join("\n");
}
