// Completion, from what precedes the cursor on its line: state names after `->`, `start`
// and `protects [`; agents after `agent` in a state's header, `by` and `judge`; providers
// after `agent NAME =`; inside `{{ … }}` the template's roots, inputs after `input.`,
// context keys after `context.`, a state's result fields after `STATE.`, and the helpers;
// otherwise the keywords of the language.
import { providers } from "../compiler/providers.ts";
import type { Analysis } from "./analysis.ts";

export type CompletionKind =
  | "keyword"
  | "state"
  | "agent"
  | "input"
  | "field"
  | "provider"
  | "helper";

export interface Completion {
  label: string;
  kind: CompletionKind;
  detail?: string;
}

const keywords = [
  "workflow",
  "import",
  "as",
  "version",
  "description",
  "labels",
  "annotations",
  "input",
  "context",
  "secret",
  "agent",
  "limits",
  "start",
  "state",
  "final",
  "output",
  "storage",
  "prompt",
  "intent",
  "on",
  "otherwise",
  "feedback",
  "timeout",
  "visits",
  "retry",
  "errors",
  "env",
  "workdir",
  "judge",
  "consensus",
  "human",
  "run",
  "parallel",
  "container",
  "subworkflow",
  "foreach",
  "loop",
  "branch",
  "coordinate",
  "containers",
  "session",
  "protects",
  "default",
  "success",
  "failure",
  "approved",
  "rejected",
  "exit",
];

const helpers = ["quote", "json", "lookup", "if", "unless", "each", "with", "eq", "ne", "default"];

/** What a state's result holds, for `{{STATE.…}}`. */
const resultFields = [
  "output",
  "stdout",
  "stderr",
  "exit_code",
  "status",
  "score",
  "confidence",
  "reasoning",
];

export function completions(
  a: Analysis,
  lineBefore: string,
  insideTemplate: boolean,
): Completion[] {
  const names = (kind: "state" | "agent" | "input" | "context") =>
    a
      .declarations(kind)
      .map((d) => ({ label: d.name, kind: kind === "context" ? "field" : kind }) as Completion);
  if (insideTemplate) {
    const dotted = /([A-Za-z_][\w-]*)\.([\w-]*)$/.exec(lineBefore);
    if (dotted) {
      const head = dotted[1]!;
      if (head === "input") return names("input");
      if (head === "context") return names("context");
      if (head === "state")
        return ["visits", "feedback", "name"].map((label) => ({ label, kind: "field" }));
      if (a.declaration("state", head))
        return resultFields.map((label) => ({ label, kind: "field", detail: `${head}'s result` }));
      return [];
    }
    return [
      ...["input", "context", "state", "secrets", "intent"].map(
        (label) => ({ label, kind: "keyword" }) as Completion,
      ),
      ...names("state"),
      ...helpers.map((label) => ({ label, kind: "helper" }) as Completion),
    ];
  }
  // Inside a provider's arguments: its options, or the values an option takes.
  const call = /^\s*agent\s+[\w-]+\s*=\s*([\w-]+)\(([^)]*)$/.exec(lineBefore);
  const info =
    call && Object.hasOwn(providers, call[1]!)
      ? providers[call[1]! as keyof typeof providers]
      : undefined;
  if (call && info) {
    const args = call[2]!;
    const option = /([\w-]+)\s*:\s*"?[\w-]*$/.exec(args)?.[1];
    if (option) {
      const values = info.options[option]?.values ?? [];
      return values.map((v) => ({
        label: JSON.stringify(v),
        kind: "field",
        detail: `${call[1]} ${option}`,
      }));
    }
    const given = new Set([...args.matchAll(/([\w-]+)\s*:/g)].map((m) => m[1]));
    return Object.entries(info.options)
      .filter(([name]) => !given.has(name))
      .map(([name, o]) => ({
        label: name,
        kind: "field",
        detail: o.values ? o.values.join(" | ") : o.type,
      }));
  }
  if (/(->|\bstart|\bprotects\s*\[[^\]]*)\s*[\w-]*$/.test(lineBefore)) return names("state");
  if (/^\s*agent\s+[\w-]+\s*=\s*[\w-]*$/.test(lineBefore))
    return Object.entries(providers).map(([label, info]) => ({
      label,
      kind: "provider",
      detail: info.summary,
    }));
  if (
    /(=\s*(agent|loop|foreach[^=]*\bagent)|\bby|\bjudge|coordinate\s*\[[^\]]*)\s+[\w-]*$/.test(
      lineBefore,
    )
  )
    return names("agent");
  return keywords.map((label) => ({ label, kind: "keyword" }));
}
