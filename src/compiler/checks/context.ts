// What every check receives, and graph facts several checks share (computed once).
import type { Expr, SourceFileAst } from "../ast.ts";
import type { Finding } from "../diagnostics.ts";
import type { StateNode, TemplateRef, TransitionEdge, WorkflowGraph } from "../graph.ts";
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
    | "handler"
    | "options";
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
export function isShellScript(argv: TemplateRef[], i: number): boolean {
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

export function templateUses(facts: GraphFacts): TemplateUse[] {
  const uses: TemplateUse[] = [];
  facts.states.forEach((state, i) => {
    const node = facts.nodes[i]!;
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
    for (const o of node.optionTemplates ?? []) before(o.template, "options");
    // A container's output handler runs after it, on its output.
    if (node.handler?.prompt)
      uses.push({ state, template: node.handler.prompt, moment: "after", role: "handler" });
    if (node.output) uses.push({ state, template: node.output, moment: "after", role: "output" });
    for (const { attributes } of facts.transitions[i]!) {
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
  const output = facts.graph.getAttribute("output");
  const outputs =
    output === undefined ? [] : isTemplateRef(output) ? [output] : Object.values(output);
  for (const template of outputs) uses.push({ template, moment: "after", role: "output" });
  return uses;
}

export function expressionUses(facts: GraphFacts): ExpressionUse[] {
  const uses: ExpressionUse[] = [];
  facts.states.forEach((state, i) => {
    const node = facts.nodes[i]!;
    if (node.foreach) uses.push({ state, expr: node.foreach.over, moment: "before", role: "over" });
    if (node.loop?.until)
      uses.push({ state, expr: node.loop.until, moment: "after", role: "until" });
    for (const { attributes } of facts.transitions[i]!) {
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

export interface Transition {
  key: string;
  target: string;
  attributes: TransitionEdge;
}

/**
 * Strongly connected components (Tarjan, iterative) of the states `roots` lists, over the
 * edges between states `member` accepts; sinks of the condensation first. Roots are tried
 * in the order given, and each state's successors from last to first.
 */
export function tarjan(
  successors: readonly (readonly number[])[],
  roots: Iterable<number>,
  member: (state: number) => boolean,
): number[][] {
  const n = successors.length;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  // Per open state: how many of its successors are still to be looked at.
  const pending = new Int32Array(n);
  const stack: number[] = [];
  const work: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  const open = (s: number) => {
    index[s] = counter;
    low[s] = counter++;
    stack.push(s);
    onStack[s] = 1;
    pending[s] = successors[s]!.length;
    work.push(s);
  };
  for (const root of roots) {
    if (index[root] !== -1) continue;
    open(root);
    while (work.length > 0) {
      const s = work[work.length - 1]!;
      if (pending[s]! > 0) {
        const next = successors[s]![--pending[s]!]!;
        if (!member(next)) continue;
        if (index[next] === -1) open(next);
        else if (onStack[next]) low[s] = Math.min(low[s]!, index[next]!);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1]!;
        low[parent] = Math.min(low[parent]!, low[s]!);
      }
      if (low[s] === index[s]) {
        const component: number[] = [];
        let x: number;
        do {
          x = stack.pop()!;
          onStack[x] = 0;
          component.push(x);
        } while (x !== s);
        components.push(component.reverse());
      }
    }
  }
  return components;
}

/**
 * Facts about the graph that several checks share, computed once per compile: the states
 * as arrays indexed by position (graphology's iteration and attribute lookups are slow in
 * hot loops), their transitions in declaration order, reachability, strongly connected
 * components and dominators.
 */
export class GraphFacts {
  readonly graph: WorkflowGraph;
  /** State names, in graph order. */
  readonly states: string[];
  /** Each state's attributes, by index. */
  readonly nodes: StateNode[];
  readonly indexOf: Map<string, number>;
  /** Distinct successors by index, in graphology's `outNeighbors` order. */
  readonly successors: number[][];
  /** Distinct predecessors by index, in graphology's `inNeighbors` order. */
  readonly predecessors: number[][];
  /** Outgoing transitions, in declaration order (as `transitionsOf`). */
  readonly transitions: Transition[][];

  private reachableSet?: Set<string>;
  private reachableOrder?: number[];
  private components?: number[][];
  private dominance?: { enter: Int32Array; exit: Int32Array };
  private templateUseList?: TemplateUse[];
  private expressionUseList?: ExpressionUse[];

  constructor(graph: WorkflowGraph) {
    this.graph = graph;
    const states: string[] = [];
    const nodes: StateNode[] = [];
    const indexOf = new Map<string, number>();
    graph.forEachNode((state, node) => {
      indexOf.set(state, states.length);
      states.push(state);
      nodes.push(node);
    });
    this.states = states;
    this.nodes = nodes;
    this.indexOf = indexOf;
    this.transitions = states.map(() => []);
    graph.forEachEdge((key, attributes, source, target) => {
      this.transitions[indexOf.get(source)!]!.push({ key, target, attributes });
    });
    for (const list of this.transitions) {
      if (list.length > 1) list.sort((a, b) => a.attributes.order - b.attributes.order);
    }
    const indices = (names: string[]) => names.map((t) => indexOf.get(t)!);
    this.successors = states.map((s) => indices(graph.outNeighbors(s)));
    this.predecessors = states.map((s) => indices(graph.inNeighbors(s)));
  }

  get start(): string | undefined {
    const start = this.graph.getAttribute("start");
    return start && this.indexOf.has(start) ? start : undefined;
  }

  /** States reachable from the start state, in the order a depth-first search finds them. */
  get reachable(): Set<string> {
    if (!this.reachableSet) this.findReachable();
    return this.reachableSet!;
  }

  /** Indices of the reachable states, in the same order as `reachable`. */
  get reachableStates(): readonly number[] {
    if (!this.reachableOrder) this.findReachable();
    return this.reachableOrder!;
  }

  private findReachable(): void {
    const order: number[] = [];
    const start = this.start;
    if (start !== undefined) {
      const seen = new Uint8Array(this.states.length);
      const first = this.indexOf.get(start)!;
      const stack = [first];
      seen[first] = 1;
      order.push(first);
      while (stack.length) {
        const s = stack.pop()!;
        for (const t of this.successors[s]!) {
          if (seen[t]) continue;
          seen[t] = 1;
          order.push(t);
          stack.push(t);
        }
      }
    }
    this.reachableOrder = order;
    this.reachableSet = new Set(order.map((i) => this.states[i]!));
  }

  /** Strongly connected components of the reachable states, sinks first. */
  get reachableComponents(): number[][] {
    if (!this.components) {
      const reachable = new Uint8Array(this.states.length);
      for (const s of this.reachableStates) reachable[s] = 1;
      this.components = tarjan(this.successors, this.reachableStates, (s) => reachable[s] === 1);
    }
    return this.components;
  }

  /** Whether a component contains a cycle: more than one state, or a self-loop. */
  isCyclic(component: readonly number[]): boolean {
    return component.length > 1 || this.successors[component[0]!]!.includes(component[0]!);
  }

  /** What templates name, and where: shared by the scope and security checks. */
  get templateUses(): TemplateUse[] {
    this.templateUseList ??= templateUses(this);
    return this.templateUseList;
  }

  get expressionUses(): ExpressionUse[] {
    this.expressionUseList ??= expressionUses(this);
    return this.expressionUseList;
  }

  /**
   * Whether `ran` has certainly completed whenever `state` is entered, on every path from
   * the start: exactly when `ran` strictly dominates `state`. Dominators come from the
   * Cooper–Harvey–Kennedy algorithm; a numbering of the dominator tree answers in O(1).
   */
  mustHaveRun(state: string, ran: string): boolean {
    if (!this.dominance) this.dominance = this.computeDominance();
    const a = this.indexOf.get(ran);
    const b = this.indexOf.get(state);
    if (a === undefined || b === undefined || ran === state) return false;
    const { enter, exit } = this.dominance;
    if (enter[a] === -1 || enter[b] === -1) return false;
    return enter[a]! < enter[b]! && exit[b]! <= exit[a]!;
  }

  private computeDominance(): { enter: Int32Array; exit: Int32Array } {
    const n = this.states.length;
    const enter = new Int32Array(n).fill(-1);
    const exit = new Int32Array(n).fill(-1);
    const start = this.start;
    if (start === undefined) return { enter, exit };
    // Reverse postorder of the reachable graph (iterative DFS, successors last to first).
    const order: number[] = [];
    const visited = new Uint8Array(n);
    const pending = new Int32Array(n);
    const first = this.indexOf.get(start)!;
    visited[first] = 1;
    pending[first] = this.successors[first]!.length;
    const stack = [first];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      if (pending[top] === 0) {
        order.push(top);
        stack.pop();
        continue;
      }
      const next = this.successors[top]![--pending[top]!]!;
      if (!visited[next]) {
        visited[next] = 1;
        pending[next] = this.successors[next]!.length;
        stack.push(next);
      }
    }
    order.reverse();
    // Position of each state in `order`; -1 for unreachable states.
    const position = new Int32Array(n).fill(-1);
    order.forEach((s, i) => {
      position[s] = i;
    });
    const idom = new Int32Array(order.length).fill(-1);
    idom[0] = 0;
    const intersect = (a: number, b: number): number => {
      while (a !== b) {
        while (a > b) a = idom[a]!;
        while (b > a) b = idom[b]!;
      }
      return a;
    };
    const predecessors = order.map((s) =>
      this.predecessors[s]!.map((p) => position[p]!).filter((p) => p >= 0),
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
    const childAt = new Int32Array(order.length);
    const walk = [0];
    enter[order[0]!] = clock++;
    while (walk.length) {
      const top = walk[walk.length - 1]!;
      const child = children[top]![childAt[top]!++];
      if (child === undefined) {
        exit[order[top]!] = clock++;
        walk.pop();
      } else {
        enter[order[child]!] = clock++;
        walk.push(child);
      }
    }
    return { enter, exit };
  }

  /** A shortest path from the start to `to` that never passes through `avoid` (before `to`). */
  pathAvoiding(to: string, avoid: string): string[] | undefined {
    const start = this.start;
    if (!start || (start === avoid && to !== avoid)) return undefined;
    const target = this.indexOf.get(to);
    const avoided = this.indexOf.get(avoid);
    const first = this.indexOf.get(start)!;
    if (target === undefined) return undefined;
    const previous = new Int32Array(this.states.length).fill(-2);
    previous[first] = -1;
    const queue = [first];
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      if (s === target) break;
      if (s === avoided && s !== first) continue;
      for (const t of this.successors[s]!) {
        if (previous[t] !== -2 || (t === avoided && t !== target)) continue;
        previous[t] = s;
        queue.push(t);
      }
    }
    if (previous[target] === -2) return undefined;
    const path: string[] = [];
    for (let s = target; s !== -1; s = previous[s]!) path.push(this.states[s]!);
    return path.reverse();
  }
}
