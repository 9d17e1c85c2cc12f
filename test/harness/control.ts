// A small HTTP server in the test runner's Node process that tests running inside workerd call to act on
// the backend's real processes: POST /fault/pause|resume|kill|restart, POST /wipe, and POST /complaints (what a
// stand-in refused, one per line).
import { createServer } from "node:http";
import type { Fault, RunningBackend } from "./backends";

export interface Control {
  url: string;
  close(): Promise<void>;
}

const FAULTS: readonly string[] = ["pause", "resume", "kill", "restart", "crash-mid-batch"];

export async function startControl(backend: RunningBackend): Promise<Control> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const done = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(text);
    };
    try {
      if (req.method !== "POST") return done(405, "POST only");
      if (path === "/complaints") return done(200, (backend.complaints?.() ?? []).join("\n"));
      if (path === "/wipe") await backend.wipe();
      else if (path.startsWith("/fault/") && FAULTS.includes(path.slice(7))) await backend.fault(path.slice(7) as Fault);
      else return done(404, `unknown control ${path}`);
      done(200, "ok");
    } catch (e) {
      done(500, String((e as Error).stack ?? e));
    }
  });
  const port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)));
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
