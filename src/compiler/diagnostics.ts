// The catalogue of compiler findings. Codes are stable: never renumber or reuse one.
// docs/diagnostics.md is generated from this table (npm run grammar) and checked by a test.
import type { Span } from "./ast.ts";
import type { SourceText } from "./source.ts";
import { didYouMean } from "./suggest.ts";

export { didYouMean };

export type Severity = "error" | "warning" | "info";

export interface CatalogueEntry {
  rule: string;
  severity: Severity;
  summary: string;
}

export const catalogue = {
  // --- the compiler itself, suppression and files
  AEG000: {
    rule: "internal-error",
    severity: "error",
    summary: "A bug in aegis; please report it with the file.",
  },
  AEG001: {
    rule: "unused-suppression",
    severity: "warning",
    summary: "An `aegis-ignore` comment suppresses nothing.",
  },
  AEG002: { rule: "io-error", severity: "error", summary: "A file could not be read." },
  // --- syntax and values
  AEG100: {
    rule: "unexpected-character",
    severity: "error",
    summary: "A character that starts no token of the language.",
  },
  AEG101: {
    rule: "syntax-error",
    severity: "error",
    summary: "The parser expected something else here.",
  },
  AEG102: {
    rule: "invalid-escape",
    severity: "error",
    summary: "A malformed escape sequence in a string.",
  },
  AEG103: {
    rule: "template-syntax",
    severity: "error",
    summary: "A string is not a valid Handlebars template.",
  },
  AEG104: {
    rule: "invalid-value",
    severity: "error",
    summary: "A value has the wrong type or is out of range.",
  },
  AEG105: {
    rule: "unknown-key",
    severity: "error",
    summary: "An unknown key in an option map (limits, consensus, env …).",
  },
  AEG106: {
    rule: "duplicate-declaration",
    severity: "error",
    summary: "Something is declared twice.",
  },
  AEG107: {
    rule: "missing-workflow",
    severity: "error",
    summary: "A file declares no workflow, or more than one.",
  },
  AEG108: {
    rule: "unknown-type",
    severity: "error",
    summary: "An input type that does not exist.",
  },
  AEG109: {
    rule: "invalid-regex",
    severity: "error",
    summary: "The pattern of `matches` is not a valid regular expression.",
  },
  AEG110: {
    rule: "misplaced-statement",
    severity: "error",
    summary: "A statement or setting that this kind of state does not take.",
  },
  AEG111: {
    rule: "missing-field",
    severity: "error",
    summary: "A state lacks something its kind requires.",
  },
  AEG112: {
    rule: "nesting-too-deep",
    severity: "error",
    summary:
      "Brackets, operators or template blocks nested too deeply to be read at a bounded cost.",
  },
  AEG113: {
    rule: "too-many-errors",
    severity: "error",
    summary:
      "So many syntax errors that the parser stopped reading (after 25): the rest of the file is not checked.",
  },
  // --- structure
  AEG201: {
    rule: "unknown-state",
    severity: "error",
    summary: "A transition or `start` names a state that does not exist.",
  },
  AEG202: { rule: "duplicate-state", severity: "error", summary: "Two states have the same name." },
  AEG203: {
    rule: "missing-start",
    severity: "error",
    summary: "The workflow has no `start` state.",
  },
  AEG204: {
    rule: "shadowed-transition",
    severity: "error",
    summary:
      "A transition can never fire: one before it always matches, or the ones before it together always match (a warning when they only take every case it matches).",
  },
  AEG205: {
    rule: "unreachable-state",
    severity: "warning",
    summary: "No path from the start state reaches this state.",
  },
  AEG206: {
    rule: "no-path-to-final",
    severity: "error",
    summary: "From this state, no final state can be reached.",
  },
  AEG207: { rule: "dead-end", severity: "error", summary: "A non-final state has no transitions." },
  AEG208: {
    rule: "gate-without-reject",
    severity: "warning",
    summary: "A human gate has no transition taken on rejection.",
  },
  AEG209: {
    rule: "final-with-transitions",
    severity: "error",
    summary: "A final state has outgoing transitions.",
  },
  AEG210: {
    rule: "no-final-state",
    severity: "error",
    summary: "The workflow has no final state.",
  },
  AEG211: {
    rule: "never-true-condition",
    severity: "error",
    summary: "A condition that no value of the names it reads can make true.",
  },
  // --- bounds
  AEG301: {
    rule: "unbounded-cycle",
    severity: "error",
    summary: "A cycle of states with no visit or transition limit.",
  },
  AEG302: {
    rule: "cycle-without-exit",
    severity: "error",
    summary: "A cycle that no transition leaves, or whose exits can never fire.",
  },
  AEG303: {
    rule: "agent-call-budget",
    severity: "error",
    summary: "The worst-case number of agent calls exceeds the budget.",
  },
  AEG304: {
    rule: "wall-time-budget",
    severity: "error",
    summary: "The worst-case wall time exceeds the budget.",
  },
  AEG305: {
    rule: "unknown-worst-case",
    severity: "warning",
    summary: "A budget is declared but the worst case cannot be bounded.",
  },
  AEG306: {
    rule: "missing-loop-bound",
    severity: "error",
    summary: "A loop or coordinator has no iteration cap.",
  },
  // --- scopes and types
  AEG401: {
    rule: "unknown-variable",
    severity: "error",
    summary: "A template or expression names something that does not exist.",
  },
  AEG402: {
    rule: "unknown-input",
    severity: "error",
    summary: "`input.X` where X is not a declared input.",
  },
  AEG403: {
    rule: "unknown-context-key",
    severity: "error",
    summary: "`context.X` where X is not a context key.",
  },
  AEG404: {
    rule: "unknown-field",
    severity: "error",
    summary: "A field that results of this kind of state do not have.",
  },
  AEG405: {
    rule: "unknown-helper",
    severity: "error",
    summary: "A Handlebars helper that does not exist.",
  },
  AEG406: {
    rule: "maybe-not-run",
    severity: "error",
    summary: "A state's result is used where that state may not have run.",
  },
  AEG407: {
    rule: "type-mismatch",
    severity: "error",
    summary:
      "An expression combines values of incompatible types, or compares a value with literals none of its declared values equals.",
  },
  AEG408: {
    rule: "unknown-secret",
    severity: "error",
    summary: "`secrets.X` where X is not a declared secret.",
  },
  AEG409: {
    rule: "not-available-here",
    severity: "error",
    summary: "A variable that exists only in other kinds of states.",
  },
  // --- agents and subworkflows
  AEG501: {
    rule: "undeclared-agent",
    severity: "error",
    summary: "A state uses an agent that is not declared.",
  },
  AEG502: {
    rule: "unused-agent",
    severity: "warning",
    summary: "A declared agent is used by no state.",
  },
  AEG503: {
    rule: "unknown-provider",
    severity: "error",
    summary: "An agent's provider does not exist.",
  },
  AEG504: {
    rule: "invalid-provider-option",
    severity: "error",
    summary: "An unknown or ill-typed provider option.",
  },
  AEG505: {
    rule: "missing-subworkflow",
    severity: "error",
    summary: "A subworkflow state names no imported workflow.",
  },
  AEG506: {
    rule: "recursive-subworkflow",
    severity: "error",
    summary: "Workflows that call each other in a cycle.",
  },
  AEG507: {
    rule: "unresolved-import",
    severity: "error",
    summary: "An imported file is missing or does not compile.",
  },
  AEG508: {
    rule: "unused-import",
    severity: "warning",
    summary: "An imported workflow is used by no state.",
  },
  AEG509: {
    rule: "import-chain-too-deep",
    severity: "error",
    summary: "Imports that import others more levels deep than the compiler follows.",
  },
  AEG510: {
    rule: "subworkflow-inputs",
    severity: "error",
    summary:
      "A subworkflow state gives the workflow it calls an input it does not take, a value of the wrong type, or not an input it requires.",
  },
  AEG511: {
    rule: "session-agents",
    severity: "error",
    summary: "A session is one agent's conversation, but states continue it with different agents.",
  },
  AEG512: {
    rule: "session-concurrent",
    severity: "warning",
    summary:
      "A `foreach` with a concurrency above 1 calls its agent in a session: one conversation takes one turn at a time, so its calls run one at a time.",
  },
  // --- security
  AEG601: {
    rule: "unsafe-shell-interpolation",
    severity: "error",
    summary: "Untrusted text interpolated into a shell command without quoting.",
  },
  AEG602: { rule: "literal-secret", severity: "error", summary: "A secret written in plain text." },
  AEG603: {
    rule: "secret-in-prompt",
    severity: "warning",
    summary: "A secret is sent to an agent in a prompt.",
  },
  AEG604: {
    rule: "bypassable-gate",
    severity: "error",
    summary: "A human gate's approval can be skipped.",
  },
  AEG605: {
    rule: "gate-auto-approves",
    severity: "error",
    summary: "A human gate approves by itself when it times out.",
  },
  AEG606: {
    rule: "input-in-shell",
    severity: "warning",
    summary: "A caller-supplied string input interpolated into a shell command without quoting.",
  },
  AEG607: {
    rule: "tainted-env-in-shell",
    severity: "error",
    summary:
      "Untrusted text the shell evaluates — passed in an environment variable, or written with {{quote}} — given to `eval`, `sh -c`, a shell's input, arithmetic, or run as the command.",
  },
  AEG608: {
    rule: "tainted-env-unquoted",
    severity: "warning",
    summary:
      "Untrusted text passed in an environment variable is expanded unquoted: split into words and glob-expanded, it can add arguments and options.",
  },
  // --- YAML front ends
  AEG701: { rule: "yaml-syntax", severity: "error", summary: "The file is not valid YAML." },
  AEG702: {
    rule: "yaml-duplicate-key",
    severity: "error",
    summary: "A YAML mapping has the same key twice.",
  },
  AEG703: {
    rule: "unknown-dialect",
    severity: "error",
    summary: "YAML that is neither an AEGIS manifest nor an AgentOS workflow.",
  },
  AEG704: {
    rule: "yaml-unknown-field",
    severity: "error",
    summary: "A field the YAML format does not have.",
  },
  AEG705: {
    rule: "yaml-wrong-type",
    severity: "error",
    summary: "A YAML field has the wrong type.",
  },
  AEG706: {
    rule: "yaml-too-complex",
    severity: "error",
    summary: "An alias bomb or a document nested too deeply.",
  },
  AEG707: {
    rule: "yaml-missing-field",
    severity: "error",
    summary: "A required YAML field is missing.",
  },
  AEG708: {
    rule: "external-subworkflow",
    severity: "info",
    summary: "A subworkflow resolved by name at run time; the checker cannot see inside it.",
  },
  AEG709: {
    rule: "yaml-no-effect",
    severity: "warning",
    summary:
      "A field the YAML format's own engine accepts but aegis has no counterpart for: it is checked, then ignored.",
  },
  AEG710: {
    rule: "text-condition",
    severity: "info",
    summary:
      "An AgentOS condition or until that looks like an expression but is not one over the workflow's names: it is matched as text, as AgentOS does.",
  },
  AEG711: {
    rule: "step-without-agent",
    severity: "warning",
    summary:
      "AgentOS agent::chat steps name no agent while the workflow lists several: they run an agent called chat.",
  },
  AEG712: {
    rule: "sandbox-unavailable",
    severity: "error",
    summary:
      "An AgentOS step asks for a sandbox aegis cannot run it in (wasm, or docker for anything but a tool::shell_exec command): refused rather than run unsandboxed.",
  },
  // AEGIS manifests: what the AEGIS orchestrator's own validator refuses.
  AEG713: {
    rule: "manifest-api-version",
    severity: "error",
    summary:
      "An AEGIS manifest's apiVersion is not exactly `100monkeys.ai/v1`, the only version the AEGIS orchestrator reads.",
  },
  AEG714: {
    rule: "workflow-name-dns-label",
    severity: "error",
    summary:
      "An AEGIS manifest's metadata.name is not a DNS label: 1 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit.",
  },
  AEG715: {
    rule: "container-name",
    severity: "error",
    summary:
      "A ContainerRun state has no `name`, or a container (a ContainerRun, a ParallelContainerRun step) has a blank one.",
  },
  AEG716: {
    rule: "relative-mount-path",
    severity: "error",
    summary: "A container's volume `mount_path` is not an absolute path (it must start with `/`).",
  },
  AEG717: {
    rule: "duplicate-container-step",
    severity: "error",
    summary:
      "Two steps of one ParallelContainerRun state have the same name (each step's output is kept under its name).",
  },
  AEG718: {
    rule: "undeclared-volume",
    severity: "error",
    summary:
      "A container mounts a volume that spec.storage.shared_volumes does not declare, when that list is given.",
  },
  AEG719: {
    rule: "subworkflow-mode-missing",
    severity: "error",
    summary: "A Subworkflow state does not say its `mode`: `blocking` or `fire_and_forget`.",
  },
  AEG720: {
    rule: "subworkflow-empty-id",
    severity: "error",
    summary: "A Subworkflow state's `workflow_id` is empty: it names no workflow to run.",
  },
  AEG721: {
    rule: "subworkflow-result-key",
    severity: "error",
    summary:
      "A blocking Subworkflow state has no `result_key` to keep the child's result under, or a fire_and_forget one has one it can never fill.",
  },
  AEG722: {
    rule: "confidence-weights-sum",
    severity: "error",
    summary:
      "A consensus's confidence_weighting factors (agreement_factor, self_confidence_factor; 0.7 and 0.3 when not given) do not sum to 1 (within 0.01).",
  },
  AEG723: {
    rule: "score-without-low-branch",
    severity: "error",
    summary:
      "A state routes on score (score_above, score_between, score_and_confidence_above …) but has no `score_below` transition for low scores.",
  },
  AEG724: {
    rule: "score-mixed-with-on-success",
    severity: "error",
    summary:
      "A state routes on score and also has an `on_success` transition, which a low score matches too: the low-score path is left implicit.",
  },
} as const satisfies Record<string, CatalogueEntry>;

export type Code = keyof typeof catalogue;

export interface Location {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  endLine: number;
  /** 1-based, exclusive of the last character's column + 1 (i.e. one past the end). */
  endColumn: number;
  /** 0-based offsets into the file. */
  offset: number;
  endOffset: number;
}

export interface RelatedLocation extends Location {
  message: string;
}

export interface Diagnostic extends Location {
  code: Code;
  rule: string;
  severity: Severity;
  message: string;
  hint?: string;
  related: RelatedLocation[];
}

/** What a check reports, before positions are resolved against the source text. */
export interface Finding {
  code: Code;
  message: string;
  file: string;
  span: Span;
  hint?: string;
  related?: { file: string; span: Span; message: string }[];
  /** Overrides the catalogue's severity (e.g. a check that is only a warning in context). */
  severity?: Severity;
}

export function locate(source: SourceText | undefined, file: string, span: Span): Location {
  if (!source) {
    return {
      file,
      line: 1,
      column: 1,
      endLine: 1,
      endColumn: 1,
      offset: span.start,
      endOffset: span.end,
    };
  }
  const start = source.position(span.start);
  const end = source.position(Math.max(span.end, span.start));
  return {
    file,
    line: start.line,
    column: start.column,
    endLine: end.line,
    endColumn: end.column,
    offset: span.start,
    endOffset: span.end,
  };
}

export function toDiagnostic(
  finding: Finding,
  sources: ReadonlyMap<string, SourceText>,
): Diagnostic {
  const entry: CatalogueEntry = catalogue[finding.code];
  const diagnostic: Diagnostic = {
    ...locate(sources.get(finding.file), finding.file, finding.span),
    code: finding.code,
    rule: entry.rule,
    severity: finding.severity ?? entry.severity,
    message: finding.message,
    related: (finding.related ?? []).map((r) => ({
      ...locate(sources.get(r.file), r.file, r.span),
      message: r.message,
    })),
  };
  if (finding.hint) diagnostic.hint = finding.hint;
  return diagnostic;
}

export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

export function hintFor(word: string, candidates: Iterable<string>): string | undefined {
  const suggestion = didYouMean(word, candidates);
  return suggestion ? `did you mean '${suggestion}'?` : undefined;
}

/** "a list", "an object", "an agent". */
export function article(word: string): string {
  return `${/^[aeiou]/i.test(word) ? "an" : "a"} ${word}`;
}
