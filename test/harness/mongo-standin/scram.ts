// SCRAM-SHA-256 (RFC 5802 / RFC 7677), the server side of what the driver does by default with a user and
// password in the connection string: saslStart with the client-first message, saslContinue with the proof,
// and the server signature back. A wrong password fails as MongoDB does: AuthenticationFailed (18).
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { Binary } from "bson";
import { CommandError, Unsupported } from "./errors";

/** MongoDB's default iteration count for SCRAM-SHA-256 (scramSHA256IterationCount). */
const ITERATIONS = 15_000;

interface Credential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

interface Conversation {
  user: string;
  credential: Credential | undefined;
  clientFirstBare: string;
  serverFirst: string;
  nonce: string;
  step: "proof" | "final" | "done";
  skipEmptyExchange: boolean;
}

const hmac = (key: Buffer, data: string) => createHmac("sha256", key).update(data).digest();
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();

export const authFailed = () => new CommandError("AuthenticationFailed", "Authentication failed.");

function fields(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(",")) {
    const eq = part.indexOf("=");
    if (eq === 1) out.set(part[0], part.slice(2));
  }
  return out;
}

const unescapeName = (s: string) => s.replace(/=2C/g, ",").replace(/=3D/g, "=");

const payloadText = (p: unknown): string => {
  if (p instanceof Binary) return p.toString("utf8");
  throw new CommandError("BadValue", "SASL payload must be binary");
};

const payload = (text: string) => new Binary(Buffer.from(text, "utf8"));

export class ScramServer {
  private readonly credentials = new Map<string, Credential>();
  private readonly conversations = new Map<number, Conversation>();
  private nextConversation = 1;

  /** `users`: name -> password, all authenticating against the admin database. Passwords must be printable ASCII (SASLprep is then the identity). */
  constructor(users: Record<string, string>) {
    for (const [user, password] of Object.entries(users)) {
      if (!/^[\x21-\x7e]+$/.test(password)) throw new Error("stand-in passwords must be printable ASCII");
      const salt = randomBytes(28);
      const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, "sha256");
      this.credentials.set(user, { salt, storedKey: sha256(hmac(salted, "Client Key")), serverKey: hmac(salted, "Server Key") });
    }
  }

  /** Whether `admin.<user>` names a user (hello's saslSupportedMechs). */
  knows(qualified: unknown): boolean {
    return typeof qualified === "string" && qualified.startsWith("admin.") && this.credentials.has(qualified.slice(6));
  }

  start(db: string, mechanism: unknown, message: unknown, options: unknown): { conversationId: number; payload: Binary; done: false } {
    if (mechanism !== "SCRAM-SHA-256") throw new Unsupported(`authentication mechanism ${String(mechanism)} (SCRAM-SHA-256 only)`);
    if (db !== "admin") throw authFailed(); // every stand-in user lives in admin
    const text = payloadText(message);
    if (!text.startsWith("n,,")) throw new CommandError("BadValue", "SCRAM: only the gs2 header 'n,,' is supported");
    const clientFirstBare = text.slice(3);
    const f = fields(clientFirstBare);
    const user = unescapeName(f.get("n") ?? "");
    const clientNonce = f.get("r");
    if (!clientNonce) throw new CommandError("BadValue", "SCRAM: client-first message without a nonce");
    const credential = this.credentials.get(user);
    // An unknown user gets a made-up salt, so the answer does not tell which names exist.
    const salt = credential?.salt ?? createHash("sha256").update(`salt:${user}`).digest().subarray(0, 28);
    const nonce = clientNonce + randomBytes(24).toString("base64");
    const serverFirst = `r=${nonce},s=${salt.toString("base64")},i=${ITERATIONS}`;
    const conversationId = this.nextConversation++;
    const skipEmptyExchange = (options as { skipEmptyExchange?: unknown } | undefined)?.skipEmptyExchange === true;
    this.conversations.set(conversationId, { user, credential, clientFirstBare, serverFirst, nonce, step: "proof", skipEmptyExchange });
    return { conversationId, payload: payload(serverFirst), done: false };
  }

  /** Returns the next server message, and the user once authentication has succeeded. */
  continue(conversationId: unknown, message: unknown): { conversationId: number; payload: Binary; done: boolean; user?: string } {
    const id = Number(conversationId);
    const c = this.conversations.get(id);
    if (!c) throw new CommandError("BadValue", "SCRAM: unknown conversationId");
    if (c.step === "final") {
      this.conversations.delete(id);
      return { conversationId: id, payload: payload(""), done: true, user: c.user };
    }
    if (c.step !== "proof") throw authFailed();
    const text = payloadText(message);
    const f = fields(text);
    const proof = f.get("p");
    const withoutProof = text.slice(0, text.lastIndexOf(",p="));
    if (f.get("c") !== "biws" || f.get("r") !== c.nonce || !proof || !c.credential) {
      this.conversations.delete(id);
      throw authFailed();
    }
    const authMessage = `${c.clientFirstBare},${c.serverFirst},${withoutProof}`;
    const signature = hmac(c.credential.storedKey, authMessage);
    const proofBytes = Buffer.from(proof, "base64");
    if (proofBytes.length !== signature.length) {
      this.conversations.delete(id);
      throw authFailed();
    }
    const clientKey = Buffer.from(proofBytes.map((b, i) => b ^ signature[i]));
    if (!timingSafeEqual(sha256(clientKey), c.credential.storedKey)) {
      this.conversations.delete(id);
      throw authFailed();
    }
    const serverFinal = `v=${hmac(c.credential.serverKey, authMessage).toString("base64")}`;
    if (c.skipEmptyExchange) {
      this.conversations.delete(id);
      return { conversationId: id, payload: payload(serverFinal), done: true, user: c.user };
    }
    c.step = "final";
    return { conversationId: id, payload: payload(serverFinal), done: false };
  }
}
