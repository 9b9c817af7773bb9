// The run commands of the command line: run, signal, resume, cancel, status, logs, list.
// Runs are kept in a file store under the current directory (.aegis/runs, or --store).
import { readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type CompileResult, compileFiles } from "../compiler/compile.ts";
import type { GraphDocument } from "../compiler/graph.ts";
import { formatText } from "../compiler/report/text.ts";
import { createEngine, type Engine, type Executor, type RunHandle } from "../runtime/engine.ts";
import { followLog } from "../runtime/events.ts";
import { parseParam } from "../runtime/inputs.ts";
import { FileStore } from "../runtime/store/file.ts";
import type { RunSummary } from "../runtime/store/types.ts";
import {
  type AgentFunction,
  type RunObservation,
  type RunRecord,
  RuntimeError,
} from "../runtime/types.ts";
import { namingBindings, parseAgentBindings } from "./agent-bindings.ts";
import { type AgentsFile, readAgentsFile } from "./agents-file.ts";
import { UsageError } from "./errors.ts";
import {
  formatElapsed,
  jsonSafe,
  outcomeText,
  Progress,
  type ProgressMode,
  terminalSafe,
} from "./progress.ts";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

/** What an embedding (or a test) may give the commands that drive runs. */
export interface RuntimeHooks {
  executor?: Executor;
  functions?: Record<string, AgentFunction>;
}

export const DEFAULT_STORE = ".aegis/runs";

const common = {
  store: { type: "string" },
  json: { type: "boolean", default: false },
  color: { type: "boolean" },
  "no-color": { type: "boolean" },
} as const;

const driving = {
  ...common,
  agents: { type: "string" },
  verbose: { type: "boolean", default: false },
} as const;

interface Common {
  store?: string;
  json?: boolean;
  color?: boolean;
  "no-color"?: boolean;
}

function storeOf(values: Common): { store: FileStore; hint?: string } {
  const dir = values.store ?? DEFAULT_STORE;
  return { store: new FileStore(dir), ...(values.store !== undefined && { hint: values.store }) };
}

function colorOf(values: Common, io: Io): boolean {
  return values["no-color"] ? false : (values.color ?? (io.isTTY && !process.env.NO_COLOR));
}

function oneRun(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one run id`);
  return positionals[0]!;
}

function enterWorkdir(dir: string | undefined): void {
  if (dir === undefined) return;
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
  } catch (error) {
    throw new RuntimeError(
      "workdir",
      `the run's working directory ${dir} cannot be used: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (error as Error).message}`,
    );
  }
  process.chdir(dir);
}

/** Reads `--input JSON` or `--input @file`. */
async function inputOf(text: string | undefined): Promise<Record<string, unknown>> {
  if (text === undefined) return {};
  let json = text;
  if (text.startsWith("@")) {
    try {
      json = await readFile(text.slice(1), "utf8");
    } catch (error) {
      throw new RuntimeError(
        "invalid-inputs",
        `cannot read the inputs file ${text.slice(1)}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`,
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new RuntimeError(
      "invalid-inputs",
      `--input is not valid JSON (${(error as Error).message}); give an object, e.g. --input '{"task": "…"}', or --param name=value`,
    );
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new RuntimeError("invalid-inputs", "--input must be a JSON object of named inputs");
  }
  return value as Record<string, unknown>;
}

/** A workflow to run: source (compiled here) or a compiled graph (`aegis compile --out`). */
function workflowOf(
  file: string,
  io: Io,
  color: boolean,
): { workflow?: CompileResult | GraphDocument; exit?: number; schema?: Record<string, unknown> } {
  if (file.endsWith(".json")) {
    let document: GraphDocument;
    try {
      document = JSON.parse(readFileSync(file, "utf8")) as GraphDocument;
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === "ENOENT"
          ? "no such file"
          : (error as Error).message;
      throw new RuntimeError("invalid-workflow", `cannot load the compiled graph ${file}: ${why}`);
    }
    const schema = (document?.graph?.attributes as { inputSchema?: Record<string, unknown> })
      ?.inputSchema;
    return { workflow: document, ...(schema && { schema }) };
  }
  const [result] = compileFiles([file]);
  if (!result) return { exit: 2 };
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  if (result.diagnostics.length > 0) {
    io.stderr(`${formatText(result.diagnostics, result.sources, { color })}\n\n`);
  }
  if (errors.length > 0) {
    const unreadable = result.diagnostics.some((d) => d.code === "AEG002");
    io.stderr(
      `aegis: not running ${file}: it has ${errors.length} error${errors.length === 1 ? "" : "s"}\n`,
    );
    return { exit: unreadable ? 2 : 1 };
  }
  return { workflow: result, schema: result.graph.getAttribute("inputSchema") };
}

interface Driver {
  engine: Engine;
  /** Where observations go once the run's id is known. */
  attach(run: string): Progress;
}

function makeDriver(
  io: Io,
  values: Common & { verbose?: boolean },
  store: FileStore,
  agents: AgentsFile | undefined,
  hooks: RuntimeHooks,
): Driver {
  const early: RunObservation[] = [];
  let progress: Progress | undefined;
  const engine = createEngine({
    store,
    ...(agents && { agents: agents.agents }),
    ...(hooks.executor && { executor: hooks.executor }),
    ...(hooks.functions && { functions: hooks.functions }),
    onObservation: (o) => {
      if (progress) progress.observe(o);
      else early.push(o);
    },
  });
  const mode: ProgressMode = values.json ? "json" : io.isTTY ? "tty" : "plain";
  return {
    engine,
    attach(run) {
      progress = new Progress({
        mode,
        write: io.stdout,
        run,
        color: colorOf(values, io),
        verbose: !!values.verbose,
        columns: () => process.stdout.columns ?? 100,
      });
      for (const o of early.splice(0)) progress.observe(o);
      return progress;
    },
  };
}

/** An engine call, with an agents file's refusal naming the file (the overrides come from it). */
async function namingAgentsFile<T>(file: string | undefined, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (file === undefined || (error as RuntimeError).code !== "agent-unknown") throw error;
    throw new RuntimeError("agent-unknown", `the agents file ${file}: ${(error as Error).message}`);
  }
}

/** Drives a run to its end or its next gate, showing progress; the exit status. */
async function follow(
  driver: Driver,
  handle: RunHandle,
  io: Io,
  values: Common,
  hint: string | undefined,
): Promise<number> {
  const progress = driver.attach(handle.id);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    io.stderr(`\naegis: interrupted; stopping run ${handle.id} where it is…\n`);
    driver.engine.close().catch(() => undefined);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let record: RunRecord;
  try {
    record = await handle.result();
    await driver.engine.idle();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    progress.stop();
  }
  if (handle.notice) io.stderr(`aegis: ${handle.notice}\n`);
  if (!values.json) {
    io.stdout(outcomeText(record, { color: colorOf(values, io), ...(hint && { store: hint }) }));
  }
  if (interrupted || record.status === "running") return 130;
  return record.status === "succeeded" || record.status === "waiting" ? 0 : 1;
}

// ---------------------------------------------------------------- run

export async function runCommand(args: string[], io: Io, hooks: RuntimeHooks): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...driving,
      input: { type: "string" },
      param: { type: "string", multiple: true },
      agent: { type: "string", multiple: true },
      intent: { type: "string" },
      id: { type: "string" },
      workdir: { type: "string" },
      replace: { type: "boolean", default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError("run takes exactly one workflow file");
  const color = colorOf(values, io);
  const { workflow, exit, schema } = workflowOf(positionals[0]!, io, color);
  if (!workflow) return exit ?? 1;
  const inputs = await inputOf(values.input);
  for (const param of values.param ?? []) {
    const [name, value] = parseParam(schema, param);
    inputs[name] = value;
  }
  const agents = values.agents !== undefined ? readAgentsFile(values.agents) : undefined;
  const bindings = parseAgentBindings(values.agent ?? [], agents);
  const workdir = values.workdir !== undefined ? resolve(values.workdir) : agents?.workdir;
  const { store, hint } = storeOf(values);
  // --agent: this run's engine's overrides, over the agents file's (the run keeps them).
  const overrides: AgentsFile | undefined =
    Object.keys(bindings.agents).length > 0
      ? { ...agents, agents: { ...agents?.agents, ...bindings.agents } }
      : agents;
  const driver = makeDriver(io, values, store, overrides, hooks);
  enterWorkdir(workdir);
  const start = namingAgentsFile(
    values.agents,
    driver.engine.start(workflow, inputs, {
      ...(values.id !== undefined && { id: values.id }),
      ...(values.replace && { replace: true }),
      ...(workdir !== undefined && { workdir }),
      ...(values.intent !== undefined && { intent: values.intent }),
    }),
  );
  const documentOf = () => ("diagnostics" in workflow ? workflow.document : workflow);
  const handle = await namingBindings(bindings, documentOf, start).catch((error: RuntimeError) => {
    if (error.code !== "run-exists") throw error;
    throw new RuntimeError("run-exists", `${error.message}: choose another --id, or --replace it`);
  });
  return follow(driver, handle, io, values, hint);
}

// ---------------------------------------------------------------- signal, resume

export async function signalCommand(args: string[], io: Io, hooks: RuntimeHooks): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...driving,
      approve: { type: "boolean", default: false },
      reject: { type: "boolean", default: false },
      feedback: { type: "string" },
      response: { type: "string" },
      approver: { type: "string" },
      state: { type: "string" },
    },
  });
  const id = oneRun(positionals, "signal");
  if (values.approve && values.reject)
    throw new UsageError("signal takes --approve or --reject, not both");
  // `--response TEXT` alone answers as AEGIS operators do: the text says approve or reject.
  if (!values.approve && !values.reject && values.response === undefined) {
    throw new UsageError("signal needs --approve, --reject or --response TEXT");
  }
  const approve = values.approve || values.reject ? values.approve : undefined;
  const { store, hint } = storeOf(values);
  const agents = values.agents !== undefined ? readAgentsFile(values.agents) : undefined;
  const { meta } = await store.load(id);
  const driver = makeDriver(io, values, store, agents, hooks);
  enterWorkdir(meta.workdir);
  const handle = await namingAgentsFile(
    values.agents,
    driver.engine.signal(id, {
      ...(approve !== undefined && { approve }),
      ...(values.feedback !== undefined && { feedback: values.feedback }),
      ...(values.response !== undefined && { response: values.response }),
      approver: values.approver ?? process.env.AEGIS_APPROVER ?? userName(),
      ...(values.state !== undefined && { state: values.state }),
    }),
  );
  if (!values.json) {
    const what =
      approve === undefined
        ? `answered ${id}: ${JSON.stringify(values.response)}`
        : `${approve ? "approved" : "rejected"} ${id}`;
    io.stdout(`${what}${values.feedback ? ` with feedback: ${values.feedback}` : ""}\n`);
  }
  return follow(driver, handle, io, values, hint);
}

function userName(): string | undefined {
  try {
    return process.env.USER ?? userInfo().username;
  } catch {
    return undefined;
  }
}

/** Whether a run waits at a gate whose timeout has passed (nobody drives it). */
function timeoutDue(r: Pick<RunSummary, "status" | "waiting">, now = Date.now()): boolean {
  const at = r.waiting?.timeoutAt;
  return r.status === "waiting" && at !== undefined && Date.parse(at) <= now;
}

/**
 * `aegis resume --due`: every run of the store waiting at a gate whose timeout has passed
 * goes on as its timeout prescribes (the default answer, or `timeout`). Each is resumed
 * under its lock, so two sweeps at once take each timeout once: the second finds the run
 * driven, or no longer waiting, and leaves it.
 */
async function resumeDue(
  values: {
    store?: string;
    agents?: string;
    json?: boolean;
    color?: boolean;
    "no-color"?: boolean;
    verbose?: boolean;
  },
  io: Io,
  hooks: RuntimeHooks,
): Promise<number> {
  const { store, hint } = storeOf(values);
  const agents = values.agents !== undefined ? readAgentsFile(values.agents) : undefined;
  const due = (await store.list()).filter((r) => !r.owner && timeoutDue(r));
  let code = 0;
  let taken = 0;
  const home = process.cwd();
  for (const summary of due) {
    const driver = makeDriver(io, values, store, agents, hooks);
    let handle: RunHandle;
    try {
      const loaded = await store.load(summary.id);
      if (!timeoutDue(loaded.record)) continue; // answered or taken since the list
      enterWorkdir(loaded.meta.workdir);
      handle = await namingAgentsFile(values.agents, driver.engine.resume(summary.id));
    } catch (error) {
      if (error instanceof RuntimeError && error.code === "run-locked") continue; // another sweep has it
      throw error;
    }
    taken += 1;
    if (!values.json)
      io.stdout(
        `run ${summary.id}: the gate ${summary.waiting?.state} timed out at ${summary.waiting?.timeoutAt}\n`,
      );
    code = Math.max(code, await follow(driver, handle, io, values, hint));
    process.chdir(home);
  }
  if (!values.json) io.stdout(`${taken} gate timeout(s) taken in ${store.location}\n`);
  return code;
}

export async function resumeCommand(args: string[], io: Io, hooks: RuntimeHooks): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...driving, due: { type: "boolean", default: false } },
  });
  if (values.due) {
    if (positionals.length > 0)
      throw new UsageError(
        "resume --due takes no run id: it resumes every run whose gate timeout is due",
      );
    return resumeDue(values, io, hooks);
  }
  const id = oneRun(positionals, "resume");
  const { store, hint } = storeOf(values);
  const agents = values.agents !== undefined ? readAgentsFile(values.agents) : undefined;
  const loaded = await store.load(id);
  if (loaded.recovery?.truncatedLine !== undefined && !values.json) {
    io.stderr(
      `aegis: the last line of run ${id}'s journal was cut short by a crash; it is ignored (and kept aside)\n`,
    );
  }
  const driver = makeDriver(io, values, store, agents, hooks);
  enterWorkdir(loaded.meta.workdir);
  const handle = await namingAgentsFile(values.agents, driver.engine.resume(id));
  return follow(driver, handle, io, values, hint);
}

// ---------------------------------------------------------------- cancel

export async function cancelCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, reason: { type: "string" } },
  });
  const id = oneRun(positionals, "cancel");
  const { store } = storeOf(values);
  const engine = createEngine({ store });
  const record = await engine.cancel(id, values.reason ?? `cancelled by ${userName() ?? "a user"}`);
  if (values.json) io.stdout(`${JSON.stringify(record, null, 2)}\n`);
  else io.stdout(`cancelled run ${id}${record.current ? ` (it was at ${record.current})` : ""}\n`);
  return 0;
}

// ---------------------------------------------------------------- status

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: common });
  const id = oneRun(positionals, "status");
  const { store, hint } = storeOf(values);
  const loaded = await store.load(id);
  const owner = await store.owner(id);
  const record = loaded.record;
  if (values.json) {
    io.stdout(`${jsonSafe({ ...record, ...(owner && { owner }) }, 2)}\n`);
    return 0;
  }
  const color = colorOf(values, io);
  const now = Date.now();
  const ago = (iso: string) => `${iso} (${formatElapsed(now - Date.parse(iso))} ago)`;
  const lines = [`run ${record.id} (${record.workflow})`];
  let status: string = record.status;
  if (record.status === "waiting" && record.waiting) {
    status = `waiting for a human at ${record.waiting.state} since ${record.waiting.since}`;
    if (record.waiting.timeoutAt) {
      status +=
        Date.parse(record.waiting.timeoutAt) <= now
          ? ` (its timeout is due since ${record.waiting.timeoutAt}: aegis resume --due${hint ? ` --store ${hint}` : ""} takes it)`
          : ` (times out at ${record.waiting.timeoutAt})`;
    }
  } else if (record.status === "running") {
    status = owner
      ? `running ${record.current ?? ""} (process ${owner.pid} drives it)`
      : `interrupted at ${record.current ?? "?"}: continue it with aegis resume ${record.id}${hint ? ` --store ${hint}` : ""}`;
  } else if (record.error) status += `: ${record.error.message} [${record.error.code}]`;
  lines.push(`  status    ${status}`);
  lines.push(`  started   ${ago(record.startedAt)}`);
  lines.push(`  updated   ${ago(record.updatedAt)}`);
  lines.push(`  inputs    ${JSON.stringify(record.inputs)}`);
  if (record.intent !== undefined) lines.push(`  intent    ${JSON.stringify(record.intent)}`);
  lines.push(
    `  usage     ${record.transitions} transitions, ${record.agentCalls} agent calls${record.costUsd > 0 ? `, $${record.costUsd.toFixed(4)}` : ""}`,
  );
  if (loaded.meta.parent) {
    lines.push(`  parent    run ${loaded.meta.parent.run}, state ${loaded.meta.parent.state}`);
  }
  // The id its agent knows the conversation by: `claude --resume ID` opens it, for one.
  for (const [name, session] of Object.entries(record.sessions ?? {})) {
    const turns = `${session.turns} turn${session.turns === 1 ? "" : "s"}`;
    const id = session.providerId ?? session.id;
    const unsettled = session.unsettled ? "; the last call's answer was not recorded" : "";
    lines.push(`  session   ${name}: agent ${session.agent}, ${turns}, id ${id}${unsettled}`);
  }
  if (loaded.recovery?.rebuilt)
    lines.push(`  note      record rebuilt from the journal (${loaded.recovery.rebuilt})`);
  if (loaded.recovery?.truncatedLine) {
    lines.push(
      `  note      the journal's line ${loaded.recovery.truncatedLine} was cut short by a crash and is ignored`,
    );
  }
  lines.push("", "  STATE            STATUS       TIME");
  for (const row of stateRows(record, !!owner)) {
    lines.push(`  ${row.state.padEnd(16)} ${row.status.padEnd(12)} ${row.time}`);
  }
  io.stdout(`${terminalSafe(lines.join("\n"))}\n\n`);
  if (record.status !== "running")
    io.stdout(outcomeText(record, { color, ...(hint && { store: hint }) }));
  return 0;
}

function stateRows(
  record: RunRecord,
  driven: boolean,
): { state: string; status: string; time: string }[] {
  const rows: { state: string; status: string; time: string; at: string }[] = [];
  for (const h of record.history) {
    if (h.status === "entered") {
      rows.push({ state: h.state, status: "entered", time: "", at: h.at });
      continue;
    }
    const row = [...rows].reverse().find((r) => r.state === h.state);
    if (!row || h.to !== undefined) continue;
    row.status = h.status;
    if (h.status !== "waiting") row.time = formatElapsed(Date.parse(h.at) - Date.parse(row.at));
  }
  for (const row of rows) {
    if (row.status !== "entered") continue;
    const final = record.current === row.state && record.status !== "running";
    row.status = final
      ? "final"
      : driven
        ? "running"
        : record.status === "running"
          ? "interrupted"
          : "entered";
  }
  return rows.map(({ at: _at, ...row }) => row);
}

// ---------------------------------------------------------------- logs

export async function logsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...common, follow: { type: "boolean", short: "f", default: false } },
  });
  const id = oneRun(positionals, "logs");
  const { store } = storeOf(values);
  const printer = new Progress({
    mode: values.json ? "json" : "plain",
    write: io.stdout,
    run: id,
    verbose: true,
  });
  if (!values.follow) {
    for (const o of await store.readLog(id)) printer.observe(o);
    return 0;
  }
  await store.load(id); // a clear error for an unknown or damaged run
  const ended = async (seen: RunObservation[]) => {
    if (seen.some((o) => o.type === "run-finished" && o.run === id)) return true;
    const { record } = await store.load(id);
    return record.status !== "running" && record.status !== "waiting" && !(await store.owner(id));
  };
  for await (const o of followLog(store, id, { until: ended, intervalMs: 200 })) printer.observe(o);
  return 0;
}

// ---------------------------------------------------------------- list

export async function listCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: common });
  if (positionals.length > 0) throw new UsageError("list takes no arguments");
  const { store } = storeOf(values);
  // Read only: a due gate timeout is shown as due, and taken by `aegis resume --due`.
  const runs = await store.list();
  if (values.json) {
    io.stdout(`${jsonSafe(runs, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    io.stdout(`no runs in ${store.location}\n`);
    return 0;
  }
  const rows = runs.map((r) => [r.id, r.workflow, describeStatus(r), r.updatedAt]);
  const header = ["RUN", "WORKFLOW", "STATUS", "UPDATED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  io.stdout(`${terminalSafe([line(header), ...rows.map(line)].join("\n"))}\n`);
  return 0;
}

function describeStatus(r: RunSummary): string {
  if (r.problem) return `unreadable: ${r.problem.code}`;
  switch (r.status) {
    case "waiting":
      return `waiting at ${r.waiting?.state ?? r.current ?? "?"}${timeoutDue(r) ? ` (timeout due since ${r.waiting?.timeoutAt})` : ""}`;
    case "running":
      return r.owner ? `running ${r.current ?? ""}`.trim() : `interrupted at ${r.current ?? "?"}`;
    case "failed":
      return `failed${r.error?.state ? ` at ${r.error.state}` : ""}`;
    default:
      return r.status;
  }
}
