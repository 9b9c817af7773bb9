// Builds what an executor needs from a small workflow: compile it, create a run record
// (with the results of states that "already ran"), and an ExecutionContext whose render
// spreads its extra names over runScope — as an engine would.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import { compile } from "../../../src/compiler/compile.ts";
import type { WorkflowGraph } from "../../../src/compiler/graph.ts";
import { type ExecuteOptions, executeState } from "../../../src/runtime/execute.ts";
import { createAgentResolver } from "../../../src/runtime/providers/index.ts";
import { render } from "../../../src/runtime/render.ts";
import { runScope } from "../../../src/runtime/scope.ts";
import { attemptKey, createRun } from "../../../src/runtime/step.ts";
import type {
  AgentFunction,
  ExecutionContext,
  ExecutorServices,
  RunObservation,
  StateResult,
} from "../../../src/runtime/types.ts";

/** The fixture agents' folder (executable node scripts). */
export const AGENTS = fileURLToPath(new URL("../../fixtures/agents/", import.meta.url));
/** Fake CLIs (claude, gemini, opencode, codex, docker). */
export const FAKE_BIN = join(AGENTS, "bin");

export function agentPath(name: string): string {
  return join(AGENTS, name);
}

/** Compiles a workflow; `files` are the files its imports may read (by absolute path). */
export function compileWorkflow(source: string, files: Record<string, string> = {}): WorkflowGraph {
  const result = compile(source, {
    filename: "/virtual/executor-test.aegis",
    readFile: (path) => files[path],
  });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `the test workflow does not compile:\n${errors.map((e) => `${e.code} ${e.line}:${e.column} ${e.message}`).join("\n")}`,
    );
  }
  return result.graph;
}

export interface Harness {
  graph: WorkflowGraph;
  ctx: ExecutionContext;
  services: ExecutorServices;
  observations: RunObservation[];
  run(options?: ExecuteOptions): Promise<StateResult>;
}

export interface HarnessOptions {
  inputs?: Record<string, unknown>;
  /** Results of states that ran before this one. */
  results?: Record<string, Partial<StateResult>>;
  functions?: Record<string, AgentFunction>;
  subworkflow?: ExecutorServices["subworkflow"];
  signal?: AbortSignal;
  attempt?: number;
  /** Files imports read, by absolute path ("/virtual/child.aegis" for `import "./child.aegis"`). */
  files?: Record<string, string>;
}

/** An executor harness for state `state` of `source`. */
export function harness(source: string, state: string, options: HarnessOptions = {}): Harness {
  const graph = compileWorkflow(source, options.files);
  const inputs: Record<string, unknown> = {};
  for (const input of graph.getAttribute("inputs"))
    if (input.default !== undefined) inputs[input.name] = input.default;
  Object.assign(inputs, options.inputs);
  const run = createRun(graph, {
    id: "run-1",
    graphHash: "hash",
    inputs,
    at: new Date().toISOString(),
  });
  for (const [name, result] of Object.entries(options.results ?? {})) {
    run.results[name] = { status: "succeeded", attempts: 1, duration: 0, agentCalls: 0, ...result };
    run.visits[name] = 1;
  }
  run.visits[state] = (run.visits[state] ?? 0) + 1;
  run.current = state;
  run.attempt = options.attempt ?? 1;
  const observations: RunObservation[] = [];
  const ctx: ExecutionContext = {
    run,
    graph,
    state: graph.getNodeAttributes(state),
    attempt: run.attempt,
    idempotencyKey: attemptKey(run, state, run.attempt),
    render: (template, extra) =>
      render(template.text, Object.assign(runScope(graph, run, state), extra)),
    signal: options.signal ?? new AbortController().signal,
    emit: (o) => observations.push(o),
  };
  const resolve = createAgentResolver(graph.getAttribute("agents"), options.functions ?? {});
  const services: ExecutorServices = {
    agent: resolve,
    subworkflow:
      options.subworkflow ?? (() => Promise.reject(new Error("this test has no subworkflows"))),
  };
  return { graph, ctx, services, observations, run: (opts) => executeState(ctx, services, opts) };
}

const dirs: string[] = [];
/** A fresh temporary directory, removed after the test that made it. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-exec-test-"));
  dirs.push(dir);
  return dir;
}
// Thousands of these were left in /tmp after a day of test runs. maxRetries: a process a
// test left behind (killed, not yet gone) may still be writing its pid file.
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
});

/** The lines of a counter file (one JSON-encoded prompt per call). */
export function counted(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as string);
}

/** Whether a process exists and is not a zombie (a dead process nobody has reaped yet). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Waits until `check` holds (or `ms` pass); returns whether it held. Generous: it returns as
 * soon as the check holds; only a check that never holds waits it out.
 */
export async function eventually(check: () => boolean, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** A JSON string literal usable inside an aegis string (paths, env values). */
export function q(text: string): string {
  return JSON.stringify(text);
}
