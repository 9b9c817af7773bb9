// The run commands against `aegis serve` (--server URL or $AEGIS_SERVER): run a deployed
// workflow by name, answer its gate, resume, cancel, status, logs (--follow over SSE) and
// list — printed by the same code as the local commands, with the same exit codes. The
// server drives the runs; this process follows their events until the run finishes or
// waits at a gate. Loaded only when a server is configured; never imports src/server/.
import type {
  RunDetail,
  RunList,
  RunLogResponse,
  RunSummary,
  SignalResponse,
} from "../api/runs.ts";
import type { WorkflowList } from "../api/workflows.ts";
import { parseParam } from "../runtime/inputs.ts";
import { type RunObservation, type RunRecord, RuntimeError } from "../runtime/types.ts";
import { runTable } from "./commands/list.ts";
import { statusText } from "./commands/status.ts";
import { UsageError } from "./errors.ts";
import { type Io, useColor } from "./io.ts";
import {
  jsonSafe,
  logPrinter,
  outcomeText,
  Progress,
  type ProgressMode,
  terminalSafe,
} from "./progress.ts";
import type { Remote } from "./remote.ts";

interface Shown {
  json?: boolean;
  color?: boolean;
  "no-color"?: boolean;
  verbose?: boolean;
  server?: string;
}

/** Why an option that names something of this machine means nothing to a server. */
const localOnly: Record<string, string> = {
  store: "names a store of runs on this machine; the server keeps its own runs",
  agents: "names an agents file on this machine; the server runs the agents it was started with",
  agent: "binds agents in this process; the server runs the agents it was started with",
  workdir: "names a directory on this machine; the server runs states in its own",
  replace: "would replace a run; the server keeps every run: choose another --id",
  approver:
    "names who answers; the server records the user of the token (AEGIS_TOKEN) as the approver",
  due: "takes due gate timeouts in a local store; the server takes its timeouts itself",
};

/** Refuses the options given that name client-local things, one line saying why. */
export function refuseLocal(
  values: Record<string, unknown>,
  command: string,
  remote: Remote,
): void {
  for (const [name, why] of Object.entries(localOnly)) {
    const value = values[name];
    if (value === undefined || value === false) continue;
    throw new UsageError(`--${name} ${why} (the server is ${remote.url})`, command);
  }
}

const runPath = (id: string, rest = "") => `/v1/runs/${encodeURIComponent(id)}${rest}`;

/** What the commands a run's text suggests need after the run id: --server, if given so. */
function argsOf(values: Shown): string {
  return values.server !== undefined ? ` --server ${values.server}` : "";
}

/** What `fn` gives, or undefined if it fails (a server that is stopping). */
async function quietly<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

function observationOf(data: string): RunObservation | undefined {
  try {
    return JSON.parse(data) as RunObservation;
  } catch {
    return undefined;
  }
}

/**
 * Follows a run the server drives, from its `after`-th observation, showing progress as a
 * local run does, until it finishes or waits at a gate; then its outcome. Ctrl-C leaves the
 * run to the server (130). The exit status of the local `run`.
 */
async function follow(
  remote: Remote,
  id: string,
  after: number,
  io: Io,
  values: Shown,
  notice?: string,
  /** Whether the run may be settled already (a resumed run that waits at its gate). */
  settledAlready = false,
): Promise<number> {
  const mode: ProgressMode = values.json ? "json" : io.isTTY ? "tty" : "plain";
  const progress = new Progress({
    mode,
    write: io.stdout,
    run: id,
    color: useColor(values, io),
    verbose: !!values.verbose,
    columns: () => process.stdout.columns ?? 100,
  });
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  /** The run's record once it no longer runs (waits, or has finished), else undefined. */
  const settled = async (): Promise<RunRecord | undefined> => {
    const { body } = await remote.request<RunDetail>("GET", runPath(id));
    return body.run.status === "queued" || body.record.status === "running"
      ? undefined
      : body.record;
  };
  let record: RunRecord | undefined;
  let finished = false;
  let last = after;
  try {
    if (settledAlready) record = await settled();
    while (record === undefined && !interrupted) {
      for await (const item of remote.events(runPath(id, "/events"), {
        after: last,
        signal: controller.signal,
        // A stream that ends early (a server stopping) is followed again, unless the run is done.
        complete: async () => {
          if (!finished && record === undefined) record = await quietly(settled);
          return finished || record !== undefined;
        },
      })) {
        if ("comment" in item) {
          // A quiet stream: a run that waits at a gate in a branch says so in its record.
          record = await settled();
          if (record) break;
          continue;
        }
        const o = observationOf(item.data);
        if (item.id !== undefined) last = Number(item.id);
        if (!o) continue;
        progress.observe(o);
        if (o.type === "run-finished" && o.run === id) finished = true;
        const own = o.run === id || o.run.startsWith(`${id}.`);
        if (own && (o.type === "waiting-for-human" || o.type === "run-finished")) {
          record = await settled();
          if (record) break;
        }
      }
      // The server ended the stream: the run has finished (else it is followed again).
      if (record === undefined && !interrupted) record = await settled();
      if (record === undefined && finished) {
        record = (await remote.request<RunDetail>("GET", runPath(id))).body.record;
      }
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
  }
  if (interrupted || record === undefined) {
    io.stderr(
      `\naegis: stopped following run ${id}; the server goes on with it: aegis logs --follow ${id}${argsOf(values)}\n`,
    );
    return 130;
  }
  if (notice) io.stderr(`aegis: ${terminalSafe(notice)}\n`);
  if (!values.json) {
    io.stdout(outcomeText(record, { color: useColor(values, io), args: argsOf(values) }));
  }
  return record.status === "succeeded" || record.status === "waiting" ? 0 : 1;
}

/** `aegis run NAME` on a server: starts the deployed workflow NAME, and follows it. */
export async function remoteRun(
  remote: Remote,
  name: string,
  inputs: Record<string, unknown>,
  params: string[],
  values: Shown & { intent?: string; id?: string },
  io: Io,
): Promise<number> {
  if (/[/\\]|\.(aegis|ya?ml|json|ts)$/i.test(name)) {
    throw new UsageError(
      `'${name}' is a file, and a server runs deployed workflows by name: deploy it with 'aegis deploy ${name}', then 'aegis run NAME' (the workflow's name)`,
      "run",
    );
  }
  if (params.length > 0) {
    const { body } = await remote.request<WorkflowList>("GET", "/v1/workflows");
    const workflow = body.workflows.find((w) => w.name === name);
    if (!workflow) {
      throw new RuntimeError(
        "unknown-workflow",
        `no workflow '${name}' is deployed at ${remote.url}: deploy it with 'aegis deploy FILE'`,
      );
    }
    for (const param of params) {
      const [key, value] = parseParam(workflow.inputSchema, param);
      inputs[key] = value;
    }
  }
  const { body: run } = await remote.request<RunSummary>("POST", "/v1/runs", {
    workflow: name,
    inputs,
    ...(values.intent !== undefined && { intent: values.intent }),
    ...(values.id !== undefined && { id: values.id }),
  });
  return follow(remote, run.id, 0, io, values);
}

/** `aegis signal RUN` on a server: answers its gate, then follows the run on. */
export async function remoteSignal(
  remote: Remote,
  id: string,
  answer: { approve?: boolean; response?: string; feedback?: string; state?: string },
  values: Shown,
  io: Io,
): Promise<number> {
  // Where the run's log is now: what follows the answer is shown, as a local signal shows.
  const { body: log } = await remote.request<RunLogResponse>("GET", runPath(id, "/log"));
  const after = log.entries.at(-1)?.n ?? 0;
  const { body } = await remote.request<SignalResponse>("POST", runPath(id, "/signal"), answer);
  if (!values.json) {
    const what =
      answer.approve === undefined
        ? `answered ${id}: ${JSON.stringify(answer.response)}`
        : `${answer.approve ? "approved" : "rejected"} ${id}`;
    io.stdout(
      terminalSafe(`${what}${answer.feedback ? ` with feedback: ${answer.feedback}` : ""}`) + "\n",
    );
  }
  return follow(remote, id, after, io, values, body.notice);
}

/** `aegis resume RUN` on a server: the server drives it on; this follows it. */
export async function remoteResume(
  remote: Remote,
  id: string,
  values: Shown,
  io: Io,
): Promise<number> {
  const { body: log } = await remote.request<RunLogResponse>("GET", runPath(id, "/log"));
  const after = log.entries.at(-1)?.n ?? 0;
  await remote.request<RunSummary>("POST", runPath(id, "/resume"));
  return follow(remote, id, after, io, values, undefined, true);
}

/** `aegis cancel RUN` on a server. */
export async function remoteCancel(
  remote: Remote,
  id: string,
  reason: string | undefined,
): Promise<RunRecord> {
  const { body: record } = await remote.request<RunRecord>(
    "POST",
    runPath(id, "/cancel"),
    reason !== undefined ? { reason } : {},
  );
  return record;
}

/** `aegis status RUN` on a server. */
export async function remoteStatus(
  remote: Remote,
  id: string,
  values: Shown,
  io: Io,
): Promise<number> {
  const { body } = await remote.request<RunDetail>("GET", runPath(id));
  if (values.json) {
    io.stdout(`${jsonSafe(body.record, 2)}\n`);
    return 0;
  }
  io.stdout(
    statusText(body, values, io, {
      ...(body.run.status === "running" && { driver: `the server at ${remote.url}` }),
      ...(body.run.status === "queued" && { queued: true }),
      due: (at) => `its timeout is due since ${at}: the server takes it`,
      args: argsOf(values),
    }),
  );
  return 0;
}

/** `aegis logs RUN [--follow]` on a server. */
export async function remoteLogs(
  remote: Remote,
  id: string,
  values: Shown & { follow?: boolean },
  io: Io,
): Promise<number> {
  const printer = logPrinter(id, values.json, io.stdout);
  if (!values.follow) {
    const { body } = await remote.request<RunLogResponse>("GET", runPath(id, "/log"));
    for (const entry of body.entries) printer.observe(entry.observation);
    return 0;
  }
  await remote.request<RunDetail>("GET", runPath(id)); // a clear error for an unknown run
  // The server ends the stream when the run has finished (a waiting run is followed on).
  let finished = false;
  const over = async () => {
    const { body } = await remote.request<RunDetail>("GET", runPath(id));
    return ["succeeded", "failed", "cancelled"].includes(body.record.status);
  };
  for await (const item of remote.events(runPath(id, "/events"), {
    complete: async () => finished || ((await quietly(over)) ?? false),
  })) {
    if ("comment" in item) continue;
    const o = observationOf(item.data);
    if (!o) continue;
    printer.observe(o);
    if (o.type === "run-finished" && o.run === id) finished = true;
  }
  return 0;
}

/** `aegis list` on a server: every page, newest first. */
export async function remoteList(
  remote: Remote,
  values: Shown & { workflow?: string; status?: string },
  io: Io,
): Promise<number> {
  const runs: RunSummary[] = [];
  let before: string | undefined;
  do {
    const query = new URLSearchParams({
      limit: "1000",
      ...(values.workflow !== undefined && { workflow: values.workflow }),
      ...(values.status !== undefined && { status: values.status }),
      ...(before !== undefined && { before }),
    });
    const { body } = await remote.request<RunList>("GET", `/v1/runs?${query}`);
    runs.push(...body.runs);
    before = body.next;
  } while (before !== undefined);
  if (values.json) {
    io.stdout(`${jsonSafe(runs, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    const filtered = values.workflow !== undefined || values.status !== undefined;
    io.stdout(`no runs${filtered ? " of that kind" : ""} at ${remote.url}\n`);
    return 0;
  }
  io.stdout(runTable(runs.map((r) => [r.id, r.workflow, describe(r), r.updatedAt])));
  return 0;
}

/** A server's run's status in a list, as `describeStatus` says a local one's. */
function describe(r: RunSummary): string {
  switch (r.status) {
    case "waiting":
      return `waiting at ${r.waitingAt ?? r.current ?? "?"}`;
    case "running":
      return `running ${r.current ?? ""}`.trim();
    default:
      return r.status;
  }
}
