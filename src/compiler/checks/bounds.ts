// Bounds: every cycle must be bounded by something the checker can see (a visit limit on a
// state of the cycle, a loop cap, or the workflow's transition limit) and must have an
// exit. Then the worst-case number of agent calls and wall time, checked against budgets.
import { formatDuration } from "../expression.ts";
import type { Limits, StateNode } from "../graph.ts";
import { conditionFacts } from "./conditions.ts";
import { type Check, type CheckContext, type GraphFacts, tarjan } from "./context.ts";

/** Strongly connected components of the states `within` lists (as names), sinks first. */
function componentsWithin(facts: GraphFacts, within: readonly number[]): number[][] {
  const member = new Uint8Array(facts.states.length);
  for (const s of within) member[s] = 1;
  return tarjan(facts.successors, within, (s) => member[s] === 1);
}

/** Longest walk named in a message; a bigger component is named by its states. */
const MAX_WALK = 16;

/**
 * The component as a message names it: a walk round it through every one of its states,
 * ending where it started (`A → B → D → B → A`), or, when that walk would be too long to
 * read, the states themselves (`A, B, C, … (40 states)`).
 */
function cycleText(
  facts: GraphFacts,
  component: readonly number[],
  successors: readonly (readonly number[])[] = facts.successors,
): string {
  const walk = coveringWalk(component, successors);
  if (walk !== undefined) return walk.map((i) => facts.states[i]!).join(" → ");
  const names = component.slice(0, MAX_WALK).map((i) => facts.states[i]!);
  return `through ${names.join(", ")}${component.length > MAX_WALK ? ", …" : ""} (${component.length} states)`;
}

/** A closed walk through every state of a strongly connected component, if short enough. */
function coveringWalk(
  component: readonly number[],
  successors: readonly (readonly number[])[],
): number[] | undefined {
  const members = new Set(component);
  const first = component[0]!;
  const left = new Set(component.slice(1));
  const walk = [first];
  let at = first;
  // Go to the nearest state not yet on the walk until none is left, then back to the first.
  while (walk.length <= MAX_WALK) {
    const path = shortestPath(at, (s) => (left.size > 0 ? left.has(s) : s === first));
    if (path === undefined) return undefined;
    for (const s of path) left.delete(s);
    walk.push(...path);
    at = walk[walk.length - 1]!;
    if (at === first && left.size === 0) return walk.length <= MAX_WALK + 1 ? walk : undefined;
  }
  return undefined;

  /** The states after `from` on a shortest path within the component to one that `goal` takes. */
  function shortestPath(from: number, goal: (s: number) => boolean): number[] | undefined {
    const previous = new Map<number, number>();
    const queue = [from];
    const seen = new Set([from]);
    for (let head = 0; head < queue.length; head++) {
      const s = queue[head]!;
      for (const t of successors[s]!) {
        if (!members.has(t) || (seen.has(t) && !(t === from && goal(t)))) continue;
        previous.set(t, s);
        if (goal(t)) {
          const path = [t];
          for (let x = s; x !== from; x = previous.get(x)!) path.push(x);
          return path.reverse();
        }
        seen.add(t);
        queue.push(t);
      }
    }
    return undefined;
  }
}

function visitLimit(node: StateNode, limits: Limits): number | undefined {
  return node.visits ?? limits.visits;
}

export const checkBounds: Check = (ctx) => {
  const { graph, facts } = ctx;
  const limits = graph.getAttribute("limits");
  const trapped = checkDeadExits(ctx);
  for (const component of facts.reachableComponents) {
    if (!facts.isCyclic(component)) continue;
    const members = new Set(component);
    const pathText = cycleText(facts, component);
    const first = facts.nodes[component[0]!]!;
    const exits = component.some((s) => facts.successors[s]!.some((t) => !members.has(t)));
    if (!exits) {
      ctx.report({
        code: "AEG302",
        message: `cycle ${pathText} has no exit: once entered, the run can only stop at a limit`,
        span: first.nameSpan,
        related: component.slice(1).map((s) => ({
          file: first.span.file,
          span: facts.nodes[s]!.nameSpan,
          message: "part of the cycle",
        })),
        hint: "add a transition out of the cycle, e.g. `on failure -> FAILED`",
      });
      continue;
    }
    // A cycle in it whose exits can never fire was reported (AEG302), as a cycle without exit.
    if (component.some((s) => trapped[s])) continue;
    // Bounded if removing the states with a visit limit leaves no cycle in the component.
    const unlimited = component.filter((s) => visitLimit(facts.nodes[s]!, limits) === undefined);
    const free = componentsWithin(facts, unlimited).filter((c) => facts.isCyclic(c));
    if (free.length > 0 && limits.transitions === undefined) {
      const freePath = cycleText(facts, free[0]!);
      ctx.report({
        code: "AEG301",
        message: `cycle ${freePath} is unbounded: no state on it has a visit limit and the workflow has no transition limit`,
        span: facts.nodes[free[0]![0]!]!.nameSpan,
        related: free[0]!.slice(1).map((s) => ({
          file: first.span.file,
          span: facts.nodes[s]!.nameSpan,
          message: "part of the cycle",
        })),
        hint: `add \`visits N\` to one of its states, or \`limits { transitions: N }\` to the workflow`,
      });
    }
  }
  checkBudgets(ctx);
};

/**
 * AEG302 for cycles whose exits can all never fire (checks/conditions.ts: a condition that is
 * never true, or a transition that earlier ones leave no case for): once entered, the run
 * goes round until a limit stops it. The cycles are those of the transitions that can fire,
 * from the states those reach; cycles that no transition leaves at all are reported by the
 * caller as before. Returns the states of the cycles reported, by index.
 */
function checkDeadExits(ctx: CheckContext): Uint8Array {
  const { facts } = ctx;
  const n = facts.states.length;
  const trapped = new Uint8Array(n);
  const { dead } = conditionFacts(facts);
  const start = facts.start;
  if (dead.size === 0 || start === undefined) return trapped;
  const live = facts.transitions.map((list) => [
    ...new Set(
      list.filter((t) => !dead.has(t.attributes)).map((t) => facts.indexOf.get(t.target)!),
    ),
  ]);
  const reached = new Uint8Array(n);
  const order = [facts.indexOf.get(start)!];
  reached[order[0]!] = 1;
  for (let head = 0; head < order.length; head++) {
    for (const t of live[order[head]!]!) {
      if (reached[t]) continue;
      reached[t] = 1;
      order.push(t);
    }
  }
  for (const component of tarjan(live, order, (s) => reached[s] === 1)) {
    const cyclic = component.length > 1 || live[component[0]!]!.includes(component[0]!);
    if (!cyclic) continue;
    const members = new Set(component);
    const exits = component.flatMap((s) =>
      facts.transitions[s]!.filter((t) => !members.has(facts.indexOf.get(t.target)!)).map((t) => ({
        from: facts.states[s]!,
        t,
      })),
    );
    // No exit at all is the plain AEG302; an exit that can fire is an exit.
    if (exits.length === 0 || exits.some((e) => !dead.has(e.t.attributes))) continue;
    for (const s of component) trapped[s] = 1;
    const first = facts.nodes[component[0]!]!;
    const file = first.span.file;
    const pathText = cycleText(facts, component, live);
    const shown = exits
      .slice(0, 3)
      .map(
        (e) =>
          `${e.from} → ${e.t.target} (\`${e.t.attributes.label}\`) ${dead.get(e.t.attributes)}`,
      );
    const more = exits.length > 3 ? `; and ${exits.length - 3} more` : "";
    ctx.report({
      code: "AEG302",
      message: `cycle ${pathText} has no exit that can fire, so once entered the run can only stop at a limit: ${shown.join("; ")}${more}`,
      span: first.nameSpan,
      related: [
        ...exits.map((e) => ({
          file,
          span: e.t.attributes.span,
          message: `an exit that ${dead.get(e.t.attributes)}`,
        })),
        ...component.slice(1).map((s) => ({
          file,
          span: facts.nodes[s]!.nameSpan,
          message: "part of the cycle",
        })),
      ],
      hint: "correct the exit's condition so that it can hold, or add a transition out of the cycle, e.g. `on failure -> FAILED`",
    });
  }
  return trapped;
}

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

/** Upper bounds on how often each reachable state runs, by state index (undefined: unbounded). */
export function visitBounds(facts: GraphFacts): (number | undefined)[] {
  const limits = facts.graph.getAttribute("limits");
  const cap = limits.transitions === undefined ? undefined : limits.transitions + 1;
  const bounds: (number | undefined)[] = [];
  const inCycle = new Uint8Array(facts.states.length);
  for (const c of facts.reachableComponents)
    if (facts.isCyclic(c)) for (const s of c) inCycle[s] = 1;
  const reachable = facts.reachableStates;
  for (const s of reachable) {
    const own = visitLimit(facts.nodes[s]!, limits);
    const base = inCycle[s] ? own : 1;
    bounds[s] = base === undefined ? cap : cap === undefined ? base : Math.min(base, cap);
  }
  // States on cycles without their own limit: visits ≤ sum of the visits of predecessors
  // (a predecessor's single run transitions once), when those are bounded and acyclic.
  const unknown = reachable.filter(
    (s) => inCycle[s] && visitLimit(facts.nodes[s]!, limits) === undefined,
  );
  if (!componentsWithin(facts, unknown).some((c) => facts.isCyclic(c))) {
    const isReachable = new Uint8Array(facts.states.length);
    for (const s of reachable) isReachable[s] = 1;
    for (const s of topological(facts, unknown)) {
      let sum: number | undefined = 0;
      for (const p of facts.predecessors[s]!) {
        if (!isReachable[p]) continue;
        const b = bounds[p];
        sum = b === undefined || sum === undefined ? undefined : sum + b;
      }
      const current = bounds[s];
      bounds[s] =
        sum === undefined ? current : current === undefined ? sum : Math.min(sum, current);
    }
  }
  return bounds;
}

/** The states of `subset` in topological order of the edges between them (Kahn). */
function topological(facts: GraphFacts, subset: readonly number[]): number[] {
  const member = new Uint8Array(facts.states.length);
  for (const s of subset) member[s] = 1;
  const indegree = new Int32Array(facts.states.length);
  for (const s of subset)
    for (const p of facts.predecessors[s]!) if (member[p]) indegree[s] = indegree[s]! + 1;
  const queue = subset.filter((s) => indegree[s] === 0);
  for (let head = 0; head < queue.length; head++) {
    for (const t of facts.successors[queue[head]!]!) {
      if (!member[t]) continue;
      indegree[t] = indegree[t]! - 1;
      if (indegree[t] === 0) queue.push(t);
    }
  }
  return queue;
}

/**
 * Worst cases of a workflow; `children` gives those of the workflows it calls, by alias.
 * A run follows one path through the condensation of the graph (its strongly connected
 * components, in topological order), so the worst case is the costliest such path, where
 * a component costs the sum over its states of visits × cost per visit. The transition
 * limit caps the total number of visits too.
 */
export function worstCase(facts: GraphFacts, children: Children = new Map()): WorstCase {
  const bounds = visitBounds(facts);
  const limits = facts.graph.getAttribute("limits");
  const reasons: string[] = [];
  const callCost: (number | undefined)[] = [];
  const timeCost: (number | undefined)[] = [];
  let maxCallsPerVisit: number | undefined = 0;
  let maxTimePerVisit: number | undefined = 0;
  for (const i of facts.reachableStates) {
    const s = facts.states[i]!;
    const node = facts.nodes[i]!;
    const visits = bounds[i];
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
    if (c !== undefined && (visits !== undefined || c === 0)) callCost[i] = c * (visits ?? 0);
    if (t !== undefined && (visits !== undefined || t === 0)) timeCost[i] = t * (visits ?? 0);
  }
  const [calls, time] = costliestPaths(facts, [callCost, timeCost]);
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

/**
 * For each cost (by state index), the largest sum of costs along a path of components from
 * the start; undefined if unknown.
 */
function costliestPaths(
  facts: GraphFacts,
  costs: readonly (readonly (number | undefined)[])[],
): (number | undefined)[] {
  const components = facts.reachableComponents;
  const componentOf = new Int32Array(facts.states.length).fill(-1);
  components.forEach((c, i) => {
    for (const s of c) componentOf[s] = i;
  });
  return costs.map((cost) => {
    const best: (number | undefined)[] = [];
    // Tarjan lists sinks first, so successors are computed before their predecessors.
    components.forEach((component, i) => {
      let own: number | undefined = 0;
      for (const s of component) {
        const c = cost[s];
        own = own === undefined || c === undefined ? undefined : own + c;
      }
      let next: number | undefined = 0;
      for (const s of component) {
        for (const t of facts.successors[s]!) {
          const j = componentOf[t]!;
          if (j === -1 || j === i) continue;
          const b = best[j];
          next = next === undefined || b === undefined ? undefined : Math.max(next, b);
        }
      }
      best[i] = own === undefined || next === undefined ? undefined : own + next;
    });
    const start = facts.graph.getAttribute("start");
    const root = start === undefined ? -1 : (componentOf[facts.indexOf.get(start) ?? -1] ?? -1);
    return root === -1 ? 0 : best[root];
  });
}

function checkBudgets(ctx: CheckContext): void {
  const { graph } = ctx;
  const limits = graph.getAttribute("limits");
  if (limits.agentCalls === undefined && limits.wallTimeMs === undefined) return;
  const children = new Map([...ctx.imports].map(([alias, i]) => [alias, i.worstCase]));
  const worst = worstCase(ctx.facts, children);
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
