// Bounds: every cycle must be bounded by something the checker can see (a visit limit on a
// state of the cycle, a loop cap, or the workflow's transition limit) and must have an
// exit. Then the worst-case number of agent calls and wall time, checked against budgets.
import { formatDuration } from "../expression.ts";
import type { StateNode, WorkflowGraph } from "../graph.ts";
import type { Check, CheckContext } from "./context.ts";

/** Strongly connected components that contain a cycle (size > 1, or a self-loop). */
export function cyclicComponents(graph: WorkflowGraph, within?: Set<string>): string[][] {
  return stronglyConnected(graph, within).filter(
    (c) => c.length > 1 || graph.outNeighbors(c[0]!).includes(c[0]!),
  );
}

/** All strongly connected components (Tarjan), sinks of the condensation first. */
export function stronglyConnected(graph: WorkflowGraph, within?: Set<string>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const nodes = within ? [...within] : graph.nodes();
  const neighbors = (s: string) => graph.outNeighbors(s).filter((t) => !within || within.has(t));
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: [string, string[]][] = [];
    const open = (s: string) => {
      index.set(s, counter);
      low.set(s, counter++);
      stack.push(s);
      onStack.add(s);
      work.push([s, neighbors(s)]);
    };
    open(root);
    while (work.length) {
      const top = work[work.length - 1]!;
      const [s, pending] = top;
      const next = pending.pop();
      if (next !== undefined) {
        if (!index.has(next)) open(next);
        else if (onStack.has(next)) low.set(s, Math.min(low.get(s)!, index.get(next)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0])!, low.get(s)!));
      if (low.get(s) === index.get(s)) {
        const component: string[] = [];
        let x: string;
        do {
          x = stack.pop()!;
          onStack.delete(x);
          component.push(x);
        } while (x !== s);
        components.push(component.reverse());
      }
    }
  }
  return components;
}

/** A cycle through the component, as a list of states ending where it started. */
function cyclePath(graph: WorkflowGraph, component: string[]): string[] {
  const members = new Set(component);
  const first = component[0]!;
  const previous = new Map<string, string>();
  const queue = [first];
  const seen = new Set([first]);
  while (queue.length) {
    const s = queue.shift()!;
    for (const t of graph.outNeighbors(s)) {
      if (!members.has(t)) continue;
      if (t === first) {
        const path = [first];
        for (let x: string | undefined = s; x !== undefined && x !== first; x = previous.get(x))
          path.splice(1, 0, x);
        return [...path, first];
      }
      if (!seen.has(t)) {
        seen.add(t);
        previous.set(t, s);
        queue.push(t);
      }
    }
  }
  return [...component, first];
}

function visitLimit(node: StateNode, graph: WorkflowGraph): number | undefined {
  return node.visits ?? graph.getAttribute("limits").visits;
}

export const checkBounds: Check = (ctx) => {
  const { graph } = ctx;
  const limits = graph.getAttribute("limits");
  const reachable = ctx.facts.reachable;
  for (const component of cyclicComponents(graph, reachable)) {
    const members = new Set(component);
    const path = cyclePath(graph, component);
    const pathText = path.join(" → ");
    const first = graph.getNodeAttributes(component[0]!);
    const exits = component.some((s) => graph.outNeighbors(s).some((t) => !members.has(t)));
    if (!exits) {
      ctx.report({
        code: "AEG302",
        message: `cycle ${pathText} has no exit: once entered, the run can only stop at a limit`,
        span: first.nameSpan,
        related: component.slice(1).map((s) => ({
          file: first.span.file,
          span: graph.getNodeAttribute(s, "nameSpan"),
          message: "part of the cycle",
        })),
        hint: "add a transition out of the cycle, e.g. `on failure -> FAILED`",
      });
      continue;
    }
    // Bounded if removing the states with a visit limit leaves no cycle in the component.
    const unlimited = new Set(
      component.filter((s) => visitLimit(graph.getNodeAttributes(s), graph) === undefined),
    );
    const free = cyclicComponents(graph, unlimited);
    if (free.length > 0 && limits.transitions === undefined) {
      const freePath = cyclePath(graph, free[0]!).join(" → ");
      ctx.report({
        code: "AEG301",
        message: `cycle ${freePath} is unbounded: no state on it has a visit limit and the workflow has no transition limit`,
        span: graph.getNodeAttribute(free[0]![0]!, "nameSpan"),
        related: free[0]!.slice(1).map((s) => ({
          file: first.span.file,
          span: graph.getNodeAttribute(s, "nameSpan"),
          message: "part of the cycle",
        })),
        hint: `add \`visits N\` to one of its states, or \`limits { transitions: N }\` to the workflow`,
      });
    }
  }
  checkBudgets(ctx);
};

export interface WorstCase {
  /** Agent calls; undefined when unbounded or unknown (a fan-out over a list). */
  agentCalls?: number;
  /** Wall time in ms; undefined when some state has no timeout or visits are unbounded. */
  wallTimeMs?: number;
  /** Why a figure is unknown. */
  reasons: string[];
}

type Children = ReadonlyMap<string, WorstCase>;

function callsPerVisit(node: StateNode, children: Children): number | undefined {
  const attempts = 1 + (node.retry?.max ?? 0);
  switch (node.kind) {
    case "agent":
      return attempts * (node.iterations ?? 1) * (1 + (node.judges?.length ?? 0));
    case "loop":
      return node.loop?.max === undefined ? undefined : attempts * node.loop.max;
    case "parallel":
      return attempts * (node.judges?.length ?? 0);
    case "coordinate":
      return node.coordinate?.steps === undefined
        ? undefined
        : attempts * 2 * node.coordinate.steps;
    case "foreach": {
      const over = node.foreach?.over;
      return over?.kind === "list" ? attempts * over.items.length : undefined;
    }
    case "container":
      // An output handler is one more agent call.
      return node.handler ? attempts : 0;
    case "subworkflow": {
      const child = node.subworkflow ? children.get(node.subworkflow.workflow) : undefined;
      return child?.agentCalls === undefined ? undefined : attempts * child.agentCalls;
    }
    default:
      return 0;
  }
}

function timePerVisit(node: StateNode, children: Children): number | undefined {
  if (node.kind === "branch" || (node.kind === "final" && !node.command)) return 0;
  if (node.subworkflow?.mode === "detached") return 0;
  if (node.kind === "subworkflow" && node.timeoutMs === undefined) {
    return node.subworkflow ? children.get(node.subworkflow.workflow)?.wallTimeMs : undefined;
  }
  if (node.timeoutMs === undefined) return undefined;
  const attempts = 1 + (node.retry?.max ?? 0);
  let backoff = 0;
  for (let i = 0; i < (node.retry?.max ?? 0); i++) backoff += (node.retry?.backoffMs ?? 0) * 2 ** i;
  const perAttempt = node.kind === "loop" ? node.timeoutMs * (node.loop?.max ?? 1) : node.timeoutMs;
  return attempts * perAttempt + backoff;
}

/** Upper bounds on how often each reachable state runs (undefined: unbounded). */
export function visitBounds(
  graph: WorkflowGraph,
  reachable: Set<string>,
): Map<string, number | undefined> {
  const limits = graph.getAttribute("limits");
  const cap = limits.transitions === undefined ? undefined : limits.transitions + 1;
  const bounds = new Map<string, number | undefined>();
  const inCycle = new Set(cyclicComponents(graph, reachable).flat());
  for (const s of reachable) {
    const own = visitLimit(graph.getNodeAttributes(s), graph);
    const base = inCycle.has(s) ? own : 1;
    bounds.set(s, base === undefined ? cap : cap === undefined ? base : Math.min(base, cap));
  }
  // States on cycles without their own limit: visits ≤ sum of the visits of predecessors
  // (a predecessor's single run transitions once), when those are bounded and acyclic.
  const unknown = [...reachable].filter(
    (s) => inCycle.has(s) && visitLimit(graph.getNodeAttributes(s), graph) === undefined,
  );
  const unknownSet = new Set(unknown);
  if (cyclicComponents(graph, unknownSet).length === 0) {
    const ordered = topological(graph, unknownSet);
    for (const s of ordered) {
      let sum: number | undefined = 0;
      for (const p of graph.inNeighbors(s)) {
        if (!reachable.has(p)) continue;
        const b = bounds.get(p);
        sum = b === undefined || sum === undefined ? undefined : sum + b;
      }
      const current = bounds.get(s);
      bounds.set(
        s,
        sum === undefined ? current : current === undefined ? sum : Math.min(sum, current),
      );
    }
  }
  return bounds;
}

function topological(graph: WorkflowGraph, subset: Set<string>): string[] {
  const indegree = new Map<string, number>();
  for (const s of subset) indegree.set(s, graph.inNeighbors(s).filter((p) => subset.has(p)).length);
  const queue = [...subset].filter((s) => indegree.get(s) === 0);
  const out: string[] = [];
  while (queue.length) {
    const s = queue.shift()!;
    out.push(s);
    for (const t of graph.outNeighbors(s)) {
      if (!subset.has(t)) continue;
      indegree.set(t, indegree.get(t)! - 1);
      if (indegree.get(t) === 0) queue.push(t);
    }
  }
  return out;
}

/** Worst cases of a workflow; `children` gives those of the workflows it calls, by alias. */
/**
 * Worst cases of a workflow; `children` gives those of the workflows it calls, by alias.
 * A run follows one path through the condensation of the graph (its strongly connected
 * components, in topological order), so the worst case is the costliest such path, where
 * a component costs the sum over its states of visits × cost per visit. The transition
 * limit caps the total number of visits too.
 */
export function worstCase(
  graph: WorkflowGraph,
  reachable: Set<string>,
  children: Children = new Map(),
): WorstCase {
  const bounds = visitBounds(graph, reachable);
  const limits = graph.getAttribute("limits");
  const reasons: string[] = [];
  const stateCost = new Map<string, { calls?: number; time?: number }>();
  let maxCallsPerVisit: number | undefined = 0;
  let maxTimePerVisit: number | undefined = 0;
  for (const s of reachable) {
    const node = graph.getNodeAttributes(s);
    const visits = bounds.get(s);
    const c = callsPerVisit(node, children);
    const t = timePerVisit(node, children);
    if (c === undefined) {
      reasons.push(
        node.kind === "subworkflow"
          ? `the agent calls of the workflow that '${s}' calls are unknown`
          : node.kind === "loop"
            ? `loop '${s}' has no iteration cap`
            : node.kind === "coordinate"
              ? `coordinator '${s}' has no step cap`
              : `the number of agent calls of '${s}' depends on the length of its input list`,
      );
    }
    if (t === undefined) reasons.push(`'${s}' has no timeout`);
    if (visits === undefined) reasons.push(`the visits of '${s}' are unbounded`);
    maxCallsPerVisit =
      c === undefined || maxCallsPerVisit === undefined ? undefined : Math.max(maxCallsPerVisit, c);
    maxTimePerVisit =
      t === undefined || maxTimePerVisit === undefined ? undefined : Math.max(maxTimePerVisit, t);
    const cost: { calls?: number; time?: number } = {};
    if (c !== undefined && (visits !== undefined || c === 0)) cost.calls = c * (visits ?? 0);
    if (t !== undefined && (visits !== undefined || t === 0)) cost.time = t * (visits ?? 0);
    stateCost.set(s, cost);
  }
  const calls = costliestPath(graph, reachable, (s) => stateCost.get(s)?.calls);
  const time = costliestPath(graph, reachable, (s) => stateCost.get(s)?.time);
  const totalVisits = limits.transitions === undefined ? undefined : limits.transitions + 1;
  const cap = (value: number | undefined, perVisit: number | undefined) =>
    totalVisits === undefined || perVisit === undefined
      ? value
      : Math.min(value ?? Number.POSITIVE_INFINITY, totalVisits * perVisit);
  const result: WorstCase = { reasons: [...new Set(reasons)] };
  const finalCalls = cap(calls, maxCallsPerVisit);
  const finalTime = cap(time, maxTimePerVisit);
  if (finalCalls !== undefined && Number.isFinite(finalCalls)) result.agentCalls = finalCalls;
  if (finalTime !== undefined && Number.isFinite(finalTime)) result.wallTimeMs = finalTime;
  return result;
}

/** The largest sum of costs along a path of components from the start; undefined if unknown. */
function costliestPath(
  graph: WorkflowGraph,
  reachable: Set<string>,
  cost: (state: string) => number | undefined,
): number | undefined {
  const components = stronglyConnected(graph, reachable);
  const componentOf = new Map<string, number>();
  components.forEach((c, i) => {
    for (const s of c) componentOf.set(s, i);
  });
  const best: (number | undefined)[] = [];
  // Tarjan lists sinks first, so successors are computed before their predecessors.
  components.forEach((component, i) => {
    let own: number | undefined = 0;
    for (const s of component) {
      const c = cost(s);
      own = own === undefined || c === undefined ? undefined : own + c;
    }
    let next: number | undefined = 0;
    for (const s of component) {
      for (const t of graph.outNeighbors(s)) {
        const j = componentOf.get(t);
        if (j === undefined || j === i) continue;
        const b = best[j];
        next = next === undefined || b === undefined ? undefined : Math.max(next, b);
      }
    }
    best[i] = own === undefined || next === undefined ? undefined : own + next;
  });
  const start = graph.getAttribute("start");
  const root = start === undefined ? undefined : componentOf.get(start);
  return root === undefined ? 0 : best[root];
}

function checkBudgets(ctx: CheckContext): void {
  const { graph } = ctx;
  const limits = graph.getAttribute("limits");
  if (limits.agentCalls === undefined && limits.wallTimeMs === undefined) return;
  const children = new Map([...ctx.imports].map(([alias, i]) => [alias, i.worstCase]));
  const worst = worstCase(graph, ctx.facts.reachable, children);
  const span = ctx.ast.workflow?.limits?.span ?? graph.getAttribute("span");
  const reason = worst.reasons.slice(0, 3).join("; ");
  if (limits.agentCalls !== undefined) {
    if (worst.agentCalls === undefined) {
      ctx.report({
        code: "AEG305",
        message: `the budget of ${limits.agentCalls} agent calls cannot be checked: ${reason}`,
        span,
      });
    } else if (worst.agentCalls > limits.agentCalls) {
      ctx.report({
        code: "AEG303",
        message: `in the worst case this workflow makes ${worst.agentCalls} agent calls, over its budget of ${limits.agentCalls}`,
        span,
        hint: "lower visit limits or retries, or raise the budget; the run stops when the budget is spent",
      });
    }
  }
  if (limits.wallTimeMs !== undefined) {
    if (worst.wallTimeMs === undefined) {
      ctx.report({
        code: "AEG305",
        message: `the wall-time budget of ${formatDuration(limits.wallTimeMs)} cannot be checked: ${reason}`,
        span,
      });
    } else if (worst.wallTimeMs > limits.wallTimeMs) {
      ctx.report({
        code: "AEG304",
        message: `in the worst case this workflow runs for ${formatDuration(worst.wallTimeMs)}, over its budget of ${formatDuration(limits.wallTimeMs)}`,
        span,
        hint: "shorten timeouts or lower visit limits, or raise the budget",
      });
    }
  }
}
