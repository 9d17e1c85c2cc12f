// The stand-in as its own process, so the fault tests can stop (kill -STOP) and kill (kill -9) it:
//   node --import tsx test/harness/mongo-standin/main.ts --port N [--data-dir DIR] [--standalone]
// The user is "ipam"; its password comes from MONGO_STANDIN_PASSWORD (kept out of the process list).
// SIGUSR2: crash in the middle of the next big batch (below).
// Prints "mongo-standin listening on 127.0.0.1:N" once it accepts connections.
import { startStandin } from "./server";

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};

const password = process.env.MONGO_STANDIN_PASSWORD;
if (!password) throw new Error("MONGO_STANDIN_PASSWORD is not set");

// SIGUSR2 arms a crash: the next update command of at least 10,000 statements (a big batch, in the middle of
// its transaction: the commit has not come yet) kills the process as kill -9 would.
let crashArmed = false;
process.on("SIGUSR2", () => {
  crashArmed = true;
});

const standin = await startStandin({
  port: Number(opt("port") ?? 0),
  dataDir: opt("data-dir"),
  replicaSet: argv.includes("--standalone") ? null : "rs0",
  users: { ipam: password },
  afterUpdate: (statements) => {
    if (crashArmed && statements >= 10_000) process.kill(process.pid, "SIGKILL");
  },
});
console.log(`mongo-standin listening on 127.0.0.1:${standin.port}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => void standin.close().then(() => process.exit(0)));
}
