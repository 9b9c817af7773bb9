// The progress comment (and job summary): where the run is, as a list and a Mermaid
// picture, the gate to answer and how, a link to the logs, and the hidden state.
import { toMermaid } from "../compiler/emit/mermaid.ts";
import type { WorkflowGraph } from "../compiler/graph.ts";
import type { RunRecord } from "../runtime/types.ts";
import type { ActionState } from "./state.ts";

const icon: Record<string, string> = {
  running: "🔄",
  waiting: "⏸️",
  succeeded: "✅",
  failed: "❌",
  cancelled: "🚫",
};

export function highlights(
  record: RunRecord,
): Record<string, "done" | "running" | "waiting" | "failed"> {
  const out: Record<string, "done" | "running" | "waiting" | "failed"> = {};
  for (const [name, result] of Object.entries(record.results))
    out[name] = result.status === "succeeded" || result.status === "skipped" ? "done" : "failed";
  if (record.current) {
    out[record.current] =
      record.status === "waiting"
        ? "waiting"
        : record.status === "running"
          ? "running"
          : record.status === "succeeded"
            ? "done"
            : "failed";
  }
  return out;
}

/** Quotes text for a Markdown blockquote, so that nothing in it reads as a command. */
function quote(text: string): string {
  return text
    .trim()
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}

export interface ProgressContext {
  graph: WorkflowGraph;
  logsUrl?: string;
  /** Shorter: the prompt and output cut to 1,000 characters, no history (a comment near GitHub's size limit). */
  compact?: boolean;
}

function cut(text: string, max: number): string {
  return text.length > max
    ? `${text.slice(0, max)}\n… (${text.length - max} more characters)`
    : text;
}

/** The visible part of the progress comment (and of the job summary). */
export function renderProgress(state: ActionState, ctx: ProgressContext): string {
  const r = state.record;
  const lines: string[] = [];
  lines.push(
    `### ${icon[r.status] ?? ""} aegis · \`${r.workflow}\` · ${r.status}${r.current ? ` at \`${r.current}\`` : ""}`,
  );
  lines.push("");
  lines.push(
    `Run \`${r.id}\` · ${r.transitions} transitions · updated ${r.updatedAt}${ctx.logsUrl ? ` · [logs](${ctx.logsUrl})` : ""}`,
  );
  if (state.note) lines.push("", `**Note:** ${state.note}`);
  const max = ctx.compact ? 1000 : 4000;
  if (r.status === "waiting" && r.waiting) {
    lines.push("", `#### Waiting for approval at \`${r.waiting.state}\``);
    if (state.gate?.headSha) lines.push("", `For head commit \`${state.gate.headSha}\`.`);
    lines.push("", quote(cut(r.waiting.prompt || "(no prompt)", ctx.compact ? max : 20_000)));
    if (r.waiting.timeoutAt) lines.push("", `Times out at ${r.waiting.timeoutAt}.`);
    lines.push(
      "",
      "Answer with a comment whose line starts with one of: `/approve` · `/reject <reason>` · `/status` · `/cancel`.",
    );
  }
  if (r.status === "cancelled") {
    lines.push("", `Cancelled${r.error ? `: ${r.error.message}` : ""}.`);
    lines.push("", "Comment `/retry` to start it again, from the start, with the same inputs.");
  }
  if (r.status === "failed" && r.error) {
    lines.push(
      "",
      `Failed: ${r.error.message}${r.error.state ? ` (at \`${r.error.state}\`)` : ""}`,
    );
    lines.push("", "Comment `/retry` to start it again, from the start, with the same inputs.");
  }
  // A failure final keeps its output too (what it says about the failure).
  if ((r.status === "succeeded" || r.status === "failed") && r.output !== undefined) {
    const text = typeof r.output === "string" ? r.output : JSON.stringify(r.output, null, 2);
    lines.push("", "Output:", "", quote(cut(text, max)));
  }
  lines.push("", "```mermaid", toMermaid(ctx.graph, { highlight: highlights(r) }).trim(), "```");
  const steps = r.history.filter((h) => h.status !== "entered");
  if (steps.length > 0 && !ctx.compact) {
    lines.push("", "<details><summary>History</summary>", "");
    for (const h of steps.slice(-30))
      lines.push(`- \`${h.state}\` ${h.status}${h.to ? ` → \`${h.to}\`` : ""} (${h.at})`);
    lines.push("", "</details>");
  }
  return lines.join("\n");
}
