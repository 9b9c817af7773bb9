// The runtime: run compiled workflows durably — an engine around a pure step function,
// stores that journal every event, agent providers, typed observations
// (`aegis-workflows/runtime`). It never loads the compiler's parser: it runs the graph
// documents the compiler exports (`engine.start(document)`).
export type { GraphDocument } from "../compiler/graph.ts";
export {
  type AgentOverrideInput,
  type Clock,
  createEngine,
  type Engine,
  type EngineOptions,
  type Executor,
  mergeAgent,
  normalizeAgentOverrides,
  type RunHandle,
  type SignalAnswer,
  type StartOptions,
  systemClock,
} from "./engine.ts";
export { followLog, type LoggedObservation, ObservationStream, RunLog } from "./events.ts";
export { executeState } from "./execute.ts";
export { InputError, type InputProblem, parseParam, validateInputs } from "./inputs.ts";
export { createAgentResolver, createProvider } from "./providers/index.ts";
export { attemptKey, createRun, type StepOutput, step } from "./step.ts";
export {
  type AgentOverride,
  FileStore,
  type LoadedRun,
  type LockOwner,
  MemoryStore,
  parseJournal,
  RUN_ID,
  type RunCaller,
  type RunLock,
  type RunMeta,
  type RunStore,
  type RunSummary,
  replay,
} from "./store/index.ts";
export type {
  AgentFunction,
  AgentInvocation,
  AgentProvider,
  AgentReply,
  Effect,
  ExecutionContext,
  ExecutorServices,
  HistoryEntry,
  RouterContext,
  RunErrorCode,
  RunEvent,
  RunObservation,
  RunRecord,
  RunStatus,
  SpecialistCall,
  StateResult,
} from "./types.ts";
export { RuntimeError } from "./types.ts";
export { wakeAt } from "./wake.ts";
