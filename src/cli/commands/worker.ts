// aegis worker: serves the aegisRun workflow (src/restate/) to a Restate server or cluster,
// so that runs started there execute their states here. A thin shell over startWorker:
// options, an agents file, registration with the cluster's admin API, and a clean stop.

import { loadWorkflowModule } from "../../builder/module.ts";
import type { AgentFunction } from "../../runtime/types.ts";
import { readAgentsFile } from "../agents-file.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";

export async function workerCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("worker", {
    args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      agents: { type: "string" },
      register: { type: "string" },
      advertise: { type: "string" },
      force: { type: "boolean" },
      "identity-key": { type: "string", multiple: true },
      module: { type: "string", multiple: true },
      verbose: { type: "boolean" },
    },
  });
  if (positionals.length > 0)
    throw new UsageError(`unexpected argument '${positionals[0]}'`, "worker");
  const port = values.port === undefined ? 9080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port must be a port number (got '${values.port}')`, "worker");
  if (values.advertise !== undefined && values.register === undefined)
    throw new UsageError("--advertise goes with --register", "worker");
  const agents = values.agents !== undefined ? readAgentsFile(values.agents) : undefined;
  // Workflows built in TypeScript: their function agents run here, found by name.
  const functions: Record<string, AgentFunction> = {};
  for (const module of values.module ?? []) {
    const loaded = await loadWorkflowModule(module);
    if ("error" in loaded) {
      io.stderr(`aegis: ${loaded.error}\n`);
      return 2;
    }
    Object.assign(functions, loaded.workflow.functions);
  }
  const { registerWorker, startWorker } = await import("../../restate/worker.ts");
  const log = (line: string) => io.stderr(`${line}\n`);
  const worker = await startWorker({
    port,
    ...(values.host !== undefined && { host: values.host }),
    ...(agents && { agents: agents.agents }),
    functions,
    identityKeys: values["identity-key"] ?? identityKeysFromEnvironment(),
    log: (level, message) => {
      if (values.verbose || level === "warn" || level === "error")
        log(`aegis worker: ${level}: ${message}`);
    },
  });
  io.stdout(`aegis worker listening on ${worker.url}\n`);
  if (values.register !== undefined) {
    const url = values.advertise ?? worker.url;
    try {
      const { id } = await registerWorker(values.register, url, { force: values.force ?? false });
      log(`aegis worker: registered ${url} with ${values.register} (deployment ${id})`);
    } catch (error) {
      await worker.close();
      throw error;
    }
  }
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await worker.close();
  return 0;
}

/** $AEGIS_RESTATE_IDENTITY_KEYS: the cluster's request-identity public keys, comma-separated. */
function identityKeysFromEnvironment(): string[] {
  return (process.env.AEGIS_RESTATE_IDENTITY_KEYS ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean);
}
