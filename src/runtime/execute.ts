// Performs one attempt of one state's action (agents, commands, containers, judges,
// fan-outs, loops, coordinators, subworkflows): the executor of the state's kind
// (src/runtime/executors/) does the work; this adds what every attempt has. The state's
// timeout bounds the attempt (a loop's bounds each of its calls instead): when it passes,
// everything the attempt started is stopped — process groups killed, agent calls aborted —
// and the attempt ends "timed_out". Cancelling the run (ctx.signal) stops it the same way
// and ends it "failed" with error "cancelled". Never throws: a failure of the action, or
// of the runtime while performing it, is a "failed" result with an error code. Retries
// are not decided here: the core (step.ts) asks for another attempt.

import type { StateNode } from "../compiler/graph.ts";
import { onAbort, untilAborted } from "./abort.ts";
import { executeAgent } from "./executors/agent.ts";
import {
  Attempt,
  type ExecuteOptions,
  errorOf,
  type Outcome,
  settle,
} from "./executors/attempt.ts";
import { executeBranch } from "./executors/branch.ts";
import { executeContainer } from "./executors/container.ts";
import { executeContainers } from "./executors/containers.ts";
import { executeCoordinate } from "./executors/coordinate.ts";
import { executeForeach } from "./executors/foreach.ts";
import { executeLoop } from "./executors/loop.ts";
import { executeParallel } from "./executors/parallel.ts";
import { executeRun } from "./executors/run.ts";
import { executeSubworkflow } from "./executors/subworkflow.ts";
import { startTimer } from "./timer.ts";
import type { ExecutionContext, ExecutorServices, StateResult } from "./types.ts";

export type { ExecuteOptions } from "./executors/attempt.ts";

const executors: Record<StateNode["kind"], (a: Attempt) => Promise<Outcome>> = {
  agent: executeAgent,
  run: executeRun,
  container: executeContainer,
  containers: executeContainers,
  parallel: executeParallel,
  foreach: executeForeach,
  loop: executeLoop,
  coordinate: executeCoordinate,
  subworkflow: executeSubworkflow,
  branch: executeBranch,
  final: executeBranch,
  human: async () => ({
    status: "failed",
    error: { code: "not-executable", message: "human gates are answered, not executed" },
  }),
};

export async function executeState(
  ctx: ExecutionContext,
  services: ExecutorServices,
  options: ExecuteOptions = {},
): Promise<StateResult> {
  const started = Date.now();
  const timeoutMs = ctx.state.kind === "loop" ? undefined : ctx.state.timeoutMs;
  const attempt = new Attempt(ctx, services, options, timeoutMs !== undefined);
  const finish = (outcome: Outcome): StateResult => ({
    ...outcome,
    attempts: ctx.attempt,
    duration: Date.now() - started,
    agentCalls: attempt.calls,
    ...(attempt.usage && { usage: attempt.usage }),
  });
  if (ctx.signal.aborted) return finish(attempt.interrupted());

  const executor = executors[ctx.state.kind];
  const work = (async (): Promise<Outcome> => {
    try {
      return await executor(attempt);
    } catch (error) {
      return { status: "failed", error: errorOf(error, "internal-error") };
    }
  })();
  // The attempt's signal aborts at its timeout or with the run (attempt.abort).
  const cancelTimer =
    timeoutMs !== undefined ? startTimer(timeoutMs, () => attempt.abort(true)) : undefined;
  const stopForwarding = onAbort(ctx.signal, () => attempt.abort(false));
  try {
    const first = await untilAborted(work, attempt.signal);
    if (first !== "interrupted") return finish(first);
    // Give the executor the time to stop its processes, and keep what it reports.
    const late = await settle(work, attempt.killGraceMs + 1500);
    const base = attempt.interrupted();
    if (!late) return finish(base);
    const { status: _status, error: _error, ...fields } = late;
    if (attempt.timedOut) {
      return finish({
        ...fields,
        status: "timed_out",
        error: {
          code: "timeout",
          message: `state '${ctx.state.name}' did not finish within ${timeoutMs} ms`,
        },
      });
    }
    return finish({ ...fields, ...base });
  } finally {
    cancelTimer?.();
    stopForwarding();
  }
}
