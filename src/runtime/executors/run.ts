// `run`: a command line run by `sh -c`, or an argument vector run directly (no shell),
// every part rendered; `env` values rendered and added to the runner's environment (with
// AEGIS_RUN_ID, AEGIS_STATE and AEGIS_IDEMPOTENCY_KEY); `workdir` relative to the
// workspace. The result holds stdout, stderr and exit_code; the state succeeds when the
// command exits 0.
import { resolve } from "node:path";
import { type CommandLine, type ProcessResult, runProcess } from "../process.ts";
import { shellCommand } from "../render.ts";
import type { Attempt, Outcome } from "./attempt.ts";

export function renderEnv(
  a: Attempt,
  env: Record<string, { text: string }> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(env ?? {})) out[name] = a.ctx.render(template);
  return out;
}

export function workspace(a: Attempt): string {
  return a.workdir ?? process.cwd();
}

/** A process's result as a state's outcome. */
export function processOutcome(a: Attempt, result: ProcessResult, what: string): Outcome {
  const fields = { output: result.stdout, stdout: result.stdout, stderr: result.stderr };
  switch (result.status) {
    case "timed_out":
      return {
        ...fields,
        status: "timed_out",
        error: { code: "timeout", message: `${what} timed out` },
      };
    case "cancelled":
      return a.interrupted(fields);
    case "spawn_failed":
      return {
        ...fields,
        status: "failed",
        exit_code: 127,
        error: { code: "spawn-failed", message: `${what} could not be started: ${result.error}` },
      };
    case "exited": {
      const exit = result.exitCode ?? 1;
      if (exit === 0) return { ...fields, status: "succeeded", exit_code: 0 };
      const why = result.signal ? `was killed by ${result.signal}` : `exited with code ${exit}`;
      return {
        ...fields,
        status: "failed",
        exit_code: exit,
        error: { code: "exit-code", message: `${what} ${why}` },
      };
    }
  }
}

export async function executeRun(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const spec = node.command;
  if (!spec)
    return {
      status: "failed",
      error: { code: "no-command", message: `state '${node.name}' has no command` },
    };
  const command: CommandLine =
    "shell" in spec
      ? { shell: a.ctx.render(shellCommand(spec.shell)) }
      : { argv: spec.argv.map((t) => a.ctx.render(t)) };
  const cwd = node.workdir ? resolve(workspace(a), a.ctx.render(node.workdir)) : a.workdir;
  const result = await runProcess({
    command,
    env: {
      ...renderEnv(a, node.env),
      AEGIS_RUN_ID: a.ctx.run.id,
      AEGIS_STATE: node.name,
      AEGIS_IDEMPOTENCY_KEY: a.ctx.idempotencyKey,
    },
    ...(cwd !== undefined && { cwd }),
    ...(a.environment && { baseEnv: a.environment }),
    signal: a.signal,
    killGraceMs: a.killGraceMs,
    onOutput: (stream, text) => a.emit(stream, text),
  });
  return processOutcome(a, result, `the command of '${node.name}'`);
}
