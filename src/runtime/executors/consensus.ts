// How judges' verdicts combine (`consensus { strategy, threshold, agreement, min_judges }`).
// Pure. Definitions:
//
// - A judge *answered* when its call succeeded. Its score is what it reported (0 to 1; a
//   reply without a `score` field is searched for "score: 0.8", or is a bare number). It
//   *approves* when it answered with a score at or above `threshold` (default 0.5).
// - weighted_average: the consensus score is the weighted mean of the answered judges'
//   scores (weights from `judge … weight N`); reached when it is at or above the threshold.
// - majority: the score is the share of all declared judges that approve; reached when
//   more than half of them approve (a judge that failed does not approve).
// - unanimous: the score is that same share; reached when every declared judge approves.
// - best_of_n: the highest-scoring answered judge wins (the first declared on a tie); the
//   score is its score and the state's output its answer; reached when it is at or above
//   the threshold.
// - agreement (0 to 1), for weighted_average and best_of_n: 1 − 2σ, σ being the weighted
//   standard deviation of the answered judges' scores (scores in [0, 1] have σ ≤ 0.5, so
//   identical scores give 1 and a 0/1 split gives 0); with one scored judge it is 1. For
//   majority and unanimous: the share of answered judges on the larger side (approving or
//   not). When `agreement` is set, consensus is reached only if the judges' agreement is
//   at least that.
// - confidence: agreement × the mean confidence the answered judges reported (a judge that
//   reports none counts as 1).
// - min_judges (default 1): fewer answered judges and there is no verdict — the executor
//   fails the state ("judges-quorum").
import type { ConsensusSpec } from "../../compiler/graph.ts";
import { fraction } from "../providers/output.ts";
import type { StateResult } from "../types.ts";

export interface JudgeVerdict {
  agent: string;
  weight: number;
  status: "succeeded" | "failed" | "timed_out";
  output?: unknown;
  text?: string;
  score?: number;
  confidence?: number;
  reasoning?: string;
}

export interface ConsensusOutcome {
  consensus: NonNullable<StateResult["consensus"]>;
  agents: NonNullable<StateResult["agents"]>;
  all_approved: boolean;
  any_rejected: boolean;
  approvals: number;
  answered: number;
  /** best_of_n: the index of the winning judge. */
  best?: number;
  /** Whether min_judges judges answered. */
  quorum: boolean;
  minJudges: number;
}

/** A judge's score: its reply's `score`, else "score: N" in its text, else a bare number. */
export function scoreOf(verdict: Pick<JudgeVerdict, "score" | "text">): number | undefined {
  if (verdict.score !== undefined) return fraction(verdict.score);
  const text = verdict.text?.trim() ?? "";
  if (/^-?\d+(\.\d+)?$/.test(text)) return fraction(Number(text));
  const match = /\bscore\b["']?\s*[:=]\s*(-?\d+(?:\.\d+)?)/i.exec(text);
  return match ? fraction(Number(match[1])) : undefined;
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;

function weightedSpread(points: { score: number; weight: number }[]): number {
  const total = points.reduce((s, p) => s + p.weight, 0);
  if (points.length < 2 || total <= 0) return 0;
  const mean = points.reduce((s, p) => s + p.weight * p.score, 0) / total;
  const variance = points.reduce((s, p) => s + p.weight * (p.score - mean) ** 2, 0) / total;
  return Math.sqrt(variance);
}

export function decide(
  verdicts: JudgeVerdict[],
  spec: ConsensusSpec | undefined,
): ConsensusOutcome {
  const strategy = spec?.strategy ?? "weighted_average";
  const threshold = spec?.threshold ?? 0.5;
  const minJudges = spec?.minJudges ?? 1;
  const scored = verdicts.map((v) => (v.status === "succeeded" ? scoreOf(v) : undefined));
  const approved = verdicts.map(
    (v, i) => v.status === "succeeded" && scored[i] !== undefined && scored[i]! >= threshold,
  );
  const answered = verdicts.filter((v) => v.status === "succeeded").length;
  const approvals = approved.filter(Boolean).length;
  const points = verdicts.flatMap((v, i) =>
    scored[i] === undefined ? [] : [{ score: scored[i]!, weight: v.weight, index: i }],
  );

  let score = 0;
  let agreement = 1;
  let reached = false;
  let best: number | undefined;
  const spreadAgreement = Math.max(0, 1 - 2 * weightedSpread(points));
  switch (strategy) {
    case "weighted_average": {
      const total = points.reduce((s, p) => s + p.weight, 0);
      score = total > 0 ? points.reduce((s, p) => s + p.weight * p.score, 0) / total : 0;
      agreement = spreadAgreement;
      reached = points.length > 0 && score >= threshold;
      break;
    }
    case "best_of_n": {
      for (const p of points) if (best === undefined || p.score > scored[best]!) best = p.index;
      score = best === undefined ? 0 : scored[best]!;
      agreement = spreadAgreement;
      reached = best !== undefined && score >= threshold;
      break;
    }
    case "majority":
    case "unanimous": {
      score = verdicts.length > 0 ? approvals / verdicts.length : 0;
      agreement = answered > 0 ? Math.max(approvals, answered - approvals) / answered : 0;
      reached =
        strategy === "majority"
          ? approvals > verdicts.length / 2
          : verdicts.length > 0 && approvals === verdicts.length;
      break;
    }
  }
  if (spec?.agreement !== undefined && agreement < spec.agreement) reached = false;
  const quorum = answered >= minJudges && answered > 0;
  if (!quorum) reached = false;
  const confidences = verdicts
    .filter((v) => v.status === "succeeded")
    .map((v) => v.confidence ?? 1);
  const meanConfidence =
    confidences.length > 0 ? confidences.reduce((a, b) => a + b, 0) / confidences.length : 0;
  return {
    consensus: {
      score: round(score),
      confidence: round(agreement * meanConfidence),
      agreement: round(agreement),
      reached,
    },
    agents: verdicts.map((v, i) => ({
      agent: v.agent,
      status: v.status,
      ...(v.output !== undefined && { output: v.output }),
      ...(scored[i] !== undefined && { score: scored[i] }),
      ...(v.confidence !== undefined && { confidence: v.confidence }),
      approved: approved[i]!,
    })),
    all_approved: verdicts.length > 0 && approvals === verdicts.length,
    any_rejected: verdicts.some((v, i) => v.status === "succeeded" && !approved[i]),
    approvals,
    answered,
    ...(best !== undefined && { best }),
    quorum,
    minJudges,
  };
}
