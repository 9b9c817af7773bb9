// The run's state between workflow runs, kept in the bot's own progress comment as a
// hidden marker: <!-- aegis-state:BASE64URL(GZIP(JSON)) --> — or, with a state secret,
// <!-- aegis-state:v1.BASE64URL(GZIP(JSON)).BASE64URL(HMAC-SHA256) -->.
//
// Only a comment written by the bot identity is read at all (see main.ts); the HMAC makes
// the state unforgeable also by people who can edit the bot's comments (maintainers).
import { createHmac, timingSafeEqual } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { GraphDocument } from "../compiler/graph.ts";
import type { RunMeta } from "../runtime/store/types.ts";
import type { RunEvent, RunRecord, StateResult } from "../runtime/types.ts";

/** What the action keeps of one run. The graph is not kept: it is recompiled and its hash compared. */
export interface ActionState {
  format: "aegis-action-state";
  version: 1;
  runId: string;
  /** The workflow file, relative to the repository. */
  workflow: string;
  graphHash: string;
  record: RunRecord;
  meta: RunMeta;
  journal: RunEvent[];
  /** The pull request or issue the run reports on. */
  issue?: number;
  /** The gate open now, and what was shown for approval. */
  gate?: { state: string; seq: number; headSha?: string; openedAt: string };
  /** The Actions run that last advanced the run (for the log link). */
  actionsRun?: string;
  /** A short line on what last happened (a refusal, a stale approval …). */
  note?: string;
  /** The run this one retries (a `/retry` of a failed or cancelled run). */
  retryOf?: string;
  /** Set when the state was compacted to fit in a comment (see compactState). */
  compacted?: true;
  /**
   * The newest comment id on the conversation when this state was saved. A command in a
   * comment up to it was written before this state was shown, so it does not act on it: a
   * re-delivered or re-run comment cannot answer a later gate.
   */
  lastComment?: number;
}

/** GitHub's longest issue comment body, in characters. */
export const MAX_COMMENT = 65_536;

/** A state result without what the run does not read again (its stdout and stderr). */
function slimResult(result: StateResult): StateResult {
  const { stdout: _stdout, stderr: _stderr, ...rest } = result;
  return rest;
}

/**
 * The state made small enough for a comment, still enough to continue the run: the
 * record keeps every state's result and output (later states read them), less their
 * stdout and stderr; the journal keeps every event (so its length is the record's seq),
 * but a completed state's event keeps only the result's status and counts — its output is
 * in the record.
 */
export function compactState(state: ActionState): ActionState {
  const results: Record<string, StateResult> = {};
  for (const [name, result] of Object.entries(state.record.results))
    results[name] = slimResult(result);
  const journal = state.journal.map((event): RunEvent => {
    if (event.type !== "state-completed") return event;
    const r = event.result;
    return {
      ...event,
      result: {
        status: r.status,
        attempts: r.attempts,
        duration: r.duration,
        agentCalls: r.agentCalls,
        ...(r.exit_code !== undefined && { exit_code: r.exit_code }),
        ...(r.error && { error: r.error }),
      },
    };
  });
  return { ...state, record: { ...state.record, results }, journal, compacted: true };
}

export type { GraphDocument };

const MARKER = /<!-- aegis-state:([A-Za-z0-9_.-]+) -->/;

export class StateError extends Error {}

function mac(secret: string, data: string): string {
  return createHmac("sha256", secret).update(`aegis-state.v1.${data}`).digest("base64url");
}

/** The marker of a state; `redact` edits its JSON text first (to cut secrets out of it). */
export function encodeState(
  state: ActionState,
  secret?: string,
  redact: (json: string) => string = (json) => json,
): string {
  const json = redact(JSON.stringify(state));
  const data = gzipSync(Buffer.from(json), { level: 9 }).toString("base64url");
  const payload = secret ? `v1.${data}.${mac(secret, data)}` : data;
  return `<!-- aegis-state:${payload} -->`;
}

/** Whether a comment body carries a state marker. */
export function hasState(body: string): boolean {
  return MARKER.test(body);
}

/** The state of a comment body; throws StateError when it is missing, unsigned, forged or damaged. */
export function decodeState(body: string, secret?: string): ActionState {
  const match = MARKER.exec(body);
  if (!match) throw new StateError("the comment holds no aegis state");
  const payload = match[1]!;
  let data = payload;
  if (secret) {
    const parts = payload.split(".");
    if (parts.length !== 3 || parts[0] !== "v1")
      throw new StateError("the aegis state is not signed (a state secret is configured)");
    data = parts[1]!;
    const expected = Buffer.from(mac(secret, data));
    const given = Buffer.from(parts[2]!);
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new StateError("the aegis state's signature does not match: it was changed");
  } else if (payload.includes(".")) {
    throw new StateError("the aegis state is signed, but no state secret is configured");
  }
  let value: unknown;
  try {
    value = JSON.parse(gunzipSync(Buffer.from(data, "base64url")).toString("utf8"));
  } catch {
    throw new StateError("the aegis state cannot be read");
  }
  const state = value as ActionState;
  if (
    state?.format !== "aegis-action-state" ||
    state.version !== 1 ||
    typeof state.runId !== "string" ||
    !state.record ||
    !Array.isArray(state.journal)
  )
    throw new StateError("the aegis state has an unknown format");
  return state;
}
