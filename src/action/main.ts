// The GitHub Action: compile the workflow (findings become annotations), start runs on
// the usual triggers, stop at human gates with the run saved in one progress comment, and
// continue them from `/approve`, `/reject`, `/cancel`, `/retry` and `/status` comments.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import * as core from "@actions/core";
import { type CompileResult, compileFile } from "../compiler/compile.ts";
import { formatGithub } from "../compiler/report/github.ts";
import { createEngine, type Engine, type RunHandle } from "../runtime/engine.ts";
import type { RunObservation, RunRecord } from "../runtime/types.ts";
import { isBot, type Policy, parseApprovers, type Role, refusal, roles } from "./authorize.ts";
import { type Command, parseCommands } from "./commands.ts";
import { type Comment, GitHub } from "./github.ts";
import { renderProgress } from "./progress.ts";
import { Redactor } from "./redact.ts";
import {
  type ActionState,
  compactState,
  decodeState,
  encodeState,
  hasState,
  MAX_COMMENT,
  StateError,
} from "./state.ts";
import { SnapshotStore } from "./store.ts";

/** The secrets this run knows, cut from everything the action writes. */
const redactor = new Redactor();

const since = () => `${Math.round(performance.now())}ms since process start`;

interface Payload {
  action?: string;
  pull_request?: {
    number: number;
    head: { sha: string; repo?: { full_name?: string } | null };
    user: { login: string };
  };
  repository?: { full_name?: string };
  issue?: { number: number; user: { login: string }; pull_request?: unknown };
  comment?: { id: number; body: string; user: { login: string; type?: string } };
  [key: string]: unknown;
}

interface Env {
  gh: GitHub;
  compiled: CompileResult;
  workflowFile: string;
  payload: Payload;
  eventName: string;
  issue?: number;
  policy: Policy;
  secret?: string;
  agents?: Record<string, unknown>;
  logsUrl?: string;
  identity: string;
  /** The newest comment id seen on the conversation (see ActionState.lastComment). */
  lastComment?: number;
}

function readPayload(): Payload {
  const path = process.env.GITHUB_EVENT_PATH;
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Payload;
  } catch {
    return {};
  }
}

function boolInput(name: string): boolean {
  return /^(true|yes|1|on)$/i.test(core.getInput(name).trim());
}

function setOutputs(record: RunRecord | undefined, status: string) {
  core.setOutput("status", status);
  if (record) {
    core.setOutput("run-id", record.id);
    if (record.output !== undefined)
      core.setOutput(
        "output",
        redactor.text(
          typeof record.output === "string" ? record.output : JSON.stringify(record.output),
        ),
      );
  }
}

/** The fork a `pull_request` event comes from, if it does. */
function forkOf(payload: Payload, eventName: string): string | undefined {
  if (eventName !== "pull_request") return undefined;
  const head = payload.pull_request?.head.repo?.full_name;
  const base = payload.repository?.full_name;
  return head && base && head !== base ? head : undefined;
}

/** Notes the newest comment id seen (commands up to it cannot act on what is saved next). */
function saw(env: Env, ...ids: number[]): void {
  for (const id of ids)
    if (env.lastComment === undefined || id > env.lastComment) env.lastComment = id;
}

/** Cuts the known secrets from a text the action is about to write. */
export function redact(text: string): string {
  return redactor.text(text);
}

export async function run(): Promise<void> {
  core.info(`aegis: action started (${since()})`);
  const token = core.getInput("github-token") || process.env.GITHUB_TOKEN || "";
  redactor.add(token);
  const secret = core.getInput("state-secret") || undefined;
  redactor.add(secret);
  // Agents and commands inherit the environment: the action's own credentials leave it.
  delete process.env["INPUT_GITHUB-TOKEN"];
  delete process.env["INPUT_STATE-SECRET"];
  const workflowFile = core.getInput("workflow", { required: true });

  // Compile: every finding is an annotation on its file and line.
  const compiled = compileFile(workflowFile);
  const annotations = formatGithub(compiled.diagnostics);
  if (annotations) process.stdout.write(`${annotations}\n`);
  if (!compiled.ok) {
    setOutputs(undefined, "invalid");
    core.setFailed(`${workflowFile} has errors: the workflow does not run`);
    return;
  }
  if (boolInput("check-only")) {
    core.info(`${workflowFile}: compiled, ${compiled.diagnostics.length} finding(s)`);
    setOutputs(undefined, "checked");
    return;
  }
  for (const name of compiled.graph.getAttribute("secrets") ?? []) redactor.add(process.env[name]);

  const minRole = (core.getInput("min-role") || "write").trim() as Role;
  if (!roles.includes(minRole)) throw new Error(`min-role must be one of ${roles.join(", ")}`);
  const payload = readPayload();
  const eventName = process.env.GITHUB_EVENT_NAME ?? "";
  const fork = forkOf(payload, eventName);
  if (fork) {
    // GitHub gives a fork's pull_request workflow a read-only token and no secrets: no
    // progress comment could be kept, no agent key is there. Nothing runs.
    core.notice(
      `aegis: pull request #${payload.pull_request?.number} comes from the fork ${fork}; GitHub runs its pull_request workflows with a read-only token and without secrets, so the run is not started. A maintainer can start it with workflow_dispatch, or from a pull_request_target workflow (see SECURITY.md).`,
    );
    setOutputs(undefined, "ignored");
    return;
  }
  const [owner = "", repo = ""] = (process.env.GITHUB_REPOSITORY ?? "/").split("/");
  const gh = new GitHub(token, owner, repo);
  gh.isPull = payload.pull_request !== undefined || payload.issue?.pull_request !== undefined;
  const issue = payload.pull_request?.number ?? payload.issue?.number;
  const author = payload.pull_request?.user?.login ?? payload.issue?.user?.login;

  let agents: Record<string, unknown> | undefined;
  const agentsFile = core.getInput("agents");
  if (agentsFile) {
    const file = JSON.parse(readFileSync(agentsFile, "utf8")) as {
      agents?: Record<string, unknown>;
      workdir?: string;
    };
    agents = file.agents ?? {};
    if (file.workdir) process.chdir(resolve(dirname(agentsFile), file.workdir));
  }

  const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
  const env: Env = {
    gh,
    compiled,
    workflowFile,
    payload,
    eventName,
    ...(issue !== undefined && { issue }),
    policy: {
      minRole,
      approvers: parseApprovers(core.getInput("approvers")),
      allowAuthor: boolInput("allow-author"),
      ...(author && { author }),
    },
    ...(secret && { secret }),
    ...(agents && { agents }),
    ...(process.env.GITHUB_RUN_ID && {
      logsUrl: `${server}/${owner}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID}`,
    }),
    identity: "github-actions[bot]",
  };

  if (eventName === "issue_comment") return onComment(env);
  return startRun(env);
}

// ---------------------------------------------------------------- the progress comment

/** The bot's progress comment on the issue, if any: only the bot identity's comments are trusted. */
async function findProgress(env: Env): Promise<Comment | undefined> {
  if (env.issue === undefined) return undefined;
  const viewer = await env.gh.viewer();
  if (viewer) env.identity = viewer;
  const comments = await env.gh.comments(env.issue);
  saw(env, ...comments.map((c) => c.id));
  const own = comments.filter((c) => c.user?.login === env.identity && hasState(c.body ?? ""));
  return own.at(-1);
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n…` : text;
}

/** The progress comment cannot hold the run's state. */
class CommentTooLong extends Error {}

class Progress {
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private failure: Error | undefined;
  private warned = false;
  private readonly env: Env;
  private comment: Comment | undefined;
  private readonly stateOf: () => ActionState;
  constructor(env: Env, comment: Comment | undefined, stateOf: () => ActionState) {
    this.env = env;
    this.comment = comment;
    this.stateOf = stateOf;
  }

  /**
   * The comment's body. GitHub refuses comments over 65,536 characters: when the full
   * state would make it longer, the state is compacted (see compactState) and the visible
   * part shortened; when even that is too long, CommentTooLong (nothing is posted).
   */
  body(state: ActionState): string {
    const render = (s: ActionState, compact: boolean) =>
      `${redactor.text(
        renderProgress(s, {
          graph: this.env.compiled.graph,
          ...(this.env.logsUrl && { logsUrl: this.env.logsUrl }),
          ...(compact && { compact }),
        }),
      )}\n\n${encodeState(s, this.env.secret, (json) => redactor.text(json))}\n`;
    const full = render(state, false);
    if (full.length <= MAX_COMMENT) return full;
    const compacted = render(compactState(state), true);
    if (compacted.length <= MAX_COMMENT) {
      if (this.warned) return compacted;
      this.warned = true;
      core.warning(
        `aegis: the progress comment would be ${full.length} characters (GitHub allows ${MAX_COMMENT}); the saved state was compacted to ${compacted.length}`,
      );
      return compacted;
    }
    throw new CommentTooLong(
      `the run's state is too large for the progress comment: ${compacted.length} characters even compacted (GitHub allows ${MAX_COMMENT}); the run's outputs must be smaller for it to be kept between workflow runs`,
    );
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
    if (this.env.issue === undefined) return;
    let body: string;
    try {
      body = this.body(state);
    } catch (error) {
      // A comment posted earlier in this run must not go on showing (and holding) an
      // older state: it says what happened, with no state (so no command acts on it).
      if (error instanceof CommentTooLong && this.comment) {
        const text = renderProgress(
          { ...state, note: `${error.message}. The run cannot be continued from here.` },
          {
            graph: this.env.compiled.graph,
            compact: true,
            ...(this.env.logsUrl && { logsUrl: this.env.logsUrl }),
          },
        );
        await this.env.gh.updateComment(
          this.comment.id,
          cut(redactor.text(text), MAX_COMMENT - 100),
        );
      }
      throw error;
    }
    if (this.comment) await this.env.gh.updateComment(this.comment.id, body);
    else {
      this.comment = await this.env.gh.createComment(this.env.issue, body);
      saw(this.env, this.comment.id);
    }
  }
}

// ---------------------------------------------------------------- driving a run

function inputsFor(env: Env): Record<string, unknown> {
  const text = core.getInput("inputs") || "{}";
  let inputs: unknown;
  try {
    inputs = JSON.parse(text);
  } catch (error) {
    throw new Error(`the inputs are not JSON: ${(error as Error).message}`);
  }
  if (!inputs || typeof inputs !== "object" || Array.isArray(inputs))
    throw new Error("the inputs must be a JSON object");
  const schema = env.compiled.graph.getAttribute("inputSchema") as
    | { properties?: Record<string, { type?: string }> }
    | undefined;
  const values: Record<string, unknown> = {};
  // workflow_dispatch: the dispatch form's inputs that the workflow declares, typed as it
  // declares them (the form gives strings); the `inputs` JSON wins over them.
  const dispatched = env.eventName === "workflow_dispatch" ? env.payload.inputs : undefined;
  if (dispatched && typeof dispatched === "object") {
    for (const [name, value] of Object.entries(dispatched as Record<string, unknown>)) {
      const type = schema?.properties?.[name]?.type;
      if (!type) continue;
      values[name] = typeof value === "string" ? typed(value, type) : value;
    }
  }
  // Spread, not assigned: a "__proto__" key stays a key, it does not become the prototype.
  const merged: Record<string, unknown> = { ...values, ...(inputs as Record<string, unknown>) };
  // The runtime's `github.event` is empty: a workflow that declares `input github?: object`
  // receives the event here, read as {{input.github.event.pull_request.title}}.
  if (
    schema?.properties &&
    Object.hasOwn(schema.properties, "github") &&
    !Object.hasOwn(merged, "github")
  ) {
    merged.github = {
      event_name: env.eventName,
      event: env.payload,
      repository: process.env.GITHUB_REPOSITORY,
      sha: process.env.GITHUB_SHA,
      ref: process.env.GITHUB_REF,
      actor: process.env.GITHUB_ACTOR,
    };
  }
  return merged;
}

/** A dispatch form's string as the declared type (left a string when it does not parse). */
function typed(value: string, type: string): unknown {
  if (type === "number" || type === "integer") {
    const n = Number(value);
    return value.trim() !== "" && Number.isFinite(n) ? n : value;
  }
  if (type === "boolean") return value === "true" ? true : value === "false" ? false : value;
  if (type === "object" || type === "array") {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

async function drive(
  env: Env,
  store: SnapshotStore,
  open: () => Promise<RunHandle>,
  base: Omit<ActionState, "record" | "meta" | "journal" | "runId" | "graphHash">,
  comment: Comment | undefined,
): Promise<void> {
  let runId = "";
  let headSha: string | undefined;
  const stateOf = (): ActionState => {
    const snap = store.snapshot(runId);
    const r = snap.record;
    const state: ActionState = {
      ...base,
      format: "aegis-action-state",
      version: 1,
      runId,
      workflow: env.workflowFile,
      graphHash: r.graphHash,
      ...snap,
      ...(process.env.GITHUB_RUN_ID && { actionsRun: process.env.GITHUB_RUN_ID }),
      ...(env.lastComment !== undefined && { lastComment: env.lastComment }),
    };
    if (r.status === "waiting" && r.waiting) {
      const same = base.gate && base.gate.state === r.waiting.state && base.gate.seq === r.seq;
      state.gate = same
        ? base.gate!
        : {
            state: r.waiting.state,
            seq: r.seq,
            ...(headSha && { headSha }),
            openedAt: r.waiting.since,
          };
    } else delete state.gate;
    return state;
  };
  const progress = new Progress(env, comment, stateOf);
  let first = true;
  const observe = (o: RunObservation) => {
    if (o.type === "state-entered" && first) {
      first = false;
      core.info(`aegis: first state ${o.state} running (${since()})`);
    }
    if (
      o.type === "state-entered" ||
      o.type === "state-completed" ||
      o.type === "waiting-for-human"
    )
      core.info(`aegis: ${o.type} ${o.state}`);
    if (runId && (o.type === "state-entered" || o.type === "run-finished")) progress.schedule();
  };
  const handle = await open();
  runId = handle.id;
  const events = (async () => {
    for await (const o of handle.events) observe(o);
  })();
  const record = await handle.result();
  await events;
  if (record.status === "waiting" && env.issue !== undefined && env.payload.issue?.pull_request)
    headSha = (await env.gh.pull(env.issue)).headSha;
  else if (record.status === "waiting") headSha = env.payload.pull_request?.head.sha;
  let saveError: Error | undefined;
  try {
    await progress.flush();
  } catch (error) {
    if (!(error instanceof CommentTooLong)) throw error;
    saveError = error;
  }
  const state = stateOf();
  await core.summary
    .addRaw(
      redactor.text(
        renderProgress(state, {
          graph: env.compiled.graph,
          ...(env.logsUrl && { logsUrl: env.logsUrl }),
        }),
      ),
    )
    .write();
  setOutputs(record, record.status);
  core.info(`aegis: run ${record.id} ${record.status} (${since()})`);
  if (saveError) core.setFailed(`run ${record.id} ${record.status}, but ${saveError.message}`);
  else if (record.status === "failed" || record.status === "cancelled")
    core.setFailed(
      redactor.text(
        `run ${record.id} ${record.status}${record.error ? `: ${record.error.message}` : ""}`,
      ),
    );
}

function newEngine(env: Env, store: SnapshotStore): Engine {
  return createEngine({
    store,
    ...(env.agents && { agents: env.agents as Record<string, Record<string, unknown>> }),
  });
}

function runIdFor(env: Env): string {
  const name = env.compiled.graph.getAttribute("name").replace(/[^A-Za-z0-9_-]+/g, "-");
  const id = process.env.GITHUB_RUN_ID ?? String(Date.now());
  const attempt = process.env.GITHUB_RUN_ATTEMPT ?? "1";
  return `${name}-${id}-${attempt}`;
}

async function startRun(
  env: Env,
  inputs?: Record<string, unknown>,
  comment?: Comment,
  retryOf?: string,
): Promise<void> {
  const store = new SnapshotStore();
  const engine = newEngine(env, store);
  const existing = comment ?? (await findProgress(env));
  const values = inputs ?? inputsFor(env);
  await drive(
    env,
    store,
    () => engine.start(env.compiled, values, { id: runIdFor(env) }),
    {
      format: "aegis-action-state",
      version: 1,
      workflow: env.workflowFile,
      ...(env.issue !== undefined && { issue: env.issue }),
      ...(retryOf && { retryOf, note: `a retry of run \`${retryOf}\`` }),
    },
    existing,
  );
}

// ---------------------------------------------------------------- answering a gate

async function reply(env: Env, text: string): Promise<void> {
  if (env.issue === undefined) return;
  const login = env.payload.comment?.user.login;
  const posted = await env.gh.createComment(
    env.issue,
    redactor.text(`${login ? `@${login} ` : ""}${text}`),
  );
  saw(env, posted.id);
}

async function refuse(env: Env, text: string): Promise<void> {
  core.warning(`aegis: refused: ${text}`);
  await reply(env, `refused: ${text}`);
  core.setOutput("status", "refused");
}

async function onComment(env: Env): Promise<void> {
  const { payload } = env;
  const comment = payload.comment;
  if (!comment || payload.action === "deleted") {
    core.info("aegis: a deleted comment: nothing to do");
    core.setOutput("status", "ignored");
    return;
  }
  const commands = parseCommands(comment.body ?? "");
  const command: Command | undefined = commands[0];
  if (!command) {
    core.info("aegis: no command in the comment");
    core.setOutput("status", "ignored");
    return;
  }
  core.info(`aegis: /${command.name} from @${comment.user.login}`);
  saw(env, comment.id);
  const found = await findProgress(env);
  if (comment.user.login === env.identity) {
    core.setOutput("status", "ignored");
    return; // never answer ourselves
  }
  if (payload.action === "edited")
    return refuse(env, "commands in edited comments are not accepted: post a new comment");
  if (isBot(comment.user))
    return refuse(env, `@${comment.user.login} is a bot or an App; only people may answer`);
  if (!found) return refuse(env, "there is no aegis run on this conversation");
  let state: ActionState;
  try {
    state = decodeState(found.body, env.secret);
  } catch (error) {
    if (error instanceof StateError) {
      await refuse(env, `the run's saved state cannot be trusted: ${error.message}`);
      core.setFailed(error.message);
      return;
    }
    throw error;
  }
  if (state.graphHash !== env.compiled.document.hash)
    return refuse(
      env,
      `${env.workflowFile} has changed since run \`${state.runId}\` started (graph ${state.graphHash.slice(0, 12)} → ${env.compiled.document.hash.slice(0, 12)}); it cannot be continued`,
    );
  const r = state.record;
  if (command.name === "status") {
    await reply(
      env,
      `run \`${r.id}\` is ${r.status}${r.current ? ` at \`${r.current}\`` : ""} (${r.transitions} transitions).`,
    );
    setOutputs(r, r.status);
    return;
  }
  // A comment written before the saved state was (a re-delivery, a re-run job) does not act on it.
  if (state.lastComment !== undefined && comment.id <= state.lastComment)
    return refuse(
      env,
      `this comment was written before run \`${r.id}\` reached where it is now (comment ${comment.id}; the run's state was saved after comment ${state.lastComment}); a command acts once, on what was shown when it was written: post a new comment`,
    );
  const why = await refusal(env.gh, comment.user, env.policy);
  if (why) return refuse(env, why);

  const store = new SnapshotStore();
  store.restore(state, env.compiled.document);
  const engine = newEngine(env, store);
  const isPull = env.issue !== undefined && payload.issue?.pull_request !== undefined;

  if (command.name === "approve" || command.name === "reject") {
    if (r.status !== "waiting" || !r.waiting)
      return refuse(env, `run \`${r.id}\` is not waiting for an answer: it is ${r.status}`);
    let head = state.gate?.headSha;
    if (isPull && command.name === "approve") {
      const now = (await env.gh.pull(env.issue!)).headSha;
      if (state.gate?.headSha && now !== state.gate.headSha) {
        // Bound to what was shown: show the gate again, for the new head.
        const note = `the pull request's head moved from \`${state.gate.headSha.slice(0, 7)}\` to \`${now.slice(0, 7)}\` after the gate opened; review the new head and answer again`;
        const again: ActionState = {
          ...state,
          gate: { ...state.gate, headSha: now },
          note,
          ...(env.lastComment !== undefined && { lastComment: env.lastComment }),
        };
        const progress = new Progress(env, found, () => again);
        await progress.flush();
        return refuse(env, `${note}.`);
      }
      head = now;
    }
    const ref = `refs/aegis/${r.id}/${r.seq}`;
    if (!(await env.gh.claim(ref, head ?? process.env.GITHUB_SHA ?? "")))
      return refuse(env, `this gate was already handled (by another answer); nothing changes`);
    await env.gh.react(comment.id, "+1");
    const answer = {
      approve: command.name === "approve",
      approver: comment.user.login,
      ...(command.name === "reject" && {
        feedback: command.args || "rejected",
        response: command.args || "rejected",
      }),
      state: r.waiting.state,
    };
    const { gate: _gate, note: _note, ...base } = state;
    return drive(env, store, () => engine.signal(r.id, answer), base, found);
  }

  if (command.name === "cancel") {
    if (r.status !== "waiting" && r.status !== "running")
      return refuse(env, `run \`${r.id}\` has ${r.status}; there is nothing to cancel`);
    if (
      !(await env.gh.claim(
        `refs/aegis/${r.id}/${r.seq}`,
        state.gate?.headSha ?? process.env.GITHUB_SHA ?? "",
      ))
    )
      return refuse(env, "this run was already handled (by another answer); nothing changes");
    await engine.cancel(r.id, `cancelled by @${comment.user.login}`);
    const { gate: _gate, note: _note, ...base } = state;
    const after: ActionState = {
      ...base,
      ...store.snapshot(r.id),
      ...(process.env.GITHUB_RUN_ID && { actionsRun: process.env.GITHUB_RUN_ID }),
      ...(env.lastComment !== undefined && { lastComment: env.lastComment }),
    };
    try {
      await new Progress(env, found, () => after).flush();
    } catch (error) {
      if (!(error instanceof CommentTooLong)) throw error;
      core.setFailed(`run ${r.id} cancelled, but ${error.message}`);
    }
    await core.summary
      .addRaw(
        redactor.text(
          renderProgress(after, {
            graph: env.compiled.graph,
            ...(env.logsUrl && { logsUrl: env.logsUrl }),
          }),
        ),
      )
      .write();
    await env.gh.react(comment.id, "+1");
    setOutputs(after.record, after.record.status);
    return;
  }

  // retry: a run that failed or was cancelled starts again — a new run (a new id), from the
  // start state, with the same inputs (the event it was started for included). The engine
  // does not rewind a finished run: the failed run's record and journal stay what happened,
  // and the progress comment now shows (and keeps the state of) the new run.
  if (r.status !== "failed" && r.status !== "cancelled")
    return refuse(
      env,
      `run \`${r.id}\` is ${r.status}; only a failed or cancelled run can be retried`,
    );
  if (!(await env.gh.claim(`refs/aegis/${r.id}/${r.seq}`, process.env.GITHUB_SHA ?? "")))
    return refuse(env, "this run was already retried; nothing changes");
  await env.gh.react(comment.id, "+1");
  return startRun(env, r.inputs, found, r.id);
}
