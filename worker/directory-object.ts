import { DurableObject } from "cloudflare:workers";
import type { Env } from "./env";
export class DirectoryObject extends DurableObject<Env> {}
