// The registry's routes: deploy a compiled workflow, list the deployed ones, a workflow's
// versions, one version's document, and what the checker proves of it.
import type { Hono } from "hono";
import type { DeployRequest } from "../../api/workflows.ts";
import { figuresOf } from "../../compiler/figures.ts";
import { RuntimeError } from "../../runtime/types.ts";
import type { AppDeps } from "../app.ts";
import { type Env, ProblemException, readJson } from "../http.ts";
import { KEEP_VERSIONS, type Registry } from "../registry.ts";

export function workflowRoutes(app: Hono<Env>, deps: AppDeps): void {
  const { registry } = deps;

  // The body is the compiled document (aegis compile --out), not source: the server reads
  // no files for a client (a source's imports would be paths on the server's disk) and
  // runs no parser on what it is sent; the client has printed the diagnostics already.
  // The document's content hash is checked as it is loaded.
  app.post("/v1/workflows", async (c) => {
    const document = await readJson<DeployRequest>(c, "GraphDocument");
    let deployed: ReturnType<typeof registry.deploy>;
    try {
      deployed = registry.deploy(document);
      // A version it replaces stays while runs hold it (they keep the version they started
      // with), and while it is among the latest deployed (to go back to).
      registry.prune(KEEP_VERSIONS);
    } catch (error) {
      if (error instanceof RuntimeError && error.code === "invalid-workflow") {
        throw new ProblemException("invalid-workflow", error.message);
      }
      throw error;
    }
    const location = `/v1/workflows/${encodeURIComponent(deployed.name)}/versions/${deployed.version}`;
    c.header("location", location);
    return c.json(deployed, deployed.created ? 201 : 200);
  });

  app.get("/v1/workflows", (c) => c.json({ workflows: registry.list() }));

  app.get("/v1/workflows/:name", (c) => {
    const name = c.req.param("name");
    const detail = registry.get(name);
    if (!detail)
      throw new ProblemException("unknown-workflow", `no workflow '${name}' is deployed`);
    return c.json(detail);
  });

  app.get("/v1/workflows/:name/versions/:version", (c) =>
    c.json(storedVersion(registry, c.req.param("name"), c.req.param("version")).document),
  );

  // What the checker proves of the version: its worst case and each state's visits.
  app.get("/v1/workflows/:name/versions/:version/figures", (c) =>
    c.json(
      figuresOf(storedVersion(registry, c.req.param("name"), c.req.param("version")).document),
    ),
  );
}

/** A stored version, or the problem that says which of its name and version is unknown. */
function storedVersion(registry: Registry, name: string, version: string) {
  if (!registry.get(name)) {
    throw new ProblemException("unknown-workflow", `no workflow '${name}' is deployed`);
  }
  const stored = registry.version(name, version);
  if (!stored) {
    throw new ProblemException("unknown-version", `'${name}' has no version ${version}`);
  }
  return stored;
}
