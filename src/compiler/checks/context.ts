// What every check receives, and graph facts several checks share (computed once).
import type { Expr, SourceFileAst } from "../ast.ts";
import type { Finding } from "../diagnostics.ts";
import {
  type StateNode,
  type TemplateRef,
  type TransitionEdge,
  transitionsOf,
  type WorkflowGraph,
} from "../graph.ts";
import type { WorstCase } from "./bounds.ts";

export interface CheckContext {
  file: string;
  graph: WorkflowGraph;
  ast: SourceFileAst;
  /** Imported workflows by alias (absent when the import failed). */
  imports: ReadonlyMap<string, { graph: WorkflowGraph; worstCase: WorstCase }>;
  facts: GraphFacts;
  report(finding: Omit<Finding, "file"> & { file?: string }): void;
}

export type Check = (context: CheckContext) => void;

/** When a template or expression is evaluated relative to its state's own run. */
export type Moment = "before" | "after";

export interface TemplateUse {
  state?: string;
  template: TemplateRef;
  moment: Moment;
  role:
    | "prompt"
    | "intent"
    | "shell"
    | "argv"
    | "env"
    | "image"
    | "workdir"
    | "input"
    | "feedback"
    | "output"
    | "judge"
    | "agent"
    | "handler";
  edge?: TransitionEdge;
}

export interface ExpressionUse {
  state: string;
  expr: Expr;
  moment: Moment;
  role: "condition" | "until" | "over";
  edge?: TransitionEdge;
}

export function isTemplateRef(x: unknown): x is TemplateRef {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as TemplateRef).text === "string" &&
    Array.isArray((x as TemplateRef).map)
  );
}

const shells = new Set(["sh", "bash", "zsh", "dash", "ksh", "fish", "pwsh", "powershell", "cmd"]);

/** Whether argv[i] is a script run by a shell (`["sh", "-c", SCRIPT]`). */
function isShellScript(argv: TemplateRef[], i: number): boolean {
  const program = argv[0]?.text.split("/").pop() ?? "";
  // `-c`, and combined flags such as `-ec`, `-xc`; PowerShell's -Command; cmd's /c.
  const scriptFlag = (a: string) =>
    /^-[A-Za-z]*c[A-Za-z]*$/.test(a) || /^-command$/i.test(a) || /^\/c$/i.test(a);
  return (
    i > 0 &&
    shells.has(program.replace(/\.exe$/i, "")) &&
    argv.slice(1, i).some((a) => scriptFlag(a.text))
  );
}

export function templateUses(graph: WorkflowGraph): TemplateUse[] {
  const uses: TemplateUse[] = [];
  graph.forEachNode((state, node: StateNode) => {
    const before = (template: TemplateRef | undefined, role: TemplateUse["role"]) => {
      if (template) uses.push({ state, template, moment: "before", role });
    };
    before(node.prompt, "prompt");
    before(node.intent, "intent");
    // What a state and each container of a `containers` state have alike: a process.
    const process_ = (p: Pick<StateNode, "image" | "workdir" | "env" | "command">) => {
      before(p.image, "image");
      before(p.workdir, "workdir");
      for (const t of Object.values(p.env ?? {})) before(t, "env");
      if (p.command && "shell" in p.command) before(p.command.shell, "shell");
      if (p.command && "argv" in p.command) {
        const argv = p.command.argv;
        argv.forEach((a, i) => {
          before(a, isShellScript(argv, i) ? "shell" : "argv");
        });
      }
    };
    process_(node);
    if (node.input && isTemplateRef(node.input)) before(node.input, "input");
    else for (const t of Object.values(node.input ?? {})) before(t as TemplateRef, "input");
    for (const j of node.judges ?? []) before(j.prompt, "judge");
    for (const c of node.containers ?? []) process_(c);
    before(node.agentTemplate, "agent");
    // A container's output handler runs after it, on its output.
    if (node.handler?.prompt)
      uses.push({ state, template: node.handler.prompt, moment: "after", role: "handler" });
    if (node.output) uses.push({ state, template: node.output, moment: "after", role: "output" });
    for (const { attributes } of transitionsOf(graph, state)) {
      if (attributes.feedback)
        uses.push({
          state,
          template: attributes.feedback,
          moment: "after",
          role: "feedback",
          edge: attributes,
        });
    }
  });
  const output = graph.getAttribute("output");
  const outputs =
    output === undefined ? [] : isTemplateRef(output) ? [output] : Object.values(output);
  for (const template of outputs) uses.push({ template, moment: "after", role: "output" });
  return uses;
}

export function expressionUses(graph: WorkflowGraph): ExpressionUse[] {
  const uses: ExpressionUse[] = [];
  graph.forEachNode((state, node: StateNode) => {
    if (node.foreach) uses.push({ state, expr: node.foreach.over, moment: "before", role: "over" });
    if (node.loop?.until)
      uses.push({ state, expr: node.loop.until, moment: "after", role: "until" });
    for (const { attributes } of transitionsOf(graph, state)) {
      if (attributes.condition)
        uses.push({
          state,
          expr: attributes.condition,
          moment: "after",
          role: "condition",
          edge: attributes,
        });
    }
  });
  return uses;
}

export class GraphFacts {
  private reachableSet?: Set<string>;
  private dominance?: Map<string, { enter: number; exit: number }>;

  private readonly graph: WorkflowGraph;

  constructor(graph: WorkflowGraph) {
    this.graph = graph;
  }

  get start(): string | undefined {
    const start = this.graph.getAttribute("start");
    return start && this.graph.hasNode(start) ? start : undefined;
  }

  /** States reachable from the start state. */
  get reachable(): Set<string> {
    if (this.reachableSet) return this.reachableSet;
    const seen = new Set<string>();
    const start = this.start;
    if (start) {
      const stack = [start];
      seen.add(start);
      while (stack.length) {
        const s = stack.pop()!;
        this.graph.forEachOutNeighbor(s, (t) => {
          if (!seen.has(t)) {
            seen.add(t);
            stack.push(t);
          }
        });
      }
    }
    this.reachableSet = seen;
    return seen;
  }

  /**
   * Whether `ran` has certainly completed whenever `state` is entered, on every path from
   * the start: exactly when `ran` strictly dominates `state`. Dominators come from the
   * Cooper–Harvey–Kennedy algorithm; a numbering of the dominator tree answers in O(1).
   */
  mustHaveRun(state: string, ran: string): boolean {
    if (!this.dominance) this.dominance = this.computeDominance();
    const a = this.dominance.get(ran);
    const b = this.dominance.get(state);
    if (!a || !b || ran === state) return false;
    return a.enter < b.enter && b.exit <= a.exit;
  }

  private computeDominance(): Map<string, { enter: number; exit: number }> {
    const start = this.start;
    const numbering = new Map<string, { enter: number; exit: number }>();
    if (!start) return numbering;
    // Reverse postorder of the reachable graph (iterative DFS).
    const order: string[] = [];
    const visited = new Set<string>([start]);
    const stack: [string, string[]][] = [[start, this.graph.outNeighbors(start)]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const next = top[1].pop();
      if (next === undefined) {
        order.push(top[0]);
        stack.pop();
      } else if (!visited.has(next)) {
        visited.add(next);
        stack.push([next, this.graph.outNeighbors(next)]);
      }
    }
    order.reverse();
    const index = new Map(order.map((s, i) => [s, i]));
    const idom: number[] = new Array(order.length).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (a > b) a = idom[a]!;
        while (b > a) b = idom[b]!;
      }
      return a;
    };
    const predecessors = order.map((s) =>
      this.graph.inNeighbors(s).flatMap((p) => (index.has(p) ? [index.get(p)!] : [])),
    );
    let changed = true;
    while (changed) {
      changed = false;
      for (let i = 1; i < order.length; i++) {
        let next = -1;
        for (const pi of predecessors[i]!) {
          if (idom[pi] === -1) continue;
          next = next === -1 ? pi : intersect(pi, next);
        }
        if (next !== idom[i]) {
          idom[i] = next;
          changed = true;
        }
      }
    }
    // Number the dominator tree so that "a dominates b" is an interval test.
    const children: number[][] = order.map(() => []);
    for (let i = 1; i < order.length; i++) if (idom[i]! >= 0) children[idom[i]!]!.push(i);
    let clock = 0;
    const walk: [number, number][] = [[0, 0]];
    const enter: number[] = [];
    while (walk.length) {
      const top = walk[walk.length - 1]!;
      if (top[1] === 0) enter[top[0]] = clock++;
      const child = children[top[0]]![top[1]];
      if (child === undefined) {
        numbering.set(order[top[0]]!, { enter: enter[top[0]]!, exit: clock++ });
        walk.pop();
      } else {
        top[1]++;
        walk.push([child, 0]);
      }
    }
    return numbering;
  }

  /** A shortest path from the start to `to` that never passes through `avoid` (before `to`). */
  pathAvoiding(to: string, avoid: string): string[] | undefined {
    const start = this.start;
    if (!start || (start === avoid && to !== avoid)) return undefined;
    const previous = new Map<string, string | null>([[start, null]]);
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      if (s === to) break;
      if (s === avoid && s !== start) continue;
      this.graph.forEachOutNeighbor(s, (t) => {
        if (previous.has(t) || (t === avoid && t !== to)) return;
        previous.set(t, s);
        queue.push(t);
      });
    }
    if (!previous.has(to)) return undefined;
    const path: string[] = [];
    for (let s: string | null | undefined = to; s != null; s = previous.get(s)) path.unshift(s);
    return path;
  }
}
