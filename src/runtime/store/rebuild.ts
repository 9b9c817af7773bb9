// Rebuilding a run's record from its journal: the record is a fold of the events through
// the pure core, so replaying them from createRun gives it back exactly.
import { type GraphDocument, loadGraph } from "../../compiler/graph.ts";
import { createRun, step } from "../step.ts";
import type { RunEvent, RunRecord } from "../types.ts";
import type { RunMeta } from "./types.ts";

export function replay(document: GraphDocument, meta: RunMeta, events: RunEvent[]): RunRecord {
  const { graph } = loadGraph(document);
  let record = createRun(graph, {
    id: meta.id,
    graphHash: meta.graphHash,
    inputs: meta.inputs,
    ...(meta.intent !== undefined && { intent: meta.intent }),
    at: meta.startedAt,
  });
  for (const event of events) record = step(graph, record, event).record;
  return record;
}
