// `agent`: calls the agent with the rendered prompt (the state's intent rendered too, sent
// as the invocation's intent and available to the prompt as {{intent}}). With judges,
// each answer is scored by every judge at once and the consensus gives the state's score
// and confidence; with `iterations N` as well, the agent answers again — its previous
// answer and the judges' reasons appended to the prompt (unless the prompt uses
// {{previous}} itself) — until the judges' consensus is reached, at most N times. Without
// judges the agent answers once (there is nothing to refine against).
import type { JudgeSpec } from "../../compiler/graph.ts";
import type { Locals } from "../scope.ts";
import {
  type Attempt,
  callFailure,
  mentions,
  type Outcome,
  replyFields,
  textOf,
} from "./attempt.ts";
import { decide, scoreOf } from "./consensus.ts";
import { runJudges } from "./judges.ts";
import { callOptions } from "./options.ts";
import { intentOf, promptOf } from "./prompt.ts";

const replyFormat =
  'Reply with a JSON object only: {"score": <a number from 0 to 1>, "confidence": <0 to 1>, "reasoning": "<why>"}.';

/** The agent a state calls: its name, or its rendered name template. */
export function agentOf(a: Attempt): string | undefined {
  const node = a.state;
  if (node.agentTemplate) return a.render(node.agentTemplate).trim() || undefined;
  return node.agent;
}

function judgePrompt(
  a: Attempt,
  judge: JudgeSpec,
  task: string,
  output: unknown,
  locals: Locals,
): string {
  const answer = textOf(output);
  if (!judge.prompt)
    return `Evaluate the answer to this task. ${replyFormat}\n\nTask:\n${task}\n\nAnswer:\n${answer}`;
  const text = a.render(judge.prompt, { ...locals, output });
  return mentions(judge.prompt, "output")
    ? `${text}\n\n${replyFormat}`
    : `${text}\n\n${replyFormat}\n\nThe answer to evaluate:\n${answer}`;
}

export async function executeAgent(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const agent = agentOf(a);
  if (!agent)
    return {
      status: "failed",
      error: { code: "agent-missing", message: `state '${node.name}' names no agent` },
    };
  const intent = intentOf(a);
  const names = intent !== undefined ? { intent } : {};
  const judges = node.judges ?? [];
  const rounds = judges.length > 0 ? Math.max(1, node.iterations ?? 1) : 1;
  let previous: unknown;
  let feedback = "";
  let result: Outcome = { status: "failed" };
  for (let i = 0; i < rounds; i++) {
    const locals: Locals = node.iterations
      ? { iteration: i, max_iterations: node.iterations, previous }
      : {};
    let prompt = promptOf(a, intent, locals, names);
    if (i > 0 && !mentions(node.prompt, "previous")) {
      prompt += `\n\nYour previous answer:\n${textOf(previous)}`;
      if (feedback) prompt += `\n\nWhat the reviewers said:\n${feedback}`;
      prompt += "\n\nImprove your answer.";
    }
    const call = await a.callAgent({
      agent,
      prompt,
      ...(intent !== undefined && { intent }),
      ...(i > 0 && { key: `iteration-${i}` }),
      ...callOptions(a, locals),
    });
    if (call.status !== "succeeded") return callFailure(call, { iterations: i + 1 });
    const output = call.reply!.output;
    result = { status: "succeeded", ...replyFields(call.reply), iterations: i + 1 };
    if (judges.length === 0) break;

    const { verdicts, firstError } = await runJudges(
      a,
      judges,
      (judge) => judgePrompt(a, judge, prompt, output, locals),
      i > 0 ? `iteration-${i}-judge-` : "judge-",
    );
    if (a.signal.aborted) return a.interrupted(result);
    const outcome = decide(verdicts, node.consensus);
    result = {
      ...result,
      score: outcome.consensus.score,
      confidence: outcome.consensus.confidence,
      consensus: outcome.consensus,
      agents: outcome.agents,
      all_approved: outcome.all_approved,
      any_rejected: outcome.any_rejected,
      approvals: outcome.approvals,
    };
    if (!outcome.quorum) {
      return {
        ...result,
        status: "failed",
        error: {
          code: "judges-quorum",
          message: `${outcome.answered} of ${judges.length} judges answered; at least ${outcome.minJudges} must${firstError ? ` (${firstError.message})` : ""}`,
        },
      };
    }
    if (outcome.consensus.reached) break;
    feedback = verdicts
      .filter((v) => v.status === "succeeded")
      .map(
        (v) =>
          `- ${v.agent}: score ${scoreOf(v) ?? "none"}${v.reasoning ? `: ${v.reasoning}` : ""}`,
      )
      .join("\n");
    previous = output;
  }
  return result;
}
