// A gate answered with a text only (`aegis signal RUN --response "…"`, as AEGIS operators
// answer): whether it approves, rejects, or neither (an answer for `input_equals` gates),
// and the reason that follows the verdict ("rejected: needs error handling").

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
    .replace(/^\s*[:,;.!—–-]?\s*/, "")
    .trim();
  return { approved, rejected: !approved, ...(rest && { feedback: rest }) };
}
