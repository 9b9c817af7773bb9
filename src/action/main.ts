// The GitHub Action: compile the workflow (findings become annotations), start runs on
// the usual triggers, stop at human gates with the run saved in the workflow's progress
// comment, and continue them from `/approve`, `/reject`, `/cancel`, `/retry` and `/status`
// comments — only from the comment that was shown, read as GitHub renders it, written by
// someone allowed to answer, and on exactly the commit the gate was bound to.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { compileWorkflowModule, isWorkflowModule } from "../builder/module.ts";
import { type CompileResult, compileFile, yamlFrontEndFor } from "../compiler/compile-core.ts";
import { formatGithub } from "../compiler/report/github.ts";
import { createEngine, type Engine, type RunHandle } from "../runtime/engine.ts";
import type { AgentFunction, RunObservation, RunRecord } from "../runtime/types.ts";
import { isBot, type Policy, refusal } from "./authorize.ts";
import { checkOut, headCommit } from "./checkout.ts";
import type { Command } from "./commands.ts";
import { isRunnerInternal, stateEnvironment } from "./environment.ts";
import { type Comment, GitHub } from "./github.ts";
import { type ActionInputs, readInputs } from "./inputs.ts";
import {
  fail,
  info,
  notice,
  output,
  redact,
  redactor,
  redactValue,
  summary,
  warning,
  write,
} from "./log.ts";
import { renderProgress } from "./progress.ts";
import {
  findProgress,
  loadState,
  ProgressComment,
  type ProgressTarget,
  Superseded,
} from "./progress-comment.ts";
import { type ActionState, StateError } from "./state.ts";
import { SnapshotStore } from "./store.ts";

export { redact };

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
  inputs: ActionInputs;
  compiled: CompileResult;
  /** The function agents of a workflow built in TypeScript (aegis-workflows/builder). */
  functions: Record<string, AgentFunction>;
  workflowFile: string;
  payload: Payload;
  eventName: string;
  repository: string;
  issue?: number;
  policy: Policy;
  logsUrl?: string;
  /** The login the token writes as (its own comments are the only ones read as state). */
  identity: string;
  /** The commit checked out in the workspace, read before any state runs. */
  head?: string;
  /** What the workflow's states' processes start from. */
  environment: Record<string, string>;
  /** The newest comment id seen (see ActionState.lastComment). */
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

function setOutputs(record: RunRecord | undefined, status: string) {
  output("status", status);
  if (record) {
    output("run-id", record.id);
    if (record.output !== undefined)
      output(
        "output",
        typeof record.output === "string" ? record.output : JSON.stringify(record.output),
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

/**
 * Cuts the action's process environment down before anything else runs: the runner's
 * credentials and every input leave it (their secret values are redacted from then on),
 * so neither a state's process nor a template's `env()` can reach them.
 */
function scrubEnvironment(): void {
  for (const name of Object.keys(process.env)) {
    if (!isRunnerInternal(name) || name === "GITHUB_OUTPUT" || name === "GITHUB_STEP_SUMMARY")
      continue; // the two file commands the action itself writes stay (states never see them)
    if (name.startsWith("ACTIONS_")) redactor.add(process.env[name]);
    delete process.env[name];
  }
}

export async function run(): Promise<void> {
  info(`aegis: action started (${since()})`);
  const inputs = readInputs();
  redactor.add(inputs.token);
  redactor.add(inputs.secret);
  redactor.add(process.env.GITHUB_TOKEN);
  scrubEnvironment();
  const workflowFile = inputs.workflow;
  // The checkout's commit, read before any state runs: git answers while the workflow compiles.
  const reading = headCommit(process.env.GITHUB_WORKSPACE || process.cwd());

  // Compile: every finding is an annotation on its file and line. The YAML front end is
  // loaded only for a YAML workflow (or one that may import one).
  // A module that builds the workflow (aegis-workflows/builder) is imported: the workflow
  // file is trusted (SECURITY.md), and a module is one more way of writing it.
  let compiled: CompileResult;
  let functions: Record<string, AgentFunction> = {};
  if (isWorkflowModule(workflowFile)) {
    // The action's own builder (dist/builder.js, sharing its compiler's chunks) for a
    // checkout that does not install aegis-workflows.
    const built = await compileWorkflowModule(workflowFile, undefined, {
      builder: new URL("./builder.js", import.meta.url).href,
    });
    if ("error" in built) {
      setOutputs(undefined, "invalid");
      fail(built.error);
      return;
    }
    compiled = built.result;
    functions = built.functions;
  } else {
    let source: string | undefined;
    try {
      source = readFileSync(workflowFile, "utf8");
    } catch {
      // compileFile says why, as a finding.
    }
    const yaml = await yamlFrontEndFor(workflowFile, source);
    compiled = compileFile(workflowFile, yaml ? { yaml } : {});
  }
  const annotations = formatGithub(compiled.diagnostics);
  if (annotations) write(`${annotations}\n`);
  if (!compiled.ok) {
    setOutputs(undefined, "invalid");
    fail(`${workflowFile} has errors: the workflow does not run`);
    return;
  }
  if (inputs.checkOnly) {
    info(`${workflowFile}: compiled, ${compiled.diagnostics.length} finding(s)`);
    setOutputs(undefined, "checked");
    return;
  }
  const secrets: string[] = compiled.graph.getAttribute("secrets") ?? [];
  for (const name of secrets) redactor.add(process.env[name]);
  const states = stateEnvironment(process.env, [...inputs.env, ...secrets]);
  for (const value of states.named) redactor.add(value);
  if (states.refused.length > 0)
    warning(
      `aegis: ${states.refused.join(", ")} ${states.refused.length === 1 ? "is" : "are"} the runner's own and never passed to states`,
    );

  const payload = readPayload();
  const eventName = process.env.GITHUB_EVENT_NAME ?? "";
  const fork = forkOf(payload, eventName);
  if (fork) {
    // GitHub gives a fork's pull_request workflow a read-only token and no secrets: no
    // progress comment could be kept, no agent key is there. Nothing runs.
    notice(
      `aegis: pull request #${payload.pull_request?.number} comes from the fork ${fork}; GitHub runs its pull_request workflows with a read-only token and without secrets, so the run is not started. A maintainer can start it with workflow_dispatch, or from a pull_request_target workflow (see SECURITY.md).`,
    );
    setOutputs(undefined, "ignored");
    return;
  }
  const repository = process.env.GITHUB_REPOSITORY ?? "/";
  const [owner = "", repo = ""] = repository.split("/");
  const gh = new GitHub(inputs.token, owner, repo);
  gh.isPull = payload.pull_request !== undefined || payload.issue?.pull_request !== undefined;
  const issue = payload.pull_request?.number ?? payload.issue?.number;
  const author = payload.pull_request?.user?.login ?? payload.issue?.user?.login;
  const head = await reading;

  const server = process.env.GITHUB_SERVER_URL ?? "https://github.com";
  const env: Env = {
    gh,
    inputs,
    compiled,
    functions,
    workflowFile,
    payload,
    eventName,
    repository,
    ...(issue !== undefined && { issue }),
    policy: {
      minRole: inputs.minRole,
      approvers: inputs.approvers,
      allowAuthor: inputs.allowAuthor,
      ...(author && { author }),
    },
    ...(process.env.GITHUB_RUN_ID && {
      logsUrl: `${server}/${owner}/${repo}/actions/runs/${process.env.GITHUB_RUN_ID}`,
    }),
    identity: "github-actions[bot]",
    ...(head && { head }),
    environment: states.environment,
  };

  if (eventName === "issue_comment") return onComment(env);
  if (inputs.sweepTimeouts) return sweep(env);
  return startRun(env);
}

// ---------------------------------------------------------------- the progress comment

function target(env: Env): ProgressTarget {
  return {
    gh: env.gh,
    issue: env.issue!,
    workflowFile: env.workflowFile,
    graph: env.compiled.graph,
    context: { repository: env.repository, ...(env.issue !== undefined && { issue: env.issue }) },
    identity: env.identity,
    ...(env.inputs.secret && { secret: env.inputs.secret }),
    ...(env.logsUrl && { logsUrl: env.logsUrl }),
  };
}

/** Learns the token's login (its comments are the only ones trusted). */
async function learnIdentity(env: Env): Promise<void> {
  const viewer = await env.gh.viewer();
  if (viewer) env.identity = viewer;
  else
    warning(
      "aegis: GitHub did not tell which account the token writes as (GraphQL viewer and GET /user both failed); assuming github-actions[bot]",
    );
}

/** The progress comment of this workflow on the conversation, if any. */
async function progressComment(env: Env): Promise<Comment | undefined> {
  if (env.issue === undefined) return undefined;
  const comments = await env.gh.comments(env.issue);
  saw(env, ...comments.map((c) => c.id));
  return findProgress(target(env), comments);
}

// ---------------------------------------------------------------- driving a run

function inputsFor(env: Env): Record<string, unknown> {
  let inputs: unknown;
  try {
    inputs = JSON.parse(env.inputs.inputs);
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

type BaseState = Omit<ActionState, "record" | "meta" | "journal" | "runId" | "graphHash">;

async function drive(
  env: Env,
  store: SnapshotStore,
  open: () => Promise<RunHandle>,
  base: BaseState,
  comment: Comment | undefined,
  options: { force?: boolean } = {},
): Promise<void> {
  let runId = "";
  let headSha: string | undefined;
  let note: string | undefined;
  const stateOf = (): ActionState => {
    const snap = store.snapshot(runId);
    const r = snap.record;
    const state: ActionState = {
      ...base,
      format: "aegis-action-state",
      version: 1,
      runId,
      workflow: env.workflowFile,
      repository: env.repository,
      graphHash: r.graphHash,
      ...snap,
      ...(process.env.GITHUB_RUN_ID && { actionsRun: process.env.GITHUB_RUN_ID }),
      ...(env.lastComment !== undefined && { lastComment: env.lastComment }),
      ...(note && { note }),
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
  const progress =
    env.issue === undefined
      ? undefined
      : new ProgressComment(target(env), comment, stateOf, options);
  let handle: RunHandle | undefined;
  const observe = (o: RunObservation) => {
    if (
      o.type === "state-entered" ||
      o.type === "state-completed" ||
      o.type === "waiting-for-human"
    )
      info(`aegis: ${o.type} ${o.state}`);
    if (runId && (o.type === "state-entered" || o.type === "run-finished")) progress?.schedule();
    // Another job holds the run now: stop driving it (nothing more is written).
    if (progress?.failure instanceof Superseded) void handle?.cancel("superseded");
  };
  handle = await open();
  runId = handle.id;
  const events = (async () => {
    for await (const o of handle.events) observe(o);
  })();
  const record = await handle.result();
  await events;
  if (record.status === "waiting" && env.issue !== undefined && env.payload.issue?.pull_request)
    headSha = (await env.gh.pull(env.issue)).headSha;
  else if (record.status === "waiting") headSha = env.payload.pull_request?.head.sha;
  if (record.status === "waiting" && headSha && env.head && env.head !== headSha) {
    // The gate shows what its states ran on: it is bound to the checkout, and an answer
    // finds the pull request's head elsewhere and shows the gate again for it.
    note = `the states before this gate ran on \`${env.head.slice(0, 7)}\`, not on the pull request's head \`${headSha.slice(0, 7)}\` (check out the head: see the example workflow)`;
    headSha = env.head;
  }
  try {
    await progress?.flush();
  } catch (error) {
    if (!(error instanceof Superseded)) throw error;
    notice(`aegis: run ${record.id}: ${error.message}; this job stops without writing it`);
    output("status", "superseded");
    return;
  }
  const state = redactValue(stateOf());
  await summary(
    renderProgress(state, {
      graph: env.compiled.graph,
      ...(env.logsUrl && { logsUrl: env.logsUrl }),
    }),
  );
  setOutputs(record, record.status);
  info(`aegis: run ${record.id} ${record.status} (${since()})`);
  if (record.status === "failed" || record.status === "cancelled")
    fail(`run ${record.id} ${record.status}${record.error ? `: ${record.error.message}` : ""}`);
}

/**
 * The agents file's providers. Read only when a run is about to be driven — for a
 * comment, after its author was authorized: on a pull request it comes from the checkout,
 * and the graph hash does not cover it (the approved commit does).
 */
function readAgents(env: Env): Record<string, Record<string, unknown>> | undefined {
  if (!env.inputs.agents) return undefined;
  const file = JSON.parse(readFileSync(env.inputs.agents, "utf8")) as {
    agents?: Record<string, Record<string, unknown>>;
    workdir?: string;
  };
  if (file.workdir) process.chdir(resolve(dirname(env.inputs.agents), file.workdir));
  return file.agents ?? {};
}

function newEngine(env: Env, store: SnapshotStore): Engine {
  const agents = readAgents(env);
  // The first state is told as the engine enters it (synchronously, before its executor
  // loads what it runs with, e.g. execa for a command), not when the run's event stream
  // gets round to it.
  let first = true;
  const onObservation = (o: RunObservation) => {
    if (o.type !== "state-entered" || !first) return;
    first = false;
    info(`aegis: first state ${o.state} running (${since()})`);
  };
  return createEngine({
    store,
    environment: env.environment,
    onObservation,
    ...(agents && { agents }),
    functions: env.functions,
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
  if (env.issue !== undefined && !comment) await learnIdentity(env);
  const existing = comment ?? (await progressComment(env));
  const values = inputs ?? inputsFor(env);
  await drive(
    env,
    store,
    () =>
      engine.start(env.compiled, values, {
        id: runIdFor(env),
        ...(env.inputs.intent && { intent: env.inputs.intent }),
      }),
    {
      format: "aegis-action-state",
      version: 1,
      workflow: env.workflowFile,
      repository: env.repository,
      ...(env.issue !== undefined && { issue: env.issue }),
      ...(retryOf && { retryOf, note: `a retry of run \`${retryOf}\`` }),
    },
    existing,
    // A new run replaces whatever the comment held (a newer push supersedes an older run).
    { force: true },
  );
}

// ---------------------------------------------------------------- answering a gate

async function reply(env: Env, text: string): Promise<void> {
  if (env.issue === undefined) return;
  const login = env.payload.comment?.user.login;
  const posted = await env.gh.createComment(
    env.issue,
    redact(`${login ? `@${login} ` : ""}${text}`),
  );
  saw(env, posted.id);
}

/** Reacts 👍 to the comment acted on; a failure is a warning, named. */
async function acknowledge(env: Env, comment: Comment): Promise<void> {
  const failed = await env.gh.react(comment.id, "+1");
  if (failed) warning(`aegis: ${failed.message}`);
}

async function refuse(env: Env, text: string): Promise<void> {
  warning(`aegis: refused: ${text}`);
  await reply(env, `refused: ${text}`);
  output("status", "refused");
}

/** Shows the gate again with a note: answers written before now answer nothing. */
async function showAgain(
  env: Env,
  found: Comment,
  state: ActionState,
  note: string,
  gate: NonNullable<ActionState["gate"]>,
): Promise<void> {
  const again: ActionState = {
    ...state,
    gate,
    note,
    ...(env.lastComment !== undefined && { lastComment: env.lastComment }),
  };
  await new ProgressComment(target(env), found, () => again).flush();
}

/**
 * The comment as GitHub has it now, when it may act: it still exists, it was not edited
 * since it was posted (what the event carried is what is read), it was written by a person
 * (not through an App on their behalf, unless allowed). Otherwise why not.
 */
async function verifyComment(
  env: Env,
  event: NonNullable<Payload["comment"]>,
): Promise<{ comment: Comment } | { why: string }> {
  const now = await env.gh.comment(event.id);
  if (!now) return { why: "the comment was deleted before it could be acted on" };
  if (now.body !== event.body || (now.updated_at && now.updated_at !== now.created_at))
    return {
      why: "the comment was edited after it was posted; commands are read from comments as first posted: post a new comment",
    };
  const app = now.performed_via_github_app;
  if (app) {
    const slug = (app.slug ?? app.name ?? "").toLowerCase();
    if (!env.inputs.allowApps.includes(slug))
      return {
        why: `the comment was made through the GitHub App '${slug || "unknown"}' on @${now.user?.login}'s behalf; only comments people write themselves may answer (allow-apps lists the Apps that may)`,
      };
  }
  return { comment: now };
}

async function onComment(env: Env): Promise<void> {
  const { payload } = env;
  const event = payload.comment;
  if (!event || payload.action === "deleted") {
    info("aegis: a deleted comment: nothing to do");
    output("status", "ignored");
    return;
  }
  // Commands are read with markdown-it (a tenth of the bundle): loaded only for a comment.
  const { parseCommands } = await import("./commands.ts");
  const command: Command | undefined = parseCommands(event.body ?? "")[0];
  if (!command) {
    info("aegis: no command in the comment");
    output("status", "ignored");
    return;
  }
  info(`aegis: /${command.name} from @${event.user.login}`);
  saw(env, event.id);
  await learnIdentity(env);
  if (event.user.login === env.identity) {
    output("status", "ignored");
    return; // never answer ourselves
  }
  if (payload.action === "edited")
    return refuse(env, "commands in edited comments are not accepted: post a new comment");
  if (isBot(event.user))
    return refuse(env, `@${event.user.login} is a bot or an App; only people may answer`);
  const verified = await verifyComment(env, event);
  if ("why" in verified) return refuse(env, verified.why);
  const comment = verified.comment;
  const user = comment.user ?? event.user;
  if (isBot(user)) return refuse(env, `@${user.login} is a bot or an App; only people may answer`);

  const found = await progressComment(env);
  if (!found) return refuse(env, `there is no run of ${env.workflowFile} on this conversation`);
  let state: ActionState;
  try {
    state = await loadState(target(env), found);
  } catch (error) {
    if (error instanceof StateError) {
      await refuse(env, `the run's saved state cannot be trusted: ${error.message}`);
      fail(error.message);
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
  // A command answers what was shown when it was written: a comment written before the
  // progress comment last changed (a re-delivery, a re-run job, an early /approve) acts on
  // nothing. GitHub's timestamps have whole seconds: the same second is "before".
  const shown = found.updated_at;
  if (shown && comment.created_at && Date.parse(comment.created_at) <= Date.parse(shown))
    return refuse(
      env,
      `this comment (${comment.created_at}) was written before run \`${r.id}\` was last shown as it is now (${shown}); a command acts once, on what was shown when it was written: post a new comment`,
    );
  if (state.lastComment !== undefined && comment.id <= state.lastComment)
    return refuse(
      env,
      `this comment was written before run \`${r.id}\` reached where it is now (comment ${comment.id}; the run's state was saved after comment ${state.lastComment}); a command acts once, on what was shown when it was written: post a new comment`,
    );
  const why = await refusal(env.gh, user, env.policy);
  if (why) return refuse(env, why);

  const store = new SnapshotStore();
  store.restore(state, env.compiled.document);
  // Made once every check has passed (it reads the agents file).
  const engine = () => newEngine(env, store);
  const isPull = env.issue !== undefined && payload.issue?.pull_request !== undefined;

  if (command.name === "approve" || command.name === "reject") {
    if (r.status !== "waiting" || !r.waiting)
      return refuse(env, `run \`${r.id}\` is not waiting for an answer: it is ${r.status}`);
    let head = state.gate?.headSha;
    if (isPull && state.gate) {
      const now = (await env.gh.pull(env.issue!)).headSha;
      if (state.gate.headSha && now !== state.gate.headSha) {
        // Bound to what was shown: show the gate again, for the new head.
        const note = `the pull request's head moved from \`${state.gate.headSha.slice(0, 7)}\` to \`${now.slice(0, 7)}\` after the gate opened; review the new head and answer again`;
        await showAgain(env, found, state, note, { ...state.gate, headSha: now });
        return refuse(env, `${note}.`);
      }
      head = now;
      // The states after the gate run on this job's checkout: it must be what was approved.
      if (state.gate.headSha && env.head !== state.gate.headSha) {
        const note = `this job checked out ${env.head ? `\`${env.head.slice(0, 7)}\`` : "no commit"}, not \`${state.gate.headSha.slice(0, 7)}\`, the commit this gate is for; the states after it run only on that commit (the workflow must check out the pull request's head: see the example workflow). Answer again once it does`;
        await showAgain(env, found, state, note, state.gate);
        return refuse(env, `${note}.`);
      }
    }
    const ref = `refs/aegis/${r.id}/${r.seq}`;
    if (!(await env.gh.claim(ref, head ?? process.env.GITHUB_SHA ?? "")))
      return refuse(env, `this gate was already handled (by another answer); nothing changes`);
    await acknowledge(env, comment);
    const answer = {
      approve: command.name === "approve",
      approver: user.login,
      ...(command.name === "reject" && {
        feedback: command.args || "rejected",
        response: command.args || "rejected",
      }),
      state: r.waiting.state,
    };
    const { gate: _gate, note: _note, ...base } = state;
    return drive(env, store, () => engine().signal(r.id, answer), base, found);
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
    await engine().cancel(r.id, `cancelled by @${user.login}`);
    const { gate: _gate, note: _note, ...base } = state;
    const after: ActionState = {
      ...base,
      ...store.snapshot(r.id),
      ...(process.env.GITHUB_RUN_ID && { actionsRun: process.env.GITHUB_RUN_ID }),
      ...(env.lastComment !== undefined && { lastComment: env.lastComment }),
    };
    try {
      await new ProgressComment(target(env), found, () => after).flush();
    } catch (error) {
      if (!(error instanceof Superseded)) throw error;
      return refuse(env, `run \`${r.id}\` changed while it was being cancelled: ${error.message}`);
    }
    await summary(
      renderProgress(redactValue(after), {
        graph: env.compiled.graph,
        ...(env.logsUrl && { logsUrl: env.logsUrl }),
      }),
    );
    await acknowledge(env, comment);
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
  await acknowledge(env, comment);
  return startRun(env, r.inputs, found, r.id);
}

// ---------------------------------------------------------------- gate timeouts

/**
 * With `sweep-timeouts` (a scheduled job): every open conversation's run of this workflow that waits at a gate whose
 * timeout has passed takes its timeout (the gate's default answer, or `timeout`), exactly
 * once (the gate's claim ref, as an answer would), on the commit the gate was bound to —
 * checked out here, since the sweep's own checkout is the default branch.
 */
async function sweep(env: Env): Promise<void> {
  await learnIdentity(env);
  const workspace = process.env.GITHUB_WORKSPACE || process.cwd();
  const home = process.cwd();
  const initial = env.head;
  let taken = 0;
  let failed = 0;
  for (const { number, isPull } of await env.gh.openConversations()) {
    try {
      if (await sweepOne(env, number, isPull, workspace, initial)) taken += 1;
    } catch (error) {
      // One conversation's trouble does not stop the others' timeouts.
      warning(`aegis: #${number}: ${(error as Error).message}`);
      failed += 1;
    } finally {
      process.chdir(home); // an agents file's workdir is one run's, not the next's
    }
  }
  info(`aegis: ${taken} gate timeout(s) taken${failed ? `, ${failed} could not be` : ""}`);
  output("status", failed > 0 ? "failed" : "swept");
  if (failed > 0) fail(`${failed} timed-out gate(s) could not be taken (see the warnings)`);
}

/** Takes one conversation's due gate timeout, if it has one; whether it did. */
async function sweepOne(
  env: Env,
  number: number,
  isPull: boolean,
  workspace: string,
  initial: string | undefined,
): Promise<boolean> {
  const here: Env = {
    ...env,
    issue: number,
    payload: { issue: { number, user: { login: "" }, ...(isPull && { pull_request: {} }) } },
  };
  env.gh.isPull = isPull;
  const found = await progressComment(here);
  if (!found) return false;
  let state: ActionState;
  try {
    state = await loadState(target(here), found);
  } catch (error) {
    if (!(error instanceof StateError)) throw error;
    warning(`aegis: #${number}: the run's saved state cannot be trusted: ${error.message}`);
    return false;
  }
  const r = state.record;
  const timeoutAt = r.waiting?.timeoutAt;
  if (r.status !== "waiting" || !timeoutAt || Date.now() < Date.parse(timeoutAt)) return false;
  if (state.graphHash !== env.compiled.document.hash) {
    warning(
      `aegis: #${number}: run \`${r.id}\` timed out at ${timeoutAt}, but ${env.workflowFile} has changed since it started; it cannot be continued`,
    );
    return false;
  }
  // Each run on its own checkout: the gate's commit, or the job's own for a gate bound to
  // none — never what an earlier run's states left (checkOut resets and cleans).
  const bound = state.gate?.headSha ?? initial;
  if (bound) {
    checkOut(workspace, bound, env.inputs.token);
    here.head = bound;
  }
  if (!(await env.gh.claim(`refs/aegis/${r.id}/${r.seq}`, bound ?? process.env.GITHUB_SHA ?? "")))
    return false; // answered, or taken by another sweep, since it was read
  info(`aegis: #${number}: run ${r.id}'s gate ${r.waiting?.state} timed out at ${timeoutAt}`);
  const store = new SnapshotStore();
  store.restore(state, env.compiled.document);
  const { gate: _gate, note: _note, ...base } = state;
  await drive(here, store, () => newEngine(here, store).resume(r.id), base, found);
  return true;
}
