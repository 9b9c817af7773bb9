// Calls judges side by side (parallel states, and judges of agent states) and turns their
// replies into verdicts for the consensus.
import type { JudgeSpec } from "../../compiler/graph.ts";
import type { Attempt } from "./attempt.ts";
import type { JudgeVerdict } from "./consensus.ts";

export interface JudgeRun {
  verdicts: JudgeVerdict[];
  /** The first failure of a judge, for messages. */
  firstError?: { code: string; message: string };
}

export async function runJudges(
  a: Attempt,
  judges: JudgeSpec[],
  promptOf: (judge: JudgeSpec, index: number) => string,
  keyPrefix: string,
): Promise<JudgeRun> {
  const finished = a.fanOut(judges.length, judges.length === 1 ? "judge" : "judges");
  const calls = await Promise.all(
    judges.map(async (judge, i) => {
      const call = await a.callAgent({
        agent: judge.agent,
        prompt: promptOf(judge, i),
        ...(judge.timeoutMs !== undefined && { timeoutMs: judge.timeoutMs }),
        key: `${keyPrefix}${i}`,
      });
      finished(call.status === "succeeded");
      return call;
    }),
  );
  const verdicts = calls.map((call, i): JudgeVerdict => {
    const reply = call.reply;
    return {
      agent: call.agent,
      weight: judges[i]!.weight,
      status: call.status,
      ...(reply && call.status === "succeeded" && { output: reply.output, text: reply.text }),
      ...(reply?.score !== undefined && { score: reply.score }),
      ...(reply?.confidence !== undefined && { confidence: reply.confidence }),
      ...(reply?.reasoning !== undefined && { reasoning: reply.reasoning }),
    };
  });
  const firstError = calls.find((c) => c.error)?.error;
  return { verdicts, ...(firstError && { firstError }) };
}
