// `loop agent AGENT max N until CONDITION`: calls the agent up to N times, until CONDITION
// holds — evaluated after each answer with the answer's result fields bare (`output`,
// `score`, `confidence`, `iterations` …). In the prompt, {{iteration}} counts the answers
// given so far: 0 on the first call, 1 on the second … (so `iteration > 0` means "not the
// first", as in AgentOS), {{max_iterations}} is N and {{previous}} the previous answer
// ("" on the first call). The state's timeout bounds each call, not the whole loop (as the
// checker's worst case assumes). Reaching N answers without CONDITION holding is not a
// failure: the state succeeds with the last answer and `iterations` = N; transitions can
// test the answer themselves. A failed or timed-out call ends the loop with that status.
import { evaluate, truthy } from "../evaluate.ts";
import { resultView } from "../scope.ts";
import type { StateResult } from "../types.ts";
import { agentOf } from "./agent.ts";
import { type Attempt, callFailure, type Outcome, replyFields } from "./attempt.ts";
import { callOptions } from "./options.ts";
import { intentOf, promptOf } from "./prompt.ts";

export async function executeLoop(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const agent = agentOf(a);
  if (!agent)
    return {
      status: "failed",
      error: { code: "agent-missing", message: `state '${node.name}' names no agent` },
    };
  const max = Math.max(1, node.loop?.max ?? 1);
  const until = node.loop?.until;
  const intent = intentOf(a);
  const names = intent !== undefined ? { intent } : {};
  let previous: unknown;
  let result: Outcome = { status: "failed" };
  for (let i = 0; i < max; i++) {
    const locals = { iteration: i, max_iterations: max, previous };
    const call = await a.callAgent({
      agent,
      prompt: promptOf(a, intent, locals, names),
      ...(intent !== undefined && { intent }),
      ...(node.timeoutMs !== undefined && { timeoutMs: node.timeoutMs }),
      ...(i > 0 && { key: `iteration-${i}` }),
      ...callOptions(a, locals),
    });
    if (call.status !== "succeeded")
      return callFailure(call, {
        iterations: i + 1,
        ...(previous !== undefined && { output: previous }),
      });
    result = { status: "succeeded", ...replyFields(call.reply), iterations: i + 1 };
    if (!until) break;
    const view: StateResult = {
      ...result,
      attempts: a.ctx.attempt,
      duration: 0,
      agentCalls: a.calls,
    };
    const bare = resultView(node, view, a.ctx.run.visits[node.name] ?? 0);
    if (truthy(evaluate(until, a.scope(locals), bare))) break;
    previous = call.reply!.output;
  }
  return result;
}
