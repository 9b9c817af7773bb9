// What runs the server's runs: the local engine over its file store (the default), or a
// Restate cluster (restate-backend.ts). The RunService keeps the index, the queue, the
// timers and the live fan-out; a backend creates, drives and reads the runs themselves.
import type { GraphDocument } from "../compiler/graph.ts";
import type { Engine } from "../runtime/engine.ts";
import type { LoggedObservation } from "../runtime/events.ts";
import type { SignalAnswer } from "../runtime/response.ts";
import type { FileStore } from "../runtime/store/file.ts";
import type { RunCaller, RunMeta } from "../runtime/store/types.ts";
import type { RunObservation, RunRecord } from "../runtime/types.ts";

export interface CreateOptions {
  id: string;
  caller: RunCaller;
  intent?: string;
  workdir?: string;
}

/** A run being driven (or followed) until it stops: finished, or waiting for a human. */
export interface Driven {
  result(): Promise<RunRecord>;
  notice?: string;
}

export interface RunBackend {
  /** Where runs are, for messages: a directory, or a Restate ingress. */
  readonly location: string;
  /** How many runs the server drives at once; undefined: its own setting. */
  readonly concurrency?: number;
  /** Validates the inputs and creates the run (a queued run, or one already started). */
  create(
    document: GraphDocument,
    inputs: Record<string, unknown>,
    options: CreateOptions,
  ): Promise<void>;
  /** Drives (or follows) a run until it stops. */
  drive(id: string): Promise<Driven>;
  signal(id: string, answer: SignalAnswer): Promise<Driven>;
  cancel(id: string, reason: string): Promise<RunRecord>;
  record(id: string): Promise<RunRecord>;
  load(id: string): Promise<{ record: RunRecord; meta: RunMeta; document: GraphDocument }>;
  readLog(id: string): Promise<RunObservation[]>;
  close(): Promise<void>;
}

/** The local engine over a file store: runs driven in this process. */
export function localBackend(engine: Engine, store: FileStore): RunBackend {
  return {
    location: store.location,
    create: async (document, inputs, options) => {
      await engine.enqueue(document, inputs, {
        id: options.id,
        caller: options.caller,
        ...(options.intent !== undefined && { intent: options.intent }),
        ...(options.workdir !== undefined && { workdir: options.workdir }),
      });
    },
    drive: (id) => engine.resume(id),
    signal: (id, answer) => engine.signal(id, answer),
    cancel: (id, reason) => engine.cancel(id, reason),
    record: (id) => engine.get(id),
    load: (id) => store.load(id),
    readLog: (id) => store.readLog(id),
    close: () => engine.close(),
  };
}

/**
 * Told of what a run logged, in order; with the record as of those entries when the backend
 * has it (a followed run's), which the index takes before the news goes out.
 */
export type OnLogged = (
  run: string,
  entries: readonly LoggedObservation[],
  record?: RunHead,
) => void;

/** Where a run is: its record without its results and history. */
export type RunHead = Omit<RunRecord, "results" | "history">;
