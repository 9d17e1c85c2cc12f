// What the Worker projects' globalSetup (global-setup.ts) provides to their tests through inject().
export {};

declare module "vitest" {
  export interface ProvidedContext {
    /** The Worker vars and secrets pointing at the project's store backend. */
    storeVars: Record<string, string>;
    /** The control server acting on the backend's processes (test/harness/control.ts). */
    controlUrl: string;
    /** The project's store backend. */
    backend: string;
  }
}
