// A gate answered with a text only (`aegis signal RUN --response "…"`, as AEGIS operators
// answer): whether it approves, rejects, or neither (an answer for `input_equals` gates),
// and the reason that follows the verdict ("rejected: needs error handling").

import type { RunEvent } from "./types.ts";

const yes = /^(?:y|yes|approve|approved|ok|lgtm|accept|accepted)\b/i;
const no = /^(?:n|no|reject|rejected|deny|denied|decline|declined)\b/i;

export interface ResponseVerdict {
  approved: boolean;
  rejected: boolean;
  /** The text after the verdict word ("rejected: TEXT"), when there is some. */
  feedback?: string;
}

export function readResponse(response: string): ResponseVerdict {
  const text = response.trim();
  const word = yes.exec(text) ?? no.exec(text);
  if (!word) return { approved: false, rejected: false };
  const approved = yes.test(text);
  const rest = text
    .slice(word[0].length)
    // \u2014 and \u2013 (em and en dash) escaped: a bundle of only ASCII text is read and
    // compiled as one-byte source, faster than one non-ASCII character makes the whole file.
    .replace(/^\s*[:,;.!\u2014\u2013-]?\s*/, "")
    .trim();
  return { approved, rejected: !approved, ...(rest && { feedback: rest }) };
}

/** A human's answer to the gate a run waits at. */
export interface SignalAnswer {
  /**
   * Whether it approves. Without it the response says: "approved", "yes" … approve;
   * "rejected: why", "no" … reject (with that feedback); other text does neither.
   */
  approve?: boolean;
  feedback?: string;
  /** The answer's text (default: "approved", or the feedback / "rejected"). */
  response?: string;
  approver?: string;
  /** The gate answered; the run must be waiting there (default: wherever it waits). */
  state?: string;
}

/** The event of `answer` given to the gate at `state`. */
export function answerEvent(state: string, answer: SignalAnswer, at: string): RunEvent {
  const verdict = answer.approve === undefined ? readResponse(answer.response ?? "") : undefined;
  const feedback = answer.feedback ?? verdict?.feedback;
  return {
    type: "human-answered",
    state,
    response: answer.response ?? (answer.approve ? "approved" : (answer.feedback ?? "rejected")),
    approved: answer.approve ?? verdict!.approved,
    ...(verdict && { rejected: verdict.rejected }),
    ...(feedback !== undefined && { feedback }),
    ...(answer.approver !== undefined && { approver: answer.approver }),
    at,
  };
}
