// `subworkflow ALIAS blocking|detached`: starts the imported workflow as a child run.
// Inputs: `input "template"` is rendered and, when it is a JSON object, is the inputs;
// other text is {input: TEXT}. `input { name: "template" }` renders each value (as text).
// Blocking waits for the child and succeeds or fails with it (output and result are the
// child's output); detached returns the child's id at once. (`result KEY` names where an
// engine keeps the child's result; it changes nothing here.)
import { type Attempt, errorOf, type Outcome } from "./attempt.ts";

export function subworkflowInputs(a: Attempt): Record<string, unknown> {
  const input = a.state.input;
  if (!input) return {};
  if (typeof (input as { text?: unknown }).text === "string") {
    const text = a.ctx.render(input as { text: string });
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {}
    return { input: text };
  }
  return Object.fromEntries(
    Object.entries(input as Record<string, { text: string }>).map(([k, t]) => [k, a.ctx.render(t)]),
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
  let child: Awaited<ReturnType<Attempt["services"]["subworkflow"]>>;
  try {
    child = await a.services.subworkflow(spec.workflow, subworkflowInputs(a), detached, a.signal);
  } catch (error) {
    if (a.signal.aborted) return a.interrupted();
    return { status: "failed", error: errorOf(error, "subworkflow-error") };
  }
  const fields: Outcome = {
    status: "succeeded",
    child_execution_id: child.id,
    ...(child.output !== undefined && { output: child.output, result: child.output }),
  };
  if (detached || child.status === "succeeded") return fields;
  if (a.signal.aborted) return a.interrupted(fields);
  return {
    ...fields,
    status: "failed",
    error: {
      code: "subworkflow-failed",
      message: `subworkflow '${spec.workflow}' (run ${child.id}) ended ${child.status}${child.error ? `: ${child.error.code}: ${child.error.message}` : ""}`,
    },
  };
}
