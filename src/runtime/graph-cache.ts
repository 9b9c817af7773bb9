// Graphs loaded from documents, shared by every host of the process: loading verifies the
// content hash (a canonical serialisation of the whole graph) and builds the graph, once per
// document rather than once per run, answer or replay.
import { type GraphDocument, loadGraph, type WorkflowGraph } from "../compiler/graph.ts";

/** By document object: a program that starts a thousand runs of one compiled workflow. */
const loadedGraphs = new WeakMap<GraphDocument, WorkflowGraph>();

/**
 * By content hash, for documents read back from a store or a journal: a server answering
 * thousands of gates of one workflow loads its graph once, not once per answer. The most
 * recently used graphs are kept.
 */
const graphsByHash = new Map<string, WorkflowGraph>();
const GRAPHS_KEPT = 256;

/** The graph of a document given by a program (throws when it does not load). */
export function graphOf(document: GraphDocument): WorkflowGraph {
  const known = loadedGraphs.get(document);
  if (known) return known;
  const { graph } = loadGraph(document);
  loadedGraphs.set(document, graph);
  return graph;
}

/** The graph of a document read back from storage, by its hash (throws when it does not load). */
export function storedGraph(document: GraphDocument): WorkflowGraph {
  const known = graphsByHash.get(document.hash);
  if (known) {
    graphsByHash.delete(document.hash);
    graphsByHash.set(document.hash, known);
    return known;
  }
  const { graph } = loadGraph(document);
  graphsByHash.set(document.hash, graph);
  if (graphsByHash.size > GRAPHS_KEPT) graphsByHash.delete(graphsByHash.keys().next().value!);
  return graph;
}
