// What the language server knows of one document: its compilation (the same compile() as
// `aegis compile --check`: every finding), and an index of the names it declares and uses —
// states, agents, inputs, context keys, imports — with the span of each declaration and of
// each use, in the document's own offsets. Hover, go to definition, references, rename and
// completion read the index; nothing here talks the protocol.
import type { SourceFileAst, Span } from "../compiler/ast.ts";
import { GraphFacts } from "../compiler/checks/context.ts";
import { type CompileResult, compile, compileTree } from "../compiler/compile.ts";
import { pathsIn } from "../compiler/expression.ts";
import type { StateNode } from "../compiler/graph.ts";
import type { IncrementalParser } from "../compiler/incremental-parse.ts";
import { analyzeTemplate, type TemplateReference } from "../compiler/templates.ts";

export type NameKind = "state" | "agent" | "input" | "context" | "import" | "childInput";

export interface NameUse {
  kind: NameKind;
  name: string;
  span: Span;
  /** The state whose template or condition reads it (for "has it run on every path?"). */
  from?: string;
  /** A subworkflow's input (`input { NAME: … }` of a subworkflow state): the import's alias. */
  alias?: string;
}

/** A place in another file (an imported workflow). */
export interface Elsewhere {
  file: string;
  /** 1-based. */
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface Declared {
  kind: NameKind;
  name: string;
  /** The name's span in its declaration. */
  span: Span;
  /** The whole declaration. */
  whole: Span;
}

export class Analysis {
  readonly result: CompileResult;
  readonly uri: string;
  readonly file: string;
  readonly text: string;
  private built?: { declared: Map<string, Declared>; uses: NameUse[]; facts?: GraphFacts };

  /**
   * Compiles `text`; an .aegis document through its incremental parser (an edit inside one
   * state parses that state again, not the document: incremental-parse.ts).
   */
  constructor(uri: string, file: string, text: string, parser?: IncrementalParser) {
    this.uri = uri;
    this.file = file;
    this.text = text;
    this.result = parser
      ? compileTree(parser.parse(text), text, { filename: file })
      : compile(text, { filename: file });
  }

  get ast(): SourceFileAst {
    return this.result.ast;
  }

  /** The facts the checks computed of the graph (dominators, template uses …). */
  get facts(): GraphFacts | undefined {
    return this.index().facts;
  }

  declaration(kind: NameKind, name: string): Declared | undefined {
    return this.index().declared.get(`${kind}:${name}`);
  }

  declarations(kind?: NameKind): Declared[] {
    return [...this.index().declared.values()].filter((d) => !kind || d.kind === kind);
  }

  /** Every use of `kind` `name` in the document (declarations not included). */
  uses(kind: NameKind, name: string): NameUse[] {
    return this.index().uses.filter((u) => u.kind === kind && u.name === name);
  }

  /** The name declared or used at `offset`, if any. */
  nameAt(offset: number): (NameUse & { declaration: boolean }) | undefined {
    const inside = (s: Span) => s.start <= offset && offset <= s.end;
    for (const d of this.index().declared.values())
      if (inside(d.span)) return { kind: d.kind, name: d.name, span: d.span, declaration: true };
    const use = this.index().uses.find((u) => inside(u.span));
    return use && { ...use, declaration: false };
  }

  /** Where an imported workflow declares the input `name` (the child of import `alias`). */
  childInput(alias: string, name: string): Elsewhere | undefined {
    const child = this.result.imports.get(alias);
    const input = child?.ast.workflow?.inputs.find((i) => i.name.name === name);
    const text = child?.sources.get(child.file);
    if (!child || !input || !text) return undefined;
    const start = text.position(input.name.span.start);
    const end = text.position(input.name.span.end);
    return {
      file: child.file,
      line: start.line,
      column: start.column,
      endLine: end.line,
      endColumn: end.column,
    };
  }

  /** The graph's node of a state. */
  node(state: string): StateNode | undefined {
    const g = this.result.graph;
    return g.hasNode(state) ? g.getNodeAttributes(state) : undefined;
  }

  private index() {
    this.built ??= buildIndex(this);
    return this.built;
  }
}

function buildIndex(a: Analysis) {
  const declared = new Map<string, Declared>();
  const uses: NameUse[] = [];
  const declare = (kind: NameKind, name: string, span: Span, whole: Span) => {
    if (!declared.has(`${kind}:${name}`))
      declared.set(`${kind}:${name}`, { kind, name, span, whole });
  };
  const use = (kind: NameKind, name: string, span: Span, from?: string) =>
    uses.push({ kind, name, span, ...(from !== undefined && { from }) });
  const { ast } = a;
  for (const imp of ast.imports) declare("import", imp.alias.name, imp.alias.span, imp.span);
  const wf = ast.workflow;
  if (!wf) return { declared, uses };
  for (const i of wf.inputs) declare("input", i.name.name, i.name.span, i.span);
  for (const ag of wf.agents) declare("agent", ag.name.name, ag.name.span, ag.span);
  for (const e of wf.context?.entries ?? []) declare("context", e.key.name, e.key.span, e.span);
  for (const s of wf.states) declare("state", s.name.name, s.name.span, s.span);
  if (wf.start) use("state", wf.start.name, wf.start.span);
  for (const s of wf.states) {
    for (const t of s.transitions) use("state", t.target.name, t.target.span, s.name.name);
    if (s.agent) use("agent", s.agent.name, s.agent.span, s.name.name);
    if (s.router) use("agent", s.router.name, s.router.span, s.name.name);
    for (const sp of s.specialists ?? []) use("agent", sp.name, sp.span, s.name.name);
    if (s.workflowRef) use("import", s.workflowRef.name, s.workflowRef.span, s.name.name);
    for (const st of s.statements) {
      if (st.kind === "input" && s.workflowRef && st.value.kind === "object")
        for (const e of st.value.entries)
          uses.push({
            kind: "childInput",
            name: e.key.name,
            span: e.key.span,
            from: s.name.name,
            alias: s.workflowRef.name,
          });
      if (st.kind === "judge") use("agent", st.agent.name, st.agent.span, s.name.name);
      if (st.kind === "protects")
        for (const p of st.states) use("state", p.name, p.span, s.name.name);
    }
  }
  // Templates and conditions, as the checks read them (the graph's facts).
  let facts: GraphFacts | undefined;
  try {
    // The checks' facts when they ran (their template and condition uses are cached there).
    facts = a.result.facts ?? new GraphFacts(a.result.graph);
    for (const u of facts.templateUses) {
      if (u.template.span.file !== a.file) continue;
      for (const r of analyzeTemplate(u.template).references)
        referenceUse(r, u.state, use, declared);
    }
    for (const u of facts.expressionUses) {
      for (const p of pathsIn(u.expr)) {
        const [head, second] = p.segments;
        if (!head || "index" in head) continue;
        if (head.name === "input" && second && "name" in second)
          use("input", second.name, second.span, u.state);
        else if (declared.has(`state:${head.name}`)) use("state", head.name, head.span, u.state);
      }
    }
  } catch {
    // A tree the parser could only partly read: the names above are still indexed.
  }
  return { declared, uses, facts };
}

/** A template reference as a use of an input, a context key or a state. */
function referenceUse(
  r: TemplateReference,
  state: string | undefined,
  use: (kind: NameKind, name: string, span: Span, from?: string) => void,
  declared: Map<string, Declared>,
): void {
  if (r.relative) return;
  const [head, second] = r.parts;
  if (!head) return;
  const start = r.span.start + (r.original.startsWith("this.") ? 5 : 0);
  if ((head === "input" || head === "context") && second) {
    const at = start + head.length + 1;
    use(head, second, { start: at, end: at + second.length }, state);
  } else if (declared.has(`state:${head}`)) {
    use("state", head, { start, end: start + head.length }, state);
  }
}
