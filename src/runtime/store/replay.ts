// The shapes of a run's journal and record, and their summaries. Rebuilding a record from
// its journal is in rebuild.ts: it needs the runtime's core (and Handlebars), which a
// command that only reads a run (`aegis status`, `list`, `logs`) never loads.
import type { RunEvent, RunRecord } from "../types.ts";
import type { RunMeta, RunSummary } from "./types.ts";

const eventTypes = new Set([
  "started",
  "state-completed",
  "human-answered",
  "timer-fired",
  "cancelled",
  "session",
]);

/** The shape check of a journal line. */
export function isRunEvent(value: unknown): value is RunEvent {
  if (!value || typeof value !== "object" || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  if (typeof e.type !== "string" || !eventTypes.has(e.type) || typeof e.at !== "string")
    return false;
  if (e.type === "state-completed")
    return typeof e.state === "string" && !!e.result && typeof e.result === "object";
  if (e.type === "human-answered" || e.type === "timer-fired") return typeof e.state === "string";
  if (e.type === "session")
    return (
      typeof e.session === "string" &&
      typeof e.agent === "string" &&
      (e.call === "started" || e.call === "identified" || e.call === "ended")
    );
  return true;
}

export function isRunRecord(value: unknown, id: string): value is RunRecord {
  if (!value || typeof value !== "object") return false;
  const r = value as Partial<RunRecord>;
  return (
    r.format === "aegis-run" &&
    r.id === id &&
    typeof r.seq === "number" &&
    typeof r.status === "string" &&
    !!r.results &&
    Array.isArray(r.history)
  );
}

export function summarize(record: RunRecord, meta: RunMeta): RunSummary {
  return {
    id: record.id,
    workflow: record.workflow,
    status: record.status,
    ...(record.current !== undefined && { current: record.current }),
    ...(record.waiting && { waiting: record.waiting }),
    ...(record.error && { error: record.error }),
    ...(meta.parent && { parent: meta.parent }),
    startedAt: record.startedAt,
    updatedAt: record.updatedAt,
    seq: record.seq,
  };
}

export function metaOf(record: RunRecord, extra: Partial<RunMeta> = {}): RunMeta {
  return {
    ...extra,
    id: record.id,
    workflow: record.workflow,
    graphHash: record.graphHash,
    inputs: record.inputs,
    ...(record.intent !== undefined && { intent: record.intent }),
    startedAt: record.startedAt,
  };
}
