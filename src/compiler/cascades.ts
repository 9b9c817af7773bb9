// After a syntax error the checks still run, on what did parse (as tsc reports syntax and
// type errors together). What they find because of what did not parse is left out here: a
// transition to a state whose declaration was lost is not "unknown", a state whose
// transitions were lost is not a dead end, a state a lost transition led to is not
// unreachable, and in a file that ends early (a block or a `"""` left open) nothing is
// "unused" or "missing" that the rest could have used or declared. parse() says what did not
// parse (BrokenParts); each finding that depends on it is dropped, by what the finding says.
import type { SourceFileAst, Span } from "./ast.ts";
import type { GraphFacts } from "./checks/context.ts";
import type { Code, Finding } from "./diagnostics.ts";
import type { BrokenParts } from "./parse.ts";
import type { SourceText } from "./source.ts";

/** About something missing from a declaration: in a broken one, it may be in the lost part. */
const absence = new Set<Code>([
  "AEG111", // missing-field
  "AEG204", // shadowed-transition (the transitions before it may be misread)
  "AEG206", // no-path-to-final
  "AEG207", // dead-end
  "AEG208", // gate-without-reject
  "AEG209", // final-with-transitions
  "AEG301", // unbounded-cycle (its visit limit may be lost)
  "AEG302", // cycle-without-exit
  "AEG306", // missing-loop-bound
  "AEG406", // maybe-not-run
  "AEG510", // subworkflow-inputs
  "AEG604", // bypassable-gate
  "AEG605", // gate-auto-approves
]);

/** About a name: declared, or used, in the lost text if the name is in it. */
const byName = new Set<Code>([
  "AEG201", // unknown-state
  "AEG205", // unreachable-state
  "AEG401", // unknown-variable
  "AEG402", // unknown-input
  "AEG403", // unknown-context-key
  "AEG404", // unknown-field
  "AEG408", // unknown-secret
  "AEG409", // not-available-here
  "AEG501", // undeclared-agent
  "AEG502", // unused-agent
  "AEG505", // missing-subworkflow
  "AEG508", // unused-import
  "AEG511", // session-agents
]);

/** About the whole workflow's paths or worst case: any lost transition or limit changes them. */
const whole = new Set<Code>(["AEG303", "AEG304", "AEG305"]);

/** A keyword whose declaration, lost, would answer the finding. */
const missingDeclaration: Partial<Record<Code, string>> = {
  AEG203: "start", // missing-start
  AEG210: "final", // no-final-state
};

export interface CascadeContext {
  file: string;
  text: SourceText;
  ast: SourceFileAst;
  /** The graph's facts, when the checks ran. */
  facts?: GraphFacts;
}

/** `findings` (of the lowering and the checks) without those that follow from `broken`. */
export function withoutCascades(
  findings: readonly Finding[],
  broken: BrokenParts,
  context: CascadeContext,
): Finding[] {
  const { file, ast } = context;
  const text = context.text.text;
  const regions = [...broken.regions].sort((a, b) => a.start - b.start);
  const declarations = broken.declarations;
  const states = ast.workflow?.states ?? [];
  const brokenStates = new Set(
    states.filter((s) => declarations.some((d) => within(s.span.start, d))).map((s) => s.name.name),
  );
  // Where transitions were lost: in a broken state, or to a name only the lost text may declare.
  const open = new Set(brokenStates);
  const known = new Set(states.map((s) => s.name.name));
  for (const s of states) {
    const to = (name: string) => !known.has(name) && broken.words.has(name);
    if (s.transitions.some((t) => to(t.target.name))) open.add(s.name.name);
  }
  const paths = context.facts ? pathsThroughLostParts(context.facts, broken, open) : undefined;
  const names = new Map(
    states.map((s) => [`${s.name.span.start}:${s.name.span.end}`, s.name.name]),
  );
  const stateAt = (span: Span) => names.get(`${span.start}:${span.end}`);
  const lost = (span: Span) => {
    if (broken.truncated) return true;
    for (const word of text
      .slice(span.start, Math.min(span.end, span.start + 200))
      .match(/[A-Za-z_][\w-]*/g) ?? [])
      if (broken.words.has(word)) return true;
    return false;
  };
  const anythingLost = regions.length > 0;
  return findings.filter((f) => {
    if (f.file !== file) return true;
    if (broken.stoppedAt !== undefined && f.span.end > broken.stoppedAt) return false;
    if (overlaps(f.span, regions)) return false;
    const spans = [f.span, ...(f.related ?? []).filter((r) => r.file === file).map((r) => r.span)];
    for (const d of declarations)
      if (absence.has(f.code) && spans.some((s) => within(s.start, d))) return false;
    if (byName.has(f.code) && lost(f.span)) return false;
    const keyword = missingDeclaration[f.code];
    if (keyword && (broken.truncated || broken.words.has(keyword))) return false;
    if (whole.has(f.code) && anythingLost) return false;
    const state = stateAt(f.span);
    if (state !== undefined && paths) {
      // Reached by a lost transition, or can reach where transitions were lost.
      if (f.code === "AEG205" && paths.reached.has(state)) return false;
      if ((f.code === "AEG206" || f.code === "AEG302") && paths.reachesLost.has(state))
        return false;
    }
    return true;
  });
}

/**
 * States a lost transition may lead to (those named in the lost text, and all they lead
 * to), and states that can reach a place where transitions were lost (a broken state, or a
 * transition to a name only the lost text may declare).
 */
function pathsThroughLostParts(
  facts: GraphFacts,
  broken: BrokenParts,
  open: ReadonlySet<string>,
): { reached: Set<string>; reachesLost: Set<string> } {
  const { states, successors, predecessors, indexOf } = facts;
  const walk = (roots: number[], next: readonly (readonly number[])[]) => {
    const seen = new Set<number>(roots);
    const stack = [...roots];
    while (stack.length > 0) {
      for (const n of next[stack.pop()!] ?? []) {
        if (seen.has(n)) continue;
        seen.add(n);
        stack.push(n);
      }
    }
    return new Set([...seen].map((i) => states[i]!));
  };
  const named = states.flatMap((s, i) => (broken.words.has(s) ? [i] : []));
  const lost = [...open].flatMap((s) => {
    const i = indexOf.get(s);
    return i === undefined ? [] : [i];
  });
  return { reached: walk(named, successors), reachesLost: walk(lost, predecessors) };
}

function within(offset: number, span: Span): boolean {
  return span.start <= offset && offset < Math.max(span.end, span.start + 1);
}

/** Whether `span` overlaps one of `regions` (sorted by start), or holds an empty one. */
function overlaps(span: Span, regions: readonly Span[]): boolean {
  const end = Math.max(span.end, span.start + 1);
  for (const r of regions) {
    if (r.start >= end) break;
    if (r.start === r.end ? r.start > span.start && r.start < span.end : r.end > span.start)
      return true;
  }
  return false;
}
