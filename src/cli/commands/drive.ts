// The commands that drive a run: run (start one), signal (answer its gate and go on),
// resume (go on after a crash, or take due gate timeouts). They load the engine.
import { readFileSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  compileWorkflowModule,
  isWorkflowModule,
  loadWorkflowModule,
} from "../../builder/module.ts";
import { type CompileResult, compileFiles } from "../../compiler/compile.ts";
import type { GraphDocument } from "../../compiler/graph.ts";
import { formatText } from "../../compiler/report/text.ts";
import { createEngine, type Engine, type RunHandle } from "../../runtime/engine.ts";
import { parseParam } from "../../runtime/inputs.ts";
import type { FileStore } from "../../runtime/store/file.ts";
import {
  type AgentFunction,
  type RunObservation,
  type RunRecord,
  RuntimeError,
} from "../../runtime/types.ts";
import { namingBindings, parseAgentBindings } from "../agent-bindings.ts";
import { type AgentsFile, readAgentsFile } from "../agents-file.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { type Io, type RuntimeHooks, useColor } from "../io.ts";
import { outcomeText, Progress, type ProgressMode } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";
import { type Common, driving, oneRun, storeOf, timeoutDue, userName } from "../run-store.ts";

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

interface WorkflowToRun {
  workflow?: CompileResult | GraphDocument;
  exit?: number;
  schema?: Record<string, unknown>;
  /** A module's function agents (aegis-workflows/builder). */
  functions?: Record<string, AgentFunction>;
}

/**
 * A workflow to run: source (compiled here), a module that builds one (imported, then
 * compiled), or a compiled graph (`aegis compile --out`).
 */
async function workflowOf(file: string, io: Io, color: boolean): Promise<WorkflowToRun> {
  if (isWorkflowModule(file)) {
    const compiled = await compileWorkflowModule(file);
    if ("error" in compiled) {
      io.stderr(`aegis: ${compiled.error}\n`);
      return { exit: 2 };
    }
    return { ...checked(compiled.result, file, io, color), functions: compiled.functions };
  }
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
  return checked(result, file, io, color);
}

/** A compiled workflow with its findings shown; not run when it has errors. */
function checked(result: CompileResult, file: string, io: Io, color: boolean): WorkflowToRun {
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
  functions: Record<string, AgentFunction> = {},
): Driver {
  const early: RunObservation[] = [];
  let progress: Progress | undefined;
  const engine = createEngine({
    store,
    ...(agents && { agents: agents.agents }),
    ...(hooks.executor && { executor: hooks.executor }),
    functions: { ...functions, ...hooks.functions },
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
        color: useColor(values, io),
        verbose: !!values.verbose,
        columns: () => process.stdout.columns ?? 100,
      });
      for (const o of early.splice(0)) progress.observe(o);
      return progress;
    },
  };
}

/**
 * The function agents of the module a run was started from (aegis-workflows/builder),
 * loaded again to go on with it: by name, as the workflow registered them. A module that
 * cannot be loaded is said once; the run goes on, and a state that needs one of its
 * functions fails as a function that is not there does.
 */
async function moduleFunctions(
  meta: { module?: string },
  io: Io,
): Promise<Record<string, AgentFunction>> {
  if (meta.module === undefined) return {};
  const loaded = await loadWorkflowModule(meta.module);
  if ("error" in loaded) {
    io.stderr(`aegis: the run's functions are not loaded: ${loaded.error}\n`);
    return {};
  }
  return { ...loaded.workflow.functions };
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
    io.stdout(outcomeText(record, { color: useColor(values, io), ...(hint && { store: hint }) }));
  }
  if (interrupted || record.status === "running") return 130;
  return record.status === "succeeded" || record.status === "waiting" ? 0 : 1;
}

export async function runCommand(args: string[], io: Io, hooks: RuntimeHooks): Promise<number> {
  const { values, positionals } = parseCommandArgs("run", {
    args,
    allowPositionals: true,
    options: {
      ...driving,
      ...serverOption,
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
  const remote = remoteOf(values, "run");
  if (remote) {
    // A server runs what is deployed to it, by name.
    const { refuseLocal, remoteRun } = await import("../remote-runs.ts");
    refuseLocal(values, "run", remote);
    const inputs = await inputOf(values.input);
    return remoteRun(remote, positionals[0]!, inputs, values.param ?? [], values, io);
  }
  const color = useColor(values, io);
  const { workflow, exit, schema, functions } = await workflowOf(positionals[0]!, io, color);
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
  const driver = makeDriver(io, values, store, overrides, hooks, functions);
  const module = functions ? resolve(positionals[0]!) : undefined;
  enterWorkdir(workdir);
  const start = namingAgentsFile(
    values.agents,
    driver.engine.start(workflow, inputs, {
      ...(values.id !== undefined && { id: values.id }),
      ...(values.replace && { replace: true }),
      ...(workdir !== undefined && { workdir }),
      ...(module !== undefined && { module }),
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

export async function signalCommand(args: string[], io: Io, hooks: RuntimeHooks): Promise<number> {
  const { values, positionals } = parseCommandArgs("signal", {
    args,
    allowPositionals: true,
    options: {
      ...driving,
      ...serverOption,
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
  const remote = remoteOf(values, "signal");
  if (remote) {
    const { refuseLocal, remoteSignal } = await import("../remote-runs.ts");
    refuseLocal(values, "signal", remote);
    const answer = {
      ...(approve !== undefined && { approve }),
      ...(values.feedback !== undefined && { feedback: values.feedback }),
      ...(values.response !== undefined && { response: values.response }),
      ...(values.state !== undefined && { state: values.state }),
    };
    return remoteSignal(remote, id, answer, values, io);
  }
  const { store, hint } = storeOf(values);
  const agents = values.agents !== undefined ? readAgentsFile(values.agents) : undefined;
  const { meta } = await store.load(id);
  const driver = makeDriver(io, values, store, agents, hooks, await moduleFunctions(meta, io));
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
    let driver: Driver;
    let handle: RunHandle;
    try {
      const loaded = await store.load(summary.id);
      if (!timeoutDue(loaded.record)) continue; // answered or taken since the list
      driver = makeDriver(io, values, store, agents, hooks, await moduleFunctions(loaded.meta, io));
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
  const { values, positionals } = parseCommandArgs("resume", {
    args,
    allowPositionals: true,
    options: { ...driving, ...serverOption, due: { type: "boolean", default: false } },
  });
  const remote = remoteOf(values, "resume");
  if (remote) {
    const { refuseLocal, remoteResume } = await import("../remote-runs.ts");
    refuseLocal(values, "resume", remote);
    return remoteResume(remote, oneRun(positionals, "resume"), values, io);
  }
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
  const { status } = loaded.record;
  if (status === "succeeded" || status === "failed" || status === "cancelled") {
    throw new RuntimeError(
      "not-resumable",
      `run '${id}' has already ${status === "cancelled" ? "been cancelled" : status}; there is nothing to resume`,
    );
  }
  if (loaded.recovery?.truncatedLine !== undefined && !values.json) {
    io.stderr(
      `aegis: the last line of run ${id}'s journal was cut short by a crash; it is ignored (and kept aside)\n`,
    );
  }
  const driver = makeDriver(
    io,
    values,
    store,
    agents,
    hooks,
    await moduleFunctions(loaded.meta, io),
  );
  enterWorkdir(loaded.meta.workdir);
  const handle = await namingAgentsFile(values.agents, driver.engine.resume(id));
  return follow(driver, handle, io, values, hint);
}
