// `subworkflow ALIAS blocking|detached`: starts the imported workflow as a child run.
// Inputs: `input "template"` is rendered and, when it is a JSON object, is the inputs;
// other text is {input: TEXT}. `input { name: "template" }` renders each value (as text;
// the engine reads it as JSON for an input of the child that is not text). Blocking waits
// for the child and succeeds or fails with it (output and result are the child's output);
// detached returns the child's id once it has started — a child that could not start
// fails the state, detached or not. (`result KEY`: the blackboard keeps the child's output
// under KEY, see scope.ts.)
import type { StateNode } from "../../compiler/graph.ts";
import type { ExecutionContext, ExecutorServices } from "../types.ts";
import { type Attempt, errorOf, type Outcome } from "./attempt.ts";

/** What a child run of a subworkflow state came to (ExecutorServices.subworkflow). */
export type ChildRun = Awaited<ReturnType<ExecutorServices["subworkflow"]>>;

/** The inputs a subworkflow state gives its child, its templates rendered. */
export function subworkflowInputs(
  state: StateNode,
  render: ExecutionContext["render"],
): Record<string, unknown> {
  const input = state.input;
  if (!input) return {};
  if (typeof (input as { text?: unknown }).text === "string") {
    const text = render(input as { text: string });
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {}
    return { input: text };
  }
  return Object.fromEntries(
    Object.entries(input as Record<string, { text: string }>).map(([k, t]) => [k, render(t)]),
  );
}

export async function executeSubworkflow(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const spec = node.subworkflow;
  if (!spec)
    return {
      status: "failed",
      error: { code: "no-subworkflow", message: `state '${node.name}' names no workflow` },
    };
  const detached = spec.mode === "detached";
  let child: ChildRun;
  try {
    const inputs = subworkflowInputs(node, a.ctx.render);
    child = await a.services.subworkflow(spec.workflow, inputs, detached, a.signal);
  } catch (error) {
    if (a.signal.aborted) return a.interrupted();
    return { status: "failed", error: errorOf(error, "subworkflow-error") };
  }
  const outcome = childOutcome(spec.workflow, detached, child);
  if (outcome.status === "failed" && a.signal.aborted) {
    const { status: _status, error: _error, ...fields } = outcome;
    return a.interrupted(fields);
  }
  return outcome;
}

/** A subworkflow state's outcome from what its child run came to. */
export function childOutcome(workflow: string, detached: boolean, child: ChildRun): Outcome {
  // An empty id: no child run was created (the engine refused to start it).
  const started = child.id !== "";
  const fields: Outcome = {
    status: "succeeded",
    ...(started && { child_execution_id: child.id }),
    ...(child.output !== undefined && { output: child.output, result: child.output }),
  };
  if (child.status === "succeeded" || (detached && started && child.status !== "failed"))
    return fields;
  const cause = child.error ? `: ${child.error.code}: ${child.error.message}` : "";
  return {
    ...fields,
    status: "failed",
    // Inputs the child refuses are the workflow's mistake: kept as they are (step.ts ends
    // the run with them rather than follow the state's failure transitions).
    error:
      child.error?.code === "subworkflow-inputs"
        ? child.error
        : {
            code: "subworkflow-failed",
            message: started
              ? `subworkflow '${workflow}' (run ${child.id}) ended ${child.status}${cause}`
              : `subworkflow '${workflow}' did not start${cause}`,
          },
  };
}
