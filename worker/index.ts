import type { Env } from "./env";
export { NamespaceObject } from "./namespace-object";
export { DirectoryObject } from "./directory-object";
export default {
  async fetch(_req: Request, env: Env): Promise<Response> {
    return new Response(await env.NAMESPACE.get(env.NAMESPACE.idFromName("root")).ping());
  },
} satisfies ExportedHandler<Env>;
