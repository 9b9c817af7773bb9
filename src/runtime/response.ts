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
    // \u2014 and \u2013 (em and en dash) escaped: a bundle of only ASCII text is read and
    // compiled as one-byte source, faster than one non-ASCII character makes the whole file.
    .replace(/^\s*[:,;.!\u2014\u2013-]?\s*/, "")
    .trim();
  return { approved, rejected: !approved, ...(rest && { feedback: rest }) };
}
