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
import { type ActionState, decodeState, encodeState, hasState, StateError } from "./state.ts";
import { SnapshotStore } from "./store.ts";

const since = () => `${Math.round(performance.now())}ms since process start`;

interface Payload {
  action?: string;
  pull_request?: { number: number; head: { sha: string }; user: { login: string } };
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
        typeof record.output === "string" ? record.output : JSON.stringify(record.output),
      );
  }
}

export async function run(): Promise<void> {
  core.info(`aegis: action started (${since()})`);
  const token = core.getInput("github-token") || process.env.GITHUB_TOKEN || "";
  if (token) core.setSecret(token);
  const secret = core.getInput("state-secret") || undefined;
  if (secret) core.setSecret(secret);
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
  for (const name of compiled.graph.getAttribute("secrets") ?? []) {
    const value = process.env[name];
    if (value) core.setSecret(value);
  }

  const minRole = (core.getInput("min-role") || "write").trim() as Role;
  if (!roles.includes(minRole)) throw new Error(`min-role must be one of ${roles.join(", ")}`);
  const payload = readPayload();
  const eventName = process.env.GITHUB_EVENT_NAME ?? "";
  const [owner = "", repo = ""] = (process.env.GITHUB_REPOSITORY ?? "/").split("/");
  const gh = new GitHub(token, owner, repo);
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
  const own = comments.filter((c) => c.user?.login === env.identity && hasState(c.body ?? ""));
  return own.at(-1);
}

class Progress {
  private chain: Promise<void> = Promise.resolve();
  private pending = false;
  private readonly env: Env;
  private comment: Comment | undefined;
  private readonly stateOf: () => ActionState;
  constructor(env: Env, comment: Comment | undefined, stateOf: () => ActionState) {
    this.env = env;
    this.comment = comment;
    this.stateOf = stateOf;
  }

  body(state: ActionState): string {
    return `${renderProgress(state, {
      graph: this.env.compiled.graph,
      ...(this.env.logsUrl && { logsUrl: this.env.logsUrl }),
    })}\n\n${encodeState(state, this.env.secret)}\n`;
  }

  /** Saves soon (coalesced: at most one save in flight and one queued). */
  schedule(): void {
    if (this.pending) return;
    this.pending = true;
    this.chain = this.chain.then(async () => {
      this.pending = false;
      await this.save(this.stateOf());
    });
  }

  async flush(): Promise<void> {
    await this.chain;
    await this.save(this.stateOf());
  }

  private async save(state: ActionState): Promise<void> {
    if (this.env.issue === undefined) return;
    const body = this.body(state);
    if (this.comment) await this.env.gh.updateComment(this.comment.id, body);
    else this.comment = await this.env.gh.createComment(this.env.issue, body);
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
  const values = { ...(inputs as Record<string, unknown>) };
  // The runtime's `github.event` is empty: a workflow that declares `input github?: object`
  // receives the event here, read as {{input.github.event.pull_request.title}}.
  const schema = env.compiled.graph.getAttribute("inputSchema") as
    | { properties?: Record<string, unknown> }
    | undefined;
  if (schema?.properties && "github" in schema.properties && !("github" in values)) {
    values.github = {
      event_name: env.eventName,
      event: env.payload,
      repository: process.env.GITHUB_REPOSITORY,
      sha: process.env.GITHUB_SHA,
      ref: process.env.GITHUB_REF,
      actor: process.env.GITHUB_ACTOR,
    };
  }
  return values;
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
  await progress.flush();
  const state = stateOf();
  await core.summary
    .addRaw(
      renderProgress(state, {
        graph: env.compiled.graph,
        ...(env.logsUrl && { logsUrl: env.logsUrl }),
      }),
    )
    .write();
  setOutputs(record, record.status);
  core.info(`aegis: run ${record.id} ${record.status} (${since()})`);
  if (record.status === "failed" || record.status === "cancelled")
    core.setFailed(
      `run ${record.id} ${record.status}${record.error ? `: ${record.error.message}` : ""}`,
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
    },
    existing,
  );
}

// ---------------------------------------------------------------- answering a gate

async function reply(env: Env, text: string): Promise<void> {
  if (env.issue === undefined) return;
  const login = env.payload.comment?.user.login;
  await env.gh.createComment(env.issue, `${login ? `@${login} ` : ""}${text}`);
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
        const again: ActionState = { ...state, gate: { ...state.gate, headSha: now }, note };
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
    const after: ActionState = { ...base, ...store.snapshot(r.id) };
    await new Progress(env, found, () => after).flush();
    setOutputs(after.record, after.record.status);
    return;
  }

  // retry: a run that failed or was cancelled starts again with the same inputs.
  if (r.status !== "failed" && r.status !== "cancelled")
    return refuse(
      env,
      `run \`${r.id}\` is ${r.status}; only a failed or cancelled run can be retried`,
    );
  if (!(await env.gh.claim(`refs/aegis/${r.id}/${r.seq}`, process.env.GITHUB_SHA ?? "")))
    return refuse(env, "this run was already retried; nothing changes");
  return startRun(env, r.inputs, found);
}
