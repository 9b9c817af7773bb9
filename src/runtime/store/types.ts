// Where runs live between steps: the interface every store implements. A store keeps, for
// each run, the graph it runs (so that resuming needs no source), the journal of events
// applied to it (the truth), the latest record (a snapshot of the journal's fold), and the
// log of what was observed.
import type { AgentSpec, GraphDocument } from "../../compiler/graph.ts";
import type { RunEvent, RunObservation, RunRecord, RunStatus } from "../types.ts";

/** An agent's provider and options as an agents file or an embedding program overrides them. */
export interface AgentOverride {
  provider?: AgentSpec["provider"];
  options?: Record<string, unknown>;
}

/** What a run keeps beside its record, fixed when it is created. */
export interface RunMeta {
  id: string;
  workflow: string;
  graphHash: string;
  inputs: Record<string, unknown>;
  /** The caller's intent, if one was given. */
  intent?: string;
  startedAt: string;
  /** A subworkflow's run: the run and state that started it. */
  parent?: { run: string; state: string };
  /** Agent overrides the run was started with; a resume uses them again. */
  agents?: Record<string, AgentOverride>;
  /** The directory the run's states work in (the command line's --workdir). */
  workdir?: string;
  /** The module that built the workflow (aegis-workflows/builder): its function agents. */
  module?: string;
  /** Who started the run: a user of a server, an agent's MCP session (the seeds' caller_handle). */
  caller?: RunCaller;
}

/** Who started a run, as the host that started it knows them. */
export interface RunCaller {
  /** Through what: "cli", "http", "mcp" … */
  via: string;
  /** The authenticated user, if any. */
  user?: string;
  /** The client program (an MCP client's name and version). */
  client?: string;
  /** The agent's session (an MCP session id). */
  session?: string;
}

export interface LoadedRun {
  record: RunRecord;
  document: GraphDocument;
  meta: RunMeta;
  /** What loading had to repair in memory (nothing on disk is changed by a load). */
  recovery?: {
    /** The record was rebuilt by replaying the journal, and why. */
    rebuilt?: string;
    /** The journal's last line was cut short by a crash while it was being written. */
    truncatedLine?: number;
  };
}

export interface RunSummary {
  id: string;
  workflow: string;
  status: RunStatus;
  current?: string;
  waiting?: RunRecord["waiting"];
  error?: RunRecord["error"];
  parent?: RunMeta["parent"];
  startedAt: string;
  updatedAt: string;
  /** Events applied so far. */
  seq: number;
  /** A live process drives the run now. */
  owner?: LockOwner;
  /** A run whose files cannot be read: what is wrong (the other fields are best effort). */
  problem?: { code: string; message: string };
}

export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** An exclusive hold on a run: only its holder applies events to it. */
export interface RunLock {
  release(): Promise<void>;
}

export interface RunStore {
  /** A short description for messages: `.aegis/runs`, `memory`. */
  readonly location: string;
  /** Creates a run; throws RuntimeError "run-exists" if the id is taken. */
  create(record: RunRecord, document: GraphDocument, meta?: Partial<RunMeta>): Promise<void>;
  /** Throws RuntimeError "run-not-found", "journal-corrupt" or "run-corrupt". */
  load(id: string): Promise<LoadedRun>;
  exists(id: string): Promise<boolean>;
  /**
   * Appends `event` to the run's journal, durably when the promise resolves, and keeps
   * `record` (the fold after it). A store may keep the record as a snapshot written later
   * (at the latest when the run's lock is released), since it can rebuild it from the
   * journal. Throws RuntimeError "store-full" / "store-readonly" when it cannot write; the
   * run then stays at its previous event.
   */
  commit(record: RunRecord, event: RunEvent): Promise<void>;
  list(): Promise<RunSummary[]>;
  /** Appends observations to the run's log, in order (a batch: one write for several). */
  appendLog(id: string, observations: readonly RunObservation[]): Promise<void>;
  readLog(id: string): Promise<RunObservation[]>;
  /** Exclusive hold; throws RuntimeError "run-locked" naming the holder. */
  lock(id: string): Promise<RunLock>;
  /** The live holder of the run's lock, if any. */
  owner(id: string): Promise<LockOwner | undefined>;
  /** Asks the process that drives a run to cancel it. */
  requestCancel(id: string, reason: string): Promise<void>;
  /** A pending cancellation request, if any (its reason). */
  cancelRequest(id: string): Promise<string | undefined>;
  clearCancelRequest(id: string): Promise<void>;
  /** Deletes a run that no process drives. */
  remove(id: string): Promise<void>;
}

/** Ids name directories: letters, digits, `.`, `_`, `-`; not starting with `.`. */
export const RUN_ID = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,199}$/;
