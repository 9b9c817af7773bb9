// The run's state between workflow runs, kept in the bot's own progress comment as a
// hidden marker: <!-- aegis-state:BASE64URL(GZIP(JSON)) --> — or, with a state secret,
// <!-- aegis-state:v2.BASE64URL(GZIP(JSON)).BASE64URL(HMAC-SHA256) -->. A state too large
// for a comment is kept in the repository (a git blob, see GitHub.keepText) and the marker
// names it: <!-- aegis-state:git-BLOBSHA --> / <!-- aegis-state:v2.git-BLOBSHA.HMAC -->.
//
// Only a comment written by the action's own identity is read at all (see main.ts); the
// HMAC makes the state unforgeable also by people who can edit the bot's comments
// (maintainers), and binds it to its repository and conversation: a signed state copied
// into another pull request's comment is refused.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { GraphDocument } from "../compiler/graph.ts";
import type { RunMeta } from "../runtime/store/types.ts";
import type { RunEvent, RunRecord, StateResult } from "../runtime/types.ts";

/**
 * node:zlib, loaded when a state is first encoded or read (a progress comment), not at the
 * action's start: a run with no conversation never needs it (~7 ms of Node's own modules).
 */
const zlib = () => process.getBuiltinModule("node:zlib");

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
  /** The repository (owner/name) the run belongs to. */
  repository?: string;
  /** The pull request or issue the run reports on. */
  issue?: number;
  /** The gate open now, and what was shown for approval. */
  gate?: {
    state: string;
    seq: number;
    headSha?: string;
    openedAt: string;
    /**
     * When the gate was shown: the progress comment's updated_at (GitHub's clock) after
     * the save that showed it. A command written before it answers nothing.
     */
    shownAt?: string;
  };
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

/** Where a state belongs: it is refused anywhere else. */
export interface StateContext {
  repository: string;
  issue?: number;
}

function mac(secret: string, context: StateContext, data: string): string {
  return createHmac("sha256", secret)
    .update(`aegis-state.v2.${context.repository}#${context.issue ?? ""}.${data}`)
    .digest("base64url");
}

/** The compressed text of a state; `redact` edits its JSON first (to cut secrets out of it). */
export function packState(state: ActionState, redact: (json: string) => string = (j) => j): string {
  return zlib()
    .gzipSync(Buffer.from(redact(JSON.stringify(state))), { level: 9 })
    .toString("base64url");
}

/** The marker of a packed state, kept inline or (blob) in the repository. */
export function stateMarker(
  data: string,
  context: StateContext,
  secret?: string,
  blob?: string,
): string {
  const body = blob ? `git-${blob}` : data;
  const payload = secret ? `v2.${body}.${mac(secret, context, data)}` : body;
  return `<!-- aegis-state:${payload} -->`;
}

/** The marker of a state kept inline. */
export function encodeState(
  state: ActionState,
  secret?: string,
  redact: (json: string) => string = (json) => json,
  context: StateContext = {
    repository: state.repository ?? "",
    ...(state.issue !== undefined && { issue: state.issue }),
  },
): string {
  return stateMarker(packState(state, redact), context, secret);
}

/** Whether a comment body carries a state marker. */
export function hasState(body: string): boolean {
  return MARKER.test(body);
}

/** What a marker holds: the packed state, or the blob that holds it; and its signature. */
export interface Marker {
  data?: string;
  blob?: string;
  signature?: string;
}

export function readMarker(body: string, secret?: string): Marker {
  const match = MARKER.exec(body);
  if (!match) throw new StateError("the comment holds no aegis state");
  const payload = match[1]!;
  let body_ = payload;
  let signature: string | undefined;
  if (secret) {
    const parts = payload.split(".");
    if (parts[0] === "v1")
      throw new StateError("the aegis state was saved by an older version of the action");
    if (parts.length !== 3 || parts[0] !== "v2")
      throw new StateError("the aegis state is not signed (a state secret is configured)");
    body_ = parts[1]!;
    signature = parts[2]!;
  } else if (payload.includes(".")) {
    throw new StateError("the aegis state is signed, but no state secret is configured");
  }
  const blob = /^git-([0-9a-f]{40}|[0-9a-f]{64})$/.exec(body_)?.[1];
  if (body_.startsWith("git-") && !blob) throw new StateError("the aegis state cannot be read");
  return blob
    ? { blob, ...(signature && { signature }) }
    : { data: body_, ...(signature && { signature }) };
}

/**
 * The state a marker's packed text holds, checked: its signature (with a secret), its
 * format, and that it belongs to `context` (repository and conversation) — a state copied
 * from elsewhere is refused, signed or not.
 */
export function openState(
  data: string,
  marker: Marker,
  context: StateContext,
  secret?: string,
): ActionState {
  if (secret) {
    const expected = Buffer.from(mac(secret, context, data));
    const given = Buffer.from(marker.signature ?? "");
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      throw new StateError(
        "the aegis state's signature does not match: it was changed, or copied from another repository or conversation",
      );
  }
  let value: unknown;
  try {
    value = JSON.parse(zlib().gunzipSync(Buffer.from(data, "base64url")).toString("utf8"));
  } catch {
    throw new StateError("the aegis state cannot be read");
  }
  const state = value as ActionState;
  if (
    state?.format !== "aegis-action-state" ||
    state.version !== 1 ||
    typeof state.runId !== "string" ||
    !state.record ||
    state.record.id !== state.runId ||
    !Array.isArray(state.journal)
  )
    throw new StateError("the aegis state has an unknown format");
  if ((state.repository ?? "") !== context.repository || state.issue !== context.issue)
    throw new StateError(
      `the aegis state belongs to ${state.repository ?? "another repository"}#${state.issue ?? "?"}, not ${context.repository}#${context.issue ?? "?"}: it was copied`,
    );
  return state;
}

/**
 * The state of a comment body kept inline; throws StateError when it is missing, unsigned,
 * forged, damaged or from elsewhere. Without a context, the state's own is taken (tests).
 */
export function decodeState(body: string, secret?: string, context?: StateContext): ActionState {
  const marker = readMarker(body, secret);
  if (!marker.data) throw new StateError("the aegis state is kept in the repository");
  if (context) return openState(marker.data, marker, context, secret);
  let own: ActionState;
  try {
    own = JSON.parse(zlib().gunzipSync(Buffer.from(marker.data, "base64url")).toString("utf8"));
  } catch {
    throw new StateError("the aegis state cannot be read");
  }
  return openState(
    marker.data,
    marker,
    { repository: own?.repository ?? "", ...(own?.issue !== undefined && { issue: own.issue }) },
    secret,
  );
}
