// What an agent call says besides the state's own prompt: its intent (the state's, else
// the caller's), and — for a state with no prompt, as an AEGIS Agent state without
// `input:` — the prompt the AEGIS orchestrator's agents work from: the intent and the
// blackboard (the run's inputs, its context, every state's output so far). Never empty.
import { type Locals, runIntent } from "../scope.ts";
import type { StateResult } from "../types.ts";
import type { Attempt } from "./attempt.ts";

/** The intent of the state's agent calls: its own (rendered), else the caller's; none if empty. */
export function intentOf(a: Attempt): string | undefined {
  if (a.state.intent) return a.render(a.state.intent);
  const intent = runIntent(a.ctx.run);
  return intent === "" ? undefined : intent;
}

/** What a state's result holds for the states after it: its output (a gate's answer). */
function outputOf(result: StateResult): unknown {
  return result.output ?? result.stdout ?? result.response ?? null;
}

/**
 * The blackboard as plain data: `input` and `context` (when not empty), each state's
 * output by its name, and each subworkflow's output under its `result_key`.
 */
export function blackboardData(a: Attempt): Record<string, unknown> {
  const { run, graph } = a.ctx;
  const board: Record<string, unknown> = {};
  if (Object.keys(run.inputs).length > 0) board.input = run.inputs;
  const context = graph.getAttribute("context");
  if (Object.keys(context).length > 0) board.context = context;
  for (const [state, result] of Object.entries(run.results)) {
    board[state] = outputOf(result);
    const key = graph.hasNode(state) ? graph.getNodeAttribute(state, "subworkflow") : undefined;
    if (key?.resultKey) board[key.resultKey] = result.output ?? null;
  }
  return board;
}

/** The prompt of a state that has none. */
export function defaultPrompt(a: Attempt, intent: string | undefined): string {
  const { graph, run } = a.ctx;
  const description = graph.getAttribute("description");
  const parts = [
    `Workflow ${graph.getAttribute("name")}${description ? ` (${description.trim()})` : ""}, state ${a.state.name}.`,
  ];
  if (intent) parts.push(`Intent: ${intent}`);
  const feedback = run.feedback[a.state.name];
  if (feedback) parts.push(`Feedback: ${feedback}`);
  parts.push(
    "The blackboard (the run's inputs, its context and the output of each state so far), as JSON:",
    JSON.stringify(blackboardData(a), null, 2),
  );
  return parts.join("\n\n");
}

/** The state's prompt rendered, or the default one when it has none. */
export function promptOf(
  a: Attempt,
  intent: string | undefined,
  locals: Locals = {},
  names: Record<string, unknown> = {},
): string {
  return a.state.prompt ? a.render(a.state.prompt, locals, names) : defaultPrompt(a, intent);
}
