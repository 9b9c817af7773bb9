// What the checker proves of a compiled workflow, from its graph document alone (no source):
// the worst case of a run (agent calls, wall time) and how often each state can run. The
// server shows these beside a deployed version; `compile --check` prints the same worst case.
import { visitBounds, type WorstCase, worstCase } from "./checks/bounds.ts";
import { GraphFacts } from "./checks/context.ts";
import { type GraphDocument, loadGraph } from "./graph.ts";

export interface Figures {
  states: number;
  worstCase: WorstCase;
  /** Upper bound of each state's visits in one run; null: unbounded; absent: unreachable. */
  visits: Record<string, number | null>;
}

/** The figures of a graph document (its subworkflows' worst cases count in its own). */
export function figuresOf(document: GraphDocument): Figures {
  const { graph, subworkflows } = loadGraph(document);
  const facts = new GraphFacts(graph);
  const children = new Map(
    Object.entries(subworkflows).map(([alias, child]) => [alias, figuresOf(child).worstCase]),
  );
  const bounds = visitBounds(facts);
  const visits: Record<string, number | null> = {};
  for (const s of facts.reachableStates) visits[facts.states[s]!] = bounds[s] ?? null;
  return { states: graph.order, worstCase: worstCase(facts, children), visits };
}
