// A MongoDB wire-protocol stand-in for the tests (no mongod can be installed on this machine): a TCP server
// presenting itself as the primary of a single-node replica set (or, when asked, a standalone server), speaking
// exactly the commands the edge-ipam adapter sends (commands.ts), with MongoDB's semantics for them
// (engine.ts). With a data directory its committed writes survive kill -9 (journal.ts).
import { createServer, type Socket } from "node:net";
import { Commands, type Connection, INSPECTOR_APP_NAME } from "./commands";
import { Engine } from "./engine";
import { Journal } from "./journal";
import { ScramServer } from "./scram";
import { encodeReply, Framer, parseRequest, ProtocolError } from "./wire";

export interface StandinOptions {
  port?: number;
  /** Keep committed writes in this directory (fsynced per commit) and replay them on start. */
  dataDir?: string;
  /** The replica set's name (default "rs0"); null: a standalone server, which has no transactions. */
  replicaSet?: string | null;
  /** name -> password of the users that may authenticate (SCRAM-SHA-256, against admin). */
  users: Record<string, string>;
  /** Where REFUSED lines and protocol errors go (default: stderr). */
  log?: (line: string) => void;
  /** Called after each update command (the fault tests use it to crash in the middle of a big batch). */
  afterUpdate?: (statements: number) => void;
}

export interface Standin {
  port: number;
  /** Everything the stand-in refused because it does not implement it. */
  complaints: string[];
  close(): Promise<void>;
}

export const REFUSED = "mongo-standin REFUSED:";

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const opened = opts.dataDir ? Journal.open(opts.dataDir) : undefined;
  const engine = new Engine(opened?.journal, opened?.entries);
  const complaints: string[] = [];
  const sockets = new Set<Socket>();
  let nextConnection = 1;
  let commands: Commands | undefined;

  const server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const conn: Connection = { id: nextConnection++, inspector: () => conn.appName === INSPECTOR_APP_NAME };
    const framer = new Framer();
    socket.on("data", (chunk: Buffer) => {
      try {
        for (const msg of framer.push(chunk)) {
          const req = parseRequest(msg);
          const reply = commands!.run(conn, req);
          if (!req.noReply) socket.write(encodeReply(req, reply));
        }
      } catch (e) {
        const line = `${REFUSED} connection ${conn.id} (${conn.appName ?? "?"}): ${e instanceof ProtocolError ? "" : "stand-in bug: "}${(e as Error).message}`;
        complaints.push(line);
        log(line);
        socket.destroy();
      }
    });
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
  });
  commands = new Commands(engine, {
    host: `127.0.0.1:${port}`,
    setName: opts.replicaSet === null ? undefined : (opts.replicaSet ?? "rs0"),
    scram: new ScramServer(opts.users),
    afterUpdate: opts.afterUpdate,
    complain: (line) => {
      complaints.push(`${REFUSED} ${line}`);
      log(`${REFUSED} ${line}`);
    },
  });
  return {
    port,
    complaints,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          opened?.journal.close();
          resolve();
        });
      }),
  };
}
