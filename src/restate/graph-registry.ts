// Graph documents kept once per graph, not once per run: the `aegisGraph` virtual object,
// keyed by a document's content hash. A run carries its document in its start (it runs
// without asking anyone for it), but what `document` reads back while the run is kept
// (a week by default) comes from here: ten thousand runs of one workflow keep one copy.
// The client puts each document it starts runs of (once per document and process), before
// it starts them; `get` is exclusive, so it is served after any put sent before it.
// Documents stay until removed (docs/scale-out.md): one per version of each workflow.
import * as restate from "@restatedev/restate-sdk";
import { type GraphDocument, loadGraph } from "../compiler/graph.ts";
import { terminal } from "./terminal.ts";

/** The virtual object's name: its ingress paths are /aegisGraph/HASH/put and …/get. */
export const GRAPH_SERVICE = "aegisGraph";

export const graphRegistry = restate.object({
  name: GRAPH_SERVICE,
  handlers: {
    /** Keeps `document` under its hash (the key), once it has checked that it is its hash. */
    put: async (ctx: restate.ObjectContext, document: GraphDocument) => {
      if (typeof document?.hash !== "string" || document.hash !== ctx.key)
        throw terminal("invalid-workflow", `the document's hash is not '${ctx.key}'`, 400);
      if ((await ctx.get("document")) !== null) return;
      // Loaded here, not taken from the worker's cache of graphs by hash (which trusts the
      // hash): the content must be what the hash says.
      try {
        loadGraph(document);
      } catch (error) {
        throw terminal(
          "invalid-workflow",
          `the graph cannot be loaded: ${(error as Error).message}`,
          400,
        );
      }
      ctx.set("document", document);
    },
    get: async (ctx: restate.ObjectContext) => {
      const document = await ctx.get<GraphDocument>("document");
      if (!document) throw terminal("graph-not-found", `no graph '${ctx.key}'`, 404);
      return document;
    },
  },
});

/** A document and the documents of its subworkflows, each once. */
export function documentsOf(document: GraphDocument): GraphDocument[] {
  const found = new Map<string, GraphDocument>();
  const visit = (doc: GraphDocument) => {
    if (found.has(doc.hash)) return;
    found.set(doc.hash, doc);
    for (const sub of Object.values(doc.subworkflows ?? {})) visit(sub);
  };
  visit(document);
  return [...found.values()];
}
