// The progress comment: one per workflow file and conversation, written only by the
// action's own identity, holding the run's state (inline, or kept in the repository when
// too large for a comment: what is displayed is cut, never what is kept).
//
// Two jobs may hold the same run (a /cancel while another job drives it, a push that starts
// a new run while an approved one goes on): before each write the comment is read again,
// and when someone else wrote it since this job last did, this job has been superseded —
// it stops and writes nothing more.
import type { WorkflowGraph } from "../compiler/graph.ts";
import type { Comment, GitHub } from "./github.ts";
import { redact, redactValue, warning } from "./log.ts";
import { renderProgress } from "./progress.ts";
import {
  type ActionState,
  hasState,
  MAX_COMMENT,
  openState,
  packState,
  readMarker,
  type StateContext,
  StateError,
  stateMarker,
} from "./state.ts";

export interface ProgressTarget {
  gh: GitHub;
  issue: number;
  workflowFile: string;
  graph: WorkflowGraph;
  context: StateContext;
  /** The login the token writes as: only its comments are read. */
  identity: string;
  secret?: string;
  logsUrl?: string;
}

/** Another job wrote the progress comment since this one did. */
export class Superseded extends Error {}

/** Which workflow a progress comment is for (a workflow's runs never share a comment with another's). */
function workflowTag(file: string): string {
  return `<!-- aegis-workflow:${encodeURIComponent(file)} -->`;
}

/** The newest progress comment of this workflow on the conversation, if any. */
export async function findProgress(
  target: ProgressTarget,
  comments: Comment[],
): Promise<Comment | undefined> {
  const tag = workflowTag(target.workflowFile);
  return comments
    .filter(
      (c) => c.user?.login === target.identity && c.body?.includes(tag) && hasState(c.body ?? ""),
    )
    .at(-1);
}

/** The state a progress comment holds, checked (see state.ts); StateError when it cannot be trusted. */
export async function loadState(target: ProgressTarget, comment: Comment): Promise<ActionState> {
  const marker = readMarker(comment.body, target.secret);
  let data = marker.data;
  if (marker.blob) {
    data = await target.gh.readText(marker.blob);
    if (data === undefined)
      throw new StateError(`the run's state kept in the repository (blob ${marker.blob}) is gone`);
  }
  const state = openState(data!, marker, target.context, target.secret);
  if (state.workflow !== target.workflowFile)
    throw new StateError(
      `the comment holds a run of ${state.workflow}, not of ${target.workflowFile}`,
    );
  return state;
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n…` : text;
}

export class ProgressComment {
  private readonly target: ProgressTarget;
  comment: Comment | undefined;
  /** The comment's updated_at after this job's last write (or when it was read). */
  private written: string | undefined;
  /** The next write replaces whatever the comment holds (a new run supersedes the old). */
  private force: boolean;
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  failure: Error | undefined;
  private readonly stateOf: () => ActionState;
  private warned = false;

  constructor(
    target: ProgressTarget,
    comment: Comment | undefined,
    stateOf: () => ActionState,
    options: { force?: boolean } = {},
  ) {
    this.target = target;
    this.comment = comment;
    this.written = comment?.updated_at;
    this.force = options.force ?? false;
    this.stateOf = stateOf;
  }

  /** When the comment was last shown as it is now (GitHub's clock). */
  get shownAt(): string | undefined {
    return this.written;
  }

  private render(state: ActionState, compact: boolean): string {
    return redact(
      renderProgress(state, {
        graph: this.target.graph,
        ...(this.target.logsUrl && { logsUrl: this.target.logsUrl }),
        ...(compact && { compact }),
      }),
    );
  }

  /**
   * The comment's body. GitHub refuses comments over 65,536 characters: when the state
   * does not fit, it is kept in the repository (GitHub.keepText) and the comment names it,
   * with a shorter display.
   */
  async body(unsafe: ActionState): Promise<string> {
    const { context, secret, workflowFile } = this.target;
    const state = redactValue(unsafe);
    const data = packState(state);
    const tail = (marker: string) => `\n\n${workflowTag(workflowFile)}\n${marker}\n`;
    const inline = `${this.render(state, false)}${tail(stateMarker(data, context, secret))}`;
    if (inline.length <= MAX_COMMENT) return inline;
    const blob = await this.target.gh.keepText(`refs/aegis/${state.runId}/state`, data);
    const marker = tail(stateMarker(data, context, secret, blob));
    if (!this.warned) {
      this.warned = true;
      warning(
        `aegis: the run's state (${data.length} characters packed) does not fit in a comment (GitHub allows ${MAX_COMMENT}); it is kept in the repository as blob ${blob} (ref refs/aegis/${state.runId}/state), and the comment shows less`,
      );
    }
    return `${cut(this.render(state, true), MAX_COMMENT - marker.length - 10)}${marker}`;
  }

  /** Saves soon (coalesced: at most one save in flight and one queued). */
  schedule(): void {
    if (this.pending || this.failure) return;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      try {
        await this.save(this.stateOf());
      } catch (error) {
        this.failure = error as Error; // reported by flush
      }
    });
  }

  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure;
    await this.save(this.stateOf());
  }

  private async save(state: ActionState): Promise<void> {
    const { gh, issue } = this.target;
    const body = await this.body(state);
    if (this.comment && !this.force) {
      const now = await gh.comment(this.comment.id);
      if (now && now.updated_at !== this.written)
        throw new Superseded(
          `the progress comment was written by another job since this one last did (at ${now.updated_at}): that job holds the run now`,
        );
      if (!now) this.comment = undefined; // deleted: a new one is posted
    }
    this.force = false;
    const saved = this.comment
      ? await gh.updateComment(this.comment.id, body)
      : await gh.createComment(issue, body);
    this.comment = saved;
    this.written = saved.updated_at;
  }
}
