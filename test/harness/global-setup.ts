// vitest globalSetup of a Worker project: starts the project's store backend and the control server, and
// hands their settings to the project (its Miniflare bindings and the tests, through inject()).
import type { TestProject } from "vitest/node";
import "./provided";
import { type BackendName, startBackend } from "./backends";
import { startControl } from "./control";

export function backendOfProject(projectName: string): BackendName {
  const m = /^workers(?:-(.+))?$/.exec(projectName);
  return (m?.[1] ?? "durable-object") as BackendName;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const backend = await startBackend(backendOfProject(project.name));
  const control = await startControl(backend);
  project.provide("storeVars", backend.vars);
  project.provide("controlUrl", control.url);
  project.provide("backend", backend.name);
  if (backend.name !== "durable-object") console.log(`[${project.name}] store backend: ${backend.description}`);
  return async () => {
    await control.close();
    await backend.stop();
  };
}
