// `coordinate [SPECIALISTS] by ROUTER steps N [then fail | finish]`: Ajolopy's @Workflow.
// Each round the router is given the run's context (RouterContext: the task, the inputs,
// every specialist call so far with its input and its answer or error, the step count and
// cap, the feedback) — a function router as `invocation.context`, every router as JSON at
// the end of its prompt — and replies with the specialist who acts next and what to ask
// them, or finishes, with the answer (readRoute; the format is in grammar/README.md). A
// specialist's failure does not end the state: it becomes a call marked as an error, which
// the router sees next round, and a `specialist-failed` observation — the router decides
// whether to retry, go elsewhere or give up, as Ajolopy's coordinator does with an
// AgentError. A router that has not finished after N rounds fails the state with
// `coordinator-steps-exhausted`, unless `then finish` ends it with the last answer. The
// router's own failure, or a reply that cannot be followed (`router-invalid`), fails it.
import type { RouterContext, SpecialistCall } from "../types.ts";
import { type Attempt, callFailure, type Outcome, textOf } from "./attempt.ts";

/** What a router's reply decides. */
export type Route =
  | { kind: "next"; specialist: string; input?: string }
  | { kind: "finish"; answer?: unknown }
  | { kind: "invalid"; problem: string };

const stopWords = /^(done|finish|finished|stop|complete|completed|end)\b/i;

/**
 * Reads a router's reply. A JSON object is read strictly: `{"next": NAME, "input": …}` or
 * `{"finish": true, "answer": …}` (`done` for `finish`; `specialist` or `agent` for
 * `next`). Text is read as models write it: a specialist's name, the first one named, or
 * "done"/"finish" at its start.
 */
export function readRoute(reply: { output: unknown; text: string }, specialists: string[]): Route {
  const output = reply.output ?? "";
  if (output && typeof output === "object" && !Array.isArray(output))
    return routeOfObject(output as Record<string, unknown>, specialists);
  if (typeof output !== "string")
    return { kind: "invalid", problem: "is neither text nor a JSON object" };
  const text = output.trim();
  if (text === "") return { kind: "invalid", problem: "is empty" };
  // Text that meant to be JSON is a malformed reply, not prose that may name someone.
  if (text.startsWith("{")) return { kind: "invalid", problem: "is not a valid JSON object" };
  const bare = text.replace(/^["'`*\s]+|["'`*.!\s]+$/g, "");
  const exact = specialists.find((s) => s.toLowerCase() === bare.toLowerCase());
  if (exact) return { kind: "next", specialist: exact };
  if (stopWords.test(bare)) return { kind: "finish" };
  let best: { name: string; at: number } | undefined;
  for (const name of specialists) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const match = new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`, "i").exec(bare);
    if (match && (!best || match.index < best.at)) best = { name, at: match.index };
  }
  if (best) return { kind: "next", specialist: best.name };
  return {
    kind: "invalid",
    problem: `names no specialist (${specialists.join(", ")}) and does not say finish`,
  };
}

function routeOfObject(o: Record<string, unknown>, specialists: string[]): Route {
  const invalid = (problem: string): Route => ({ kind: "invalid", problem });
  const given = (k: string) => o[k] !== undefined && o[k] !== null;
  const finishKey = ["finish", "done"].find(given);
  const nextKey = ["next", "specialist", "agent"].find(given);
  const finish = finishKey === undefined ? undefined : o[finishKey];
  if (finish !== undefined && typeof finish !== "boolean")
    return invalid(`has "${finishKey}": ${JSON.stringify(finish)}, not true or false`);
  if (finish === true) {
    if (nextKey) return invalid(`says both "${finishKey}": true and "${nextKey}"`);
    return "answer" in o ? { kind: "finish", answer: o.answer } : { kind: "finish" };
  }
  if (!nextKey)
    return invalid(
      finish === false
        ? `says "${finishKey}": false but names no "next" specialist`
        : 'has neither "next" nor "finish"',
    );
  const next = o[nextKey];
  if (typeof next !== "string")
    return invalid(`has "${nextKey}": ${JSON.stringify(next)}, not a specialist's name`);
  const specialist = specialists.find((s) => s.toLowerCase() === next.trim().toLowerCase());
  if (!specialist)
    return invalid(`names '${next}', who is not a specialist (${specialists.join(", ")})`);
  if ("answer" in o)
    return invalid(`gives an "answer" but hands the work to '${specialist}' (not "finish": true)`);
  const input = o.input === undefined || o.input === null ? "" : textOf(o.input);
  return input.trim() === "" ? { kind: "next", specialist } : { kind: "next", specialist, input };
}

/** A reply, quoted in an error: its text, cut short. */
function quoted(reply: { output: unknown; text: string }): string {
  const text = (reply.text.trim() || textOf(reply.output)).replace(/\s+/g, " ");
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 299)}…` : text);
}

/** The router's prompt: the task, what to reply, and the context as JSON, last. */
export function routerPrompt(context: RouterContext): string {
  return [
    context.task,
    `You coordinate these specialists: ${context.specialists.join(", ")}. Each step, hand the work to one of them with what to ask them, or finish with the answer. This is step ${context.step_count + 1} of at most ${context.max_steps}.`,
    'Reply with one JSON object and nothing else: {"next": "<specialist>", "input": "<what to ask them>"} to hand the work on, or {"finish": true, "answer": "<the final answer>"} when it is done. A specialist that failed has an "error" instead of an "output" in "results": ask it again, ask another, or finish.',
    `The work so far (JSON):\n\`\`\`json\n${JSON.stringify(context, null, 2)}\n\`\`\``,
  ]
    .filter((part) => part !== "")
    .join("\n\n");
}

/** A specialist's prompt when the router did not say what to ask: the task and the work so far. */
function specialistPrompt(task: string, calls: SpecialistCall[]): string {
  if (calls.length === 0) return task;
  const work = calls
    .map((c, i) =>
      c.status === "succeeded"
        ? `${i + 1}. ${c.agent}:\n${textOf(c.output)}`
        : `${i + 1}. ${c.agent} failed: ${c.error?.message ?? c.status}`,
    )
    .join("\n\n");
  return `${task}\n\nWork so far:\n${work}`;
}

export async function executeCoordinate(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const spec = node.coordinate;
  if (!spec || spec.specialists.length === 0) {
    return {
      status: "failed",
      error: { code: "no-specialists", message: `state '${node.name}' has no specialists` },
    };
  }
  const task = a.render(node.prompt);
  const maxSteps = Math.max(1, spec.steps ?? 10);
  const feedback = a.ctx.run.feedback[node.name] ?? null;
  const calls: SpecialistCall[] = [];
  let rounds = 0;
  const partial = (): Partial<Outcome> => {
    const last = calls.findLast((c) => c.status === "succeeded");
    return {
      route: calls.map((c) => c.agent),
      steps: rounds,
      results: structuredClone(calls),
      ...(last && { output: last.output }),
    };
  };

  for (let round = 0; round < maxSteps; round++) {
    rounds = round + 1;
    // Copies: a function router may change what it is given, never the run's record.
    const context: RouterContext = structuredClone({
      task,
      inputs: a.ctx.run.inputs,
      specialists: spec.specialists,
      results: calls,
      step_count: round,
      max_steps: maxSteps,
      feedback,
    });
    const routed = await a.callAgent({
      agent: spec.router,
      prompt: routerPrompt(context),
      key: `router-${round}`,
      context,
    });
    if (routed.status !== "succeeded") return callFailure(routed, partial());
    const route = readRoute(routed.reply!, spec.specialists);
    if (route.kind === "invalid") {
      return {
        ...partial(),
        status: "failed",
        error: {
          code: "router-invalid",
          message: `the reply of router '${spec.router}' ${route.problem}: ${quoted(routed.reply!)}`,
        },
      };
    }
    if (route.kind === "finish") {
      return {
        ...partial(),
        ...("answer" in route && { output: route.answer }),
        status: "succeeded",
      };
    }

    const input = route.input ?? specialistPrompt(task, calls);
    const answered = await a.callAgent({
      agent: route.specialist,
      prompt: input,
      key: `specialist-${round}`,
    });
    const call: SpecialistCall = {
      step: round + 1,
      agent: route.specialist,
      input,
      status: answered.status,
    };
    calls.push(call);
    if (answered.status === "succeeded") {
      call.output = answered.reply!.output;
      continue;
    }
    // The state's own end (its timeout, the run's cancellation) is not the specialist's.
    if (a.signal.aborted) return a.interrupted(partial());
    call.error = answered.error ?? {
      code: "agent-failed",
      message: `agent '${route.specialist}' failed`,
    };
    a.ctx.emit({
      type: "specialist-failed",
      run: a.ctx.run.id,
      state: node.name,
      agent: route.specialist,
      step: call.step,
      error: call.error,
      at: new Date().toISOString(),
    });
  }

  const answered = calls.some((c) => c.status === "succeeded");
  if (spec.exhausted === "finish" && answered) return { ...partial(), status: "succeeded" };
  const failed = calls.filter((c) => c.status !== "succeeded").length;
  return {
    ...partial(),
    status: "failed",
    error: {
      code: "coordinator-steps-exhausted",
      message:
        `coordinator '${node.name}' ran out of steps: ${rounds} of ${maxSteps} taken and router '${spec.router}' did not finish (${calls.length} specialist calls, ${failed} failed)` +
        (spec.exhausted === "finish" ? "; no specialist answered, so there is no answer" : ""),
    },
  };
}
