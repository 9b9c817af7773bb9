// Run stores: where runs are kept between steps (see types.ts for the interface).
export { FileStore, parseJournal } from "./file.ts";
export { MemoryStore } from "./memory.ts";
export { replay } from "./rebuild.ts";
export type {
  AgentOverride,
  LoadedRun,
  LockOwner,
  RunCaller,
  RunLock,
  RunMeta,
  RunStore,
  RunSummary,
} from "./types.ts";
export { RUN_ID } from "./types.ts";
