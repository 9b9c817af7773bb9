// Helpers of the engine tests: compile a workflow from text, a scripted executor that
// records every call (state, attempt, idempotency key, rendered prompt), a clock under the
// test's control, and temporary store directories.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { type CompileResult, compile } from "../../../src/compiler/compile.ts";
import type { Clock, Executor } from "../../../src/runtime/engine.ts";
import type {
  ExecutionContext,
  ExecutorServices,
  StateResult,
} from "../../../src/runtime/types.ts";

export function compileSource(
  source: string,
  files: Record<string, string> = {},
  filename = "/virtual/main.aegis",
): CompileResult {
  const result = compile(source, {
    filename,
    readFile: (path) => files[path],
  });
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) {
    throw new Error(
      `the workflow does not compile:\n${errors.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join("\n")}`,
    );
  }
  return result;
}

export interface Call {
  state: string;
  attempt: number;
  key: string;
  prompt?: string;
  feedback: string;
}

export type Answer =
  | Partial<StateResult>
  | ((
      ctx: ExecutionContext,
      services: ExecutorServices,
    ) => Promise<Partial<StateResult>> | Partial<StateResult>);

/**
 * An executor that answers each state from a script (a list is consumed one per call; the
 * last entry repeats), succeeding with output "<STATE> done" by default.
 */
export function scripted(script: Record<string, Answer | Answer[]> = {}): {
  executor: Executor;
  calls: Call[];
} {
  const calls: Call[] = [];
  const used = new Map<string, number>();
  const executor: Executor = async (ctx, services) => {
    const state = ctx.state.name;
    calls.push({
      state,
      attempt: ctx.attempt,
      key: ctx.idempotencyKey,
      ...(ctx.state.prompt && { prompt: ctx.render(ctx.state.prompt) }),
      feedback: ctx.run.feedback[state] ?? "",
    });
    const entry = script[state];
    const n = used.get(state) ?? 0;
    used.set(state, n + 1);
    const answer = Array.isArray(entry) ? entry[Math.min(n, entry.length - 1)] : entry;
    const partial = typeof answer === "function" ? await answer(ctx, services) : (answer ?? {});
    return {
      status: "succeeded",
      output: `${state} done`,
      attempts: ctx.attempt,
      duration: 5,
      agentCalls: ctx.state.kind === "agent" ? 1 : 0,
      ...partial,
    } as StateResult;
  };
  return { executor, calls };
}

/** A clock that stands still unless told to move; sleeping moves it. */
export class TestClock implements Clock {
  time: number;
  readonly sleeps: number[] = [];
  constructor(start = Date.parse("2025-03-01T09:00:00.000Z")) {
    this.time = start;
  }
  now(): number {
    return this.time;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.time += ms;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

const dirs: string[] = [];
export function tempDir(prefix = "aegis-engine-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** The dev_pipeline's shape, small: plan, a gate, implement, review. */
export const gated = `
workflow gated "Plan, approve, build" {
  input task: string "What to build"
  input language: "python" | "typescript" = "python"

  agent planner
  agent coder

  limits { transitions: 20 }
  start PLAN

  state PLAN = agent planner timeout 1m visits 3 {
    prompt "Plan {{input.task}} in {{input.language}}.{{#if state.feedback}} Feedback: {{state.feedback}}{{/if}}"
    on success -> APPROVE
    on failure -> FAILED
  }

  state APPROVE = human timeout 1h {
    prompt "Approve this plan? {{PLAN.output}}"
    on approved -> BUILD
    on rejected -> PLAN feedback "{{human.feedback}}"
    on timeout -> FAILED
  }

  state BUILD = agent coder timeout 1m {
    prompt "Build: {{PLAN.output}}"
    on success -> DONE
    on failure -> FAILED
  }

  final DONE
  final FAILED failure
}
`;
