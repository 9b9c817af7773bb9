// Secret values the action knows (its token, the state secret, the workflow's declared
// secrets) never leave it in what it writes itself: comments, the saved state, outputs,
// the job summary. The runner masks them in the log (core.setSecret); a comment is not
// the log, and an agent may print its environment.
import * as core from "@actions/core";

export class Redactor {
  private readonly values = new Set<string>();

  /** A secret to mask in the log and to cut from everything written (short ones are too common to cut). */
  add(value: string | undefined): void {
    if (!value) return;
    core.setSecret(value);
    if (value.length < 6) return;
    this.values.add(value);
    // A multi-line secret (a PEM key) is also cut line by line: a quote adds "> " to each.
    if (value.includes("\n"))
      for (const line of value.split(/\r?\n/)) if (line.trim().length >= 6) this.values.add(line);
    // As it appears inside JSON text (the saved state is JSON before it is compressed).
    this.values.add(JSON.stringify(value).slice(1, -1));
  }

  /** The text with every known secret replaced by ***. */
  text(text: string): string {
    let out = text;
    for (const value of this.values) if (out.includes(value)) out = out.split(value).join("***");
    return out;
  }
}
