// `parallel`: every judge at once, each with its own prompt (else the state's) and its own
// timeout; their verdicts combine by the state's consensus (see consensus.ts). The state
// succeeds whether or not consensus is reached (transitions test `consensus`); it fails
// when fewer than min_judges judges answer.
import type { Attempt, Outcome } from "./attempt.ts";
import { decide } from "./consensus.ts";
import { runJudges } from "./judges.ts";
import { defaultPrompt, intentOf } from "./prompt.ts";

export async function executeParallel(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const judges = node.judges ?? [];
  if (judges.length === 0)
    return {
      status: "failed",
      error: { code: "no-judges", message: `parallel state '${node.name}' has no judges` },
    };
  const shared = node.prompt
    ? a.render(node.prompt)
    : judges.every((j) => j.prompt)
      ? ""
      : defaultPrompt(a, intentOf(a));
  const { verdicts, firstError } = await runJudges(
    a,
    judges,
    (judge) => (judge.prompt ? a.render(judge.prompt) : shared),
    "judge-",
  );
  if (a.signal.aborted) return a.interrupted();
  const outcome = decide(verdicts, node.consensus);
  const fields: Outcome = {
    status: "succeeded",
    output:
      outcome.best !== undefined
        ? verdicts[outcome.best]!.output
        : verdicts.filter((v) => v.status === "succeeded").map((v) => v.output),
    score: outcome.consensus.score,
    confidence: outcome.consensus.confidence,
    consensus: outcome.consensus,
    agents: outcome.agents,
    judges: outcome.agents,
    all_approved: outcome.all_approved,
    any_rejected: outcome.any_rejected,
    approvals: outcome.approvals,
  };
  if (outcome.best !== undefined && verdicts[outcome.best]!.reasoning)
    fields.reasoning = verdicts[outcome.best]!.reasoning!;
  if (!outcome.quorum) {
    const allTimedOut = verdicts.every((v) => v.status !== "failed");
    return {
      ...fields,
      status: allTimedOut ? "timed_out" : "failed",
      error: {
        code: "judges-quorum",
        message: `${outcome.answered} of ${judges.length} judges answered; at least ${outcome.minJudges} must${firstError ? ` (${firstError.message})` : ""}`,
      },
    };
  }
  return fields;
}
