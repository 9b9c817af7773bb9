// aegis on a Restate cluster (`aegis-workflows/restate`, docs/scale-out.md): the aegisRun
// workflow a worker serves, the worker itself, and the client that starts, answers,
// cancels and reads runs through a node's ingress. Not re-exported by the root: it loads the
// Restate SDK, which a program that runs workflows in its own process does not need.
export {
  RestateRuns,
  type RestateRunsOptions,
  type RestateStartOptions,
  type Sent,
} from "./client.ts";
export { GRAPH_SERVICE, graphRegistry } from "./graph-registry.ts";
export {
  type RestateAnswer,
  type RestateRunMeta,
  type RestateRunStart,
  RUN_SERVICE,
  type RunWorkflowOptions,
  runWorkflow,
} from "./run-workflow.ts";
export { registerWorker, startWorker, type Worker, type WorkerOptions } from "./worker.ts";
