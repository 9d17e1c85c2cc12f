// Entry point of `ipam`: parse, run one command, print, and return the exit status.
//   0  success (output on stdout)
//   1  the call failed: the error on stderr (`<connect code>: <message>`, as go-ipam's Go CLI prints it)
//   2  bad usage: the problem and the relevant usage text on stderr
import { UsageError, parseCommandLine } from "./args";
import { connect } from "./client";
import { CommandError, runnerFor } from "./commands";
import { errorText } from "./format";
import { helpText } from "./help";
import { commandTitle } from "./spec";

export interface Io {
  stdout(text: string): Promise<void>;
  stderr(text: string): Promise<void>;
  stdin(): Promise<string>;
}

export async function main(argv: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  let inv;
  try {
    inv = parseCommandLine(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    await io.stderr(`ipam: ${e.message}\n\n${helpText(e.topic)}`);
    return 2;
  }
  if (inv.kind === "help") {
    await io.stdout(helpText(inv.topic));
    return 0;
  }
  const run = runnerFor(commandTitle(inv.spec));
  try {
    const lines = await run(connect(inv.connection), inv.flags, io, inv.lists);
    if (lines.length > 0) await io.stdout(lines.join("\n") + "\n");
    return 0;
  } catch (e) {
    await io.stderr(`${e instanceof CommandError ? e.message : errorText(e, inv.connection.endpoint)}\n`);
    return 1;
  }
}

function writer(stream: NodeJS.WriteStream): (text: string) => Promise<void> {
  return (text) => new Promise((resolve) => stream.write(text, () => resolve()));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs the CLI in this process and exits with its status (bin/ipam.mjs calls this). */
export async function runProcess(): Promise<never> {
  let code: number;
  try {
    code = await main(process.argv.slice(2), process.env, {
      stdout: writer(process.stdout),
      stderr: writer(process.stderr),
      stdin: readStdin,
    });
  } catch (e) {
    process.stderr.write(`ipam: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = 1;
  }
  process.exit(code);
}
