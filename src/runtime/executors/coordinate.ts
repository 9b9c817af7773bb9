// `coordinate [SPECIALISTS] by ROUTER steps N`: each round the router is asked who acts
// next, then that specialist answers; at most N rounds (so at most 2N agent calls). The
// router's answer names a specialist — its whole text, or the first specialist named in
// it — or says "done"/"finish" to stop; or it is JSON {"next": NAME, "done": BOOL}. The
// router sees the task, the specialists and the work so far; a specialist sees the task
// and the work so far. `route` lists the specialists in the order they acted, `steps` the
// rounds taken (specialist turns), `output` the last specialist's answer. A router answer
// that names no specialist fails the state ("router-invalid").
import { type AgentCall, type Attempt, callFailure, type Outcome, textOf } from "./attempt.ts";

const stopWords = /^(done|finish|finished|stop|complete|completed|end)\b/i;

/** The router's decision: a specialist, "done", or undefined when it named neither. */
export function routeOf(
  reply: { output: unknown; text: string },
  specialists: string[],
): string | "done" | undefined {
  const output = reply.output;
  if (output && typeof output === "object" && !Array.isArray(output)) {
    const o = output as Record<string, unknown>;
    if (o.done === true) return "done";
    const next = o.next ?? o.specialist ?? o.agent;
    if (typeof next === "string") return routeOf({ output: next, text: next }, specialists);
    if (o.done === false) return undefined;
  }
  const text = (typeof output === "string" ? output : reply.text)
    .trim()
    .replace(/^["'`*\s]+|["'`*.!\s]+$/g, "");
  const exact = specialists.find((s) => s.toLowerCase() === text.toLowerCase());
  if (exact) return exact;
  if (stopWords.test(text)) return "done";
  let best: { name: string; at: number } | undefined;
  for (const name of specialists) {
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const match = new RegExp(`(^|[^\\w-])${escaped}(?![\\w-])`, "i").exec(text);
    if (match && (!best || match.index < best.at)) best = { name, at: match.index };
  }
  return best?.name;
}

function workSoFar(turns: { specialist: string; output: unknown }[]): string {
  if (turns.length === 0) return "Nobody has acted yet.";
  return turns.map((t, i) => `${i + 1}. ${t.specialist}:\n${textOf(t.output)}`).join("\n\n");
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
  const steps = Math.max(1, spec.steps ?? 10);
  const turns: { specialist: string; output: unknown }[] = [];
  const partial = (): Partial<Outcome> => ({
    route: turns.map((t) => t.specialist),
    steps: turns.length,
    ...(turns.length > 0 && { output: turns.at(-1)!.output }),
  });
  for (let round = 0; round < steps; round++) {
    const routerPrompt = [
      task,
      `You coordinate these specialists: ${spec.specialists.join(", ")}.`,
      `Work so far:\n${workSoFar(turns)}`,
      `Reply with the name of the specialist who should act next, or "done" when the work is complete (or JSON: {"next": "<name>", "done": false}). Rounds left: ${steps - round}.`,
    ].join("\n\n");
    const routed: AgentCall = await a.callAgent({
      agent: spec.router,
      prompt: routerPrompt,
      key: `router-${round}`,
    });
    if (routed.status !== "succeeded") return callFailure(routed, partial());
    const next = routeOf(routed.reply!, spec.specialists);
    if (next === "done") break;
    if (next === undefined) {
      return {
        ...partial(),
        status: "failed",
        error: {
          code: "router-invalid",
          message: `router '${spec.router}' named no specialist (${spec.specialists.join(", ")}) and did not say done: ${textOf(routed.reply!.output).slice(0, 200)}`,
        },
      };
    }
    const specialistPrompt =
      turns.length > 0 ? `${task}\n\nWork so far:\n${workSoFar(turns)}` : task;
    const answered = await a.callAgent({
      agent: next,
      prompt: specialistPrompt,
      key: `specialist-${round}`,
    });
    if (answered.status !== "succeeded") return callFailure(answered, partial());
    turns.push({ specialist: next, output: answered.reply!.output });
  }
  return { status: "succeeded", ...partial() };
}
