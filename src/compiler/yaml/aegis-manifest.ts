// AEGIS workflow manifests (apiVersion: 100monkeys.ai/v1, kind: Workflow) → AST.
// Defaults and ranges are that format's (visits 1–20, default 5; transitions 1–100,
// default 50), written into the AST explicitly so that `aegis convert` shows them.
import type { Node } from "yaml";
import type {
  AgentDecl,
  Expr,
  ImportDecl,
  InputDecl,
  Named,
  SourceFileAst,
  Span,
  StateDecl,
  StateSetting,
  StateStatement,
  Template,
  TransitionDecl,
  TypeExpr,
  Value,
  WorkflowDecl,
} from "../ast.ts";
import { MAX_DURATION_MS, parseDuration } from "../cst-to-ast.ts";
import { article, hintFor } from "../diagnostics.ts";
import { isName, reservedWords } from "../lexer.ts";
import { parseExpression } from "../parse.ts";
import { type Context, isMap, isScalar, type MapReader, type YAMLMap } from "./reader.ts";

const stateKinds = [
  "Agent",
  "System",
  "Human",
  "ParallelAgents",
  "ContainerRun",
  "ParallelContainerRun",
  "Subworkflow",
] as const;
const conditions = [
  "always",
  "on_success",
  "on_failure",
  "exit_code_zero",
  "exit_code_non_zero",
  "exit_code",
  "score_above",
  "score_below",
  "score_between",
  "confidence_above",
  "score_and_confidence",
  "score_and_confidence_above",
  "consensus",
  "all_approved",
  "any_rejected",
  "input_equals",
  "input_equals_yes",
  "input_equals_no",
  "custom",
] as const;

/** An Agent state's `isolation` (IsolationMode in the orchestrator's domain/workflow.rs). */
const isolationModes = ["inherit", "firecracker", "docker", "process"] as const;
/** A ContainerRun's `image_pull_policy` (ImagePullPolicy, domain/shared_kernel.rs). */
const pullPolicies = ["Always", "IfNotPresent", "Never"] as const;

/** The one version of the format (WorkflowParser::validate_and_convert). */
const API_VERSION = "100monkeys.ai/v1";

/** Terminal states whose name says failure end the run as failed. */
const failureName = /fail|error|abort|reject|cancel/i;

// ------------------------------------------------------------ small AST builders

/** A bare name made from any text: `my.workflow` → `my_workflow`. */
export function toName(text: string): string {
  const cleaned = text
    .replace(/[^A-Za-z0-9_-]/g, "_")
    .replace(/-+$/, "")
    .replace(/-{2,}/g, "-");
  const name = /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
  return reservedWords.has(name) ? `${name}_` : name;
}

export function path(names: string[], span: Span): Expr {
  return { kind: "path", segments: names.map((name) => ({ name, span })), span };
}
export function literal(value: string | number | boolean, span: Span): Expr {
  return { kind: "literal", value, span };
}
export function binary(
  op: Expr & { kind: "binary" } extends { op: infer O } ? O : never,
  left: Expr,
  right: Expr,
  span: Span,
): Expr {
  return { kind: "binary", op, left, right, span };
}
export function stringValue(template: Template): Value {
  return { kind: "string", value: template.text, span: template.span, template };
}
export function plainTemplate(text: string, span: Span): Template {
  return { kind: "template", text, span, map: [0, span.start] };
}

/** `"180s"`, `"10m"`, `"1h30m"`, or a number of seconds. */
export function readDuration(m: MapReader, key: string): { ms: number; span: Span } | undefined {
  const node = m.node_(key);
  if (node === undefined || node === null) return undefined;
  const span = m.keySpan(key);
  if (isScalar(node)) {
    const raw = node.value;
    const ms =
      typeof raw === "number" && raw > 0
        ? Math.round(raw * 1000)
        : typeof raw === "string" &&
            /^\s*\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:ms|s|m|h|d))*\s*$/.test(raw)
          ? parseDuration(raw.trim())
          : undefined;
    if (ms !== undefined && ms <= MAX_DURATION_MS) return { ms, span };
    if (ms !== undefined) {
      m.report_("AEG705", `'${key}' must be at most 3650 days`, node);
      return undefined;
    }
  }
  m.report_(
    "AEG705",
    `'${key}' must be a duration such as "30s", "10m", "24h" (or a number of seconds)`,
    node,
  );
  return undefined;
}

export function lowerAegisManifest(ctx: Context, root: YAMLMap): SourceFileAst {
  const top = ctx.map(root, "the manifest");
  const apiVersion = top.string("apiVersion", true);
  // The orchestrator compares it with exactly this text (workflow_parser.rs).
  if (apiVersion && apiVersion.value !== API_VERSION) {
    ctx.reader.report(
      "AEG713",
      `apiVersion '${apiVersion.value}' is not ${API_VERSION}, the AEGIS manifest version`,
      apiVersion.span,
      `write apiVersion: ${API_VERSION}`,
    );
  }
  const kind = top.string("kind", true);
  if (kind && kind.value !== "Workflow") {
    ctx.reader.report(
      "AEG104",
      `kind '${kind.value}' is not supported here; expected Workflow`,
      kind.span,
    );
  }
  const imports: ImportDecl[] = [];
  const metadata = top.map("metadata", true);
  const spec = top.map("spec", true);
  const givenName = metadata?.named("name", true);
  if (givenName) checkWorkflowName(ctx, givenName);
  const name = givenName ?? { name: "workflow", span: top.span };
  const wf: WorkflowDecl = {
    name,
    inputs: [],
    secrets: [],
    agents: [],
    states: [],
    span: top.span,
  };
  if (metadata) readMetadata(ctx, metadata, wf);
  top.finish(["apiVersion", "kind", "metadata", "spec"]);
  if (spec) readSpec(ctx, spec, wf, imports);
  if (!metadata?.has("input_schema")) {
    // No input_schema: the orchestrator validates nothing, the run takes any inputs.
    wf.inputs = inferInputs(ctx.reader.text);
    wf.otherInputs = { span: metadata?.span ?? top.span };
  }
  return { dialect: "aegis-manifest", imports, workflow: wf, span: top.span };
}

/**
 * AEG714: metadata.name must be a DNS label, as WorkflowMetadata::validate_name has it: 1–63
 * characters, lowercase ASCII letters, digits and `-`, a letter or digit at both ends.
 */
function checkWorkflowName(ctx: Context, name: Named): void {
  const text = name.name;
  const problem =
    text.length === 0 || text.length > 63
      ? `is ${text.length} characters long; a workflow name has 1 to 63`
      : !/^[a-z0-9-]*$/.test(text)
        ? "has characters other than lowercase letters, digits and '-'"
        : !/^[a-z0-9].*[a-z0-9]$|^[a-z0-9]$/.test(text)
          ? "must start and end with a lowercase letter or digit"
          : undefined;
  if (!problem) return;
  const label = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  ctx.reader.report(
    "AEG714",
    `workflow name '${text}' is not a DNS label: it ${problem}`,
    name.span,
    label
      ? `the AEGIS orchestrator names workflows with DNS labels, e.g. '${label}'`
      : "the AEGIS orchestrator names workflows with DNS labels: lowercase letters, digits and '-'",
  );
}

/**
 * A manifest without input_schema takes any inputs; each `input.NAME` its templates use is
 * also declared, as an optional input of any type (so that `aegis convert` shows them).
 */
function inferInputs(text: string): InputDecl[] {
  const inputs = new Map<string, InputDecl>();
  for (const mustache of text.matchAll(/\{\{\{?[^}]*\}\}/g)) {
    for (const m of mustache[0].matchAll(/(?<![\w.])input\.([A-Za-z_][A-Za-z0-9_]*)/g)) {
      const name = m[1]!;
      if (inputs.has(name)) continue;
      const start = mustache.index + m.index + "input.".length;
      const span = { start, end: start + name.length };
      inputs.set(name, {
        name: { name, span },
        optional: true,
        type: { kind: "named", name: "any", args: [], span },
        span,
      });
    }
  }
  return [...inputs.values()];
}

function readMetadata(ctx: Context, m: MapReader, wf: WorkflowDecl): void {
  const version = m.string("version");
  if (version) wf.version = { value: version.value, span: version.span };
  const description = m.template("description");
  if (description) wf.description = description;
  for (const key of ["labels", "annotations"] as const) {
    const v = m.value(key);
    if (v?.kind === "object") wf[key] = v;
    else if (v) ctx.reader.report("AEG705", `'${key}' must be a mapping`, v.span);
  }
  const inputSchema = m.map("input_schema");
  if (inputSchema) {
    // `additionalProperties: true` says in JSON Schema what aegis's `input *` says.
    if (inputSchema.peek("additionalProperties") === true)
      wf.otherInputs = { span: inputSchema.keySpan("additionalProperties") };
    wf.inputs = readInputSchema(ctx, inputSchema);
  }
  const outputSchema = m.value("output_schema");
  if (outputSchema?.kind === "object") wf.outputSchema = outputSchema;
  else if (outputSchema)
    ctx.reader.report("AEG705", "'output_schema' must be a mapping", outputSchema.span);
  const outputTemplate = m.value("output_template");
  if (outputTemplate?.kind === "string") wf.output = outputTemplate.template;
  else if (outputTemplate?.kind === "object") wf.outputFields = outputTemplate;
  else if (outputTemplate)
    ctx.reader.report(
      "AEG705",
      "'output_template' must be a string or a mapping of strings",
      outputTemplate.span,
    );
  // Discovery metadata of the AEGIS registry; no meaning for a run.
  m.accept("scope", "tags");
  m.finish([
    "name",
    "version",
    "description",
    "labels",
    "annotations",
    "input_schema",
    "output_schema",
    "output_template",
    "scope",
    "tags",
  ]);
}

function schemaType(ctx: Context, schema: MapReader): TypeExpr | undefined {
  const span = schema.span;
  const enumValues = schema.list("enum");
  if (enumValues) {
    const members: TypeExpr[] = [];
    for (const v of enumValues) {
      if (isScalar(v) && (typeof v.value === "string" || typeof v.value === "number")) {
        members.push({ kind: "literal", value: v.value, span: ctx.reader.span(v) });
      }
    }
    schema.accept("type");
    return members.length === 1 ? members[0] : { kind: "union", members, span };
  }
  const type = schema.string("type");
  if (!type) return { kind: "named", name: "any", args: [], span };
  const simple: Record<string, string> = {
    string: "string",
    number: "number",
    integer: "integer",
    boolean: "boolean",
    object: "object",
  };
  if (type.value === "array") {
    const items = schema.map("items");
    const item = items ? schemaType(ctx, items) : undefined;
    items?.finish([...schemaKeys]);
    return { kind: "named", name: "list", args: item ? [item] : [], span: type.span };
  }
  const named = simple[type.value];
  if (!named) {
    ctx.reader.report(
      "AEG705",
      `unsupported input type '${type.value}'`,
      type.span,
      "types are string, number, integer, boolean, object, array",
    );
    return { kind: "named", name: "any", args: [], span: type.span };
  }
  return { kind: "named", name: named, args: [], span: type.span };
}

/** JSON Schema keywords accepted in an input's schema (beyond what becomes its type). */
const schemaKeys = [
  "type",
  "enum",
  "items",
  "description",
  "default",
  "properties",
  "required",
  "additionalProperties",
  "format",
  "pattern",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "examples",
  "title",
] as const;

function readInputSchema(ctx: Context, schema: MapReader): InputDecl[] {
  schema.accept("type", "$schema", "additionalProperties", "title", "description");
  const properties = schema.map("properties");
  const requiredList = (schema.list("required") ?? []).flatMap((n) =>
    isScalar(n) ? [String(n.value)] : [],
  );
  schema.finish([
    "type",
    "properties",
    "required",
    "additionalProperties",
    "$schema",
    "title",
    "description",
  ]);
  if (!properties) return [];
  const inputs: InputDecl[] = [];
  for (const [key, pair] of properties.pairs) {
    const node = ctx.resolve(pair.value);
    const nameSpan = ctx.reader.span(pair.key);
    properties.accept(key);
    if (!node || !isMap(node)) {
      ctx.reader.report("AEG705", `the schema of input '${key}' must be a mapping`, nameSpan);
      continue;
    }
    const prop = ctx.map(node, `input '${key}'`);
    const input: InputDecl = {
      name: { name: key, span: nameSpan },
      optional: false,
      span: ctx.reader.span(pair),
    };
    const type = schemaType(ctx, prop);
    if (type) input.type = type;
    const def = prop.value("default");
    if (def) input.default = def;
    const description = prop.template("description");
    if (description) input.description = description;
    prop.accept(...schemaKeys);
    prop.finish([...schemaKeys]);
    input.optional = !requiredList.includes(key) && !def;
    inputs.push(input);
  }
  return inputs;
}

function readSpec(ctx: Context, spec: MapReader, wf: WorkflowDecl, imports: ImportDecl[]): void {
  const context = spec.value("context");
  if (context?.kind === "object") wf.context = context;
  else if (context) ctx.reader.report("AEG705", "'context' must be a mapping", context.span);
  const initial = spec.named("initial_state", true);
  if (initial) wf.start = { ...initial, keywordSpan: spec.keySpan("initial_state") };
  else {
    // Reported above (AEG707); start at the first state so nothing else echoes it.
    const first = spec.map("states")?.pairs.keys().next().value;
    if (first) wf.start = { name: first, span: spec.span, keywordSpan: spec.span };
  }
  const storage = spec.value("storage");
  if (storage?.kind === "object") wf.storage = storage;
  else if (storage) ctx.reader.report("AEG705", "'storage' must be a mapping", storage.span);
  const volumes = sharedVolumes(storage);
  const transitions = spec.number("max_total_transitions");
  const transitionsValue = transitions?.value ?? 50;
  if (
    transitions &&
    (!Number.isInteger(transitions.value) || transitions.value < 1 || transitions.value > 100)
  ) {
    ctx.reader.report(
      "AEG104",
      "max_total_transitions must be a whole number from 1 to 100",
      transitions.span,
    );
  }
  const limitsSpan = transitions?.span ?? spec.span;
  wf.limits = {
    kind: "object",
    entries: [
      {
        key: { name: "transitions", span: limitsSpan },
        value: {
          kind: "number",
          value: Math.min(100, Math.max(1, Math.round(transitionsValue))),
          span: limitsSpan,
        },
        span: limitsSpan,
      },
    ],
    span: limitsSpan,
  };
  const states = spec.map("states", true);
  spec.finish(["context", "initial_state", "storage", "max_total_transitions", "states"]);
  if (!states) return;
  const agents = new Map<string, AgentDecl>();
  const declareAgent = (n: Named) => {
    if (!agents.has(n.name)) agents.set(n.name, { name: n, args: [], options: [], span: n.span });
  };
  const needsEnd: StateDecl[] = [];
  for (const [stateName, pair] of states.pairs) {
    states.accept(stateName);
    const node = ctx.resolve(pair.value);
    const nameSpan = ctx.reader.span(pair.key);
    if (!node || !isMap(node)) {
      ctx.reader.report("AEG705", `state '${stateName}' must be a mapping`, nameSpan);
      continue;
    }
    if (!isName(stateName)) {
      ctx.reader.report(
        "AEG104",
        `'${stateName}' cannot be a state name: use letters, digits, _ and inner -`,
        nameSpan,
      );
      continue;
    }
    const state = readState(
      ctx,
      ctx.map(node, `state '${stateName}'`),
      { name: stateName, span: nameSpan },
      imports,
      declareAgent,
      volumes,
    );
    if (!state) continue;
    if (state.kind !== "final" && !state.final && !exhaustive(state.transitions))
      needsEnd.push(state);
    wf.states.push(state);
  }
  // The AEGIS engine ends a run at a state none of whose transitions match; aegis fails it
  // instead, so that gap is made explicit: an `otherwise` to a final state.
  if (needsEnd.length > 0) {
    const names = new Set(wf.states.map((s) => s.name.name));
    let endName = "COMPLETED";
    for (let i = 2; names.has(endName); i++) endName = `COMPLETED_${i}`;
    for (const state of needsEnd) {
      state.transitions.push({
        otherwise: true,
        target: { name: endName, span: state.name.span },
        span: state.name.span,
      });
    }
    const span = needsEnd[0]!.name.span;
    wf.states.push({
      name: { name: endName, span },
      kind: "final",
      kindSpan: span,
      final: { outcome: "success", span },
      settings: [],
      statements: [],
      transitions: [],
      span,
    });
  }
  wf.agents = [...agents.values()];
}

/**
 * The names spec.storage.shared_volumes declares, or undefined when it declares none: the
 * orchestrator then checks no mount's name (Workflow::new, "opt-in per ADR-050").
 */
function sharedVolumes(storage: Value | undefined): string[] | undefined {
  if (storage?.kind !== "object") return undefined;
  const list = storage.entries.find((e) => e.key.name === "shared_volumes")?.value;
  if (list?.kind !== "list" || list.items.length === 0) return undefined;
  return list.items.flatMap((item) => {
    if (item.kind !== "object") return [];
    const name = item.entries.find((e) => e.key.name === "name")?.value;
    return name?.kind === "string" ? [name.value] : [];
  });
}

/** Whether some transition always matches (so the engines agree on what happens next). */
function exhaustive(transitions: TransitionDecl[]): boolean {
  const labels = new Set(
    transitions.map((t) =>
      t.otherwise ? "otherwise" : t.condition ? conditionKey(t.condition) : "",
    ),
  );
  return (
    labels.has("otherwise") ||
    labels.has("always") ||
    (labels.has("success") && labels.has("failure")) ||
    (labels.has("approved") && labels.has("rejected")) ||
    (labels.has("exit_code==0") && labels.has("exit_code!=0"))
  );
}

function conditionKey(e: Expr): string {
  if (e.kind === "path") return e.segments.map((s) => ("name" in s ? s.name : s.index)).join(".");
  if (e.kind === "binary" && e.left.kind === "path" && e.right.kind === "literal")
    return `${conditionKey(e.left)}${e.op}${e.right.value}`;
  return "";
}

function readState(
  ctx: Context,
  m: MapReader,
  name: Named,
  imports: ImportDecl[],
  declareAgent: (n: Named) => void,
  volumes: string[] | undefined,
): StateDecl | undefined {
  const kindField = m.string("kind", true);
  const kind = stateKinds.find((k) => k === kindField?.value);
  if (!kind) {
    if (kindField) {
      ctx.reader.report(
        "AEG104",
        `unknown state kind '${kindField.value}'`,
        kindField.span,
        hintFor(kindField.value, stateKinds) ?? `kinds are ${stateKinds.join(", ")}`,
      );
    }
    // Keep the state, as a plain branch, so that transitions to and from it still check.
    const placeholder: StateDecl = {
      name,
      kind: "branch",
      kindSpan: kindField?.span ?? name.span,
      settings: [],
      statements: [],
      transitions: [],
      span: m.span,
    };
    for (const t of m.list("transitions") ?? []) {
      const tr = readTransition(ctx, t);
      if (tr) placeholder.transitions.push(tr);
    }
    if (placeholder.transitions.length === 0)
      placeholder.final = { outcome: "success", span: name.span };
    m.accept(...m.pairs.keys());
    return placeholder;
  }
  const state: StateDecl = {
    name,
    kind: "agent",
    kindSpan: kindField?.span ?? name.span,
    settings: [],
    statements: [],
    transitions: [],
    span: m.span,
  };
  const settings: StateSetting[] = state.settings;
  const statements: StateStatement[] = state.statements;
  const common = ["kind", "timeout", "max_state_visits", "transitions"];
  const timeout = readDuration(m, "timeout");
  if (timeout) settings.push({ kind: "timeout", ms: timeout.ms, span: timeout.span });
  const visits = m.number("max_state_visits");
  if (visits && (!Number.isInteger(visits.value) || visits.value < 1 || visits.value > 20)) {
    ctx.reader.report(
      "AEG104",
      "max_state_visits must be a whole number from 1 to 20",
      visits.span,
    );
  }
  const visitSpan = visits?.span ?? name.span;
  settings.push({
    kind: "visits",
    value: Math.min(20, Math.max(1, Math.round(visits?.value ?? 5))),
    span: visitSpan,
  });

  const fields: string[] = [];
  const tpl = (key: string, as: "prompt" | "intent", required = false) => {
    fields.push(key);
    const t = m.template(key, required);
    if (t) statements.push({ kind: as, template: t, span: t.span });
  };
  switch (kind) {
    case "Agent": {
      state.kind = "agent";
      fields.push(
        "agent",
        "intent",
        "input",
        "judges",
        "max_iterations",
        "isolation",
        "pre_execution_validator",
        "output_handler",
      );
      const agent = m.string("agent", true);
      // A name the language cannot write bare (a template, a path) stays a string.
      if (agent && !isName(agent.value)) state.agentTemplate = ctx.template(agent.node);
      else if (agent) {
        state.agent = { name: agent.value, span: agent.span };
        declareAgent(state.agent);
      }
      tpl("intent", "intent");
      tpl("input", "prompt");
      for (const judge of m.list("judges") ?? [])
        readJudge(ctx, judge, statements, declareAgent, "judge");
      const iterations = m.count("max_iterations");
      if (iterations)
        statements.push({ kind: "iterations", value: iterations.value, span: iterations.span });
      const isolation = m.string("isolation");
      if (isolation && !isolationModes.some((i) => i === isolation.value)) {
        ctx.reader.report(
          "AEG104",
          `isolation must be one of ${isolationModes.join(", ")}`,
          isolation.span,
          hintFor(isolation.value, isolationModes),
        );
      }
      // `inherit` (the default) leaves it to the node, as aegis leaves it to the provider.
      else if (isolation && isolation.value !== "inherit")
        noEffect(ctx, m, "isolation", "an agent runs however its provider runs it");
      if (m.named("pre_execution_validator"))
        noEffect(
          ctx,
          m,
          "pre_execution_validator",
          "aegis has no validation of an agent's input before the agent runs; the agent runs",
        );
      stateOutputHandler(ctx, m);
      break;
    }
    case "System": {
      state.kind = "run";
      fields.push("command", "env", "workdir");
      const command = m.value("command");
      if (!command) m.missing("command");
      else state.command = command;
      readEnvWorkdir(m, statements);
      break;
    }
    case "Human": {
      state.kind = "human";
      fields.push("prompt", "default_response");
      tpl("prompt", "prompt");
      const def = m.value("default_response");
      if (def) statements.push({ kind: "default", value: def, span: def.span });
      break;
    }
    case "ParallelAgents": {
      state.kind = "parallel";
      fields.push("agents", "consensus", "judges_for_parallel", "output_handler");
      const agents = m.list("agents") ?? [];
      if (agents.length === 0) m.missing("agents");
      for (const judge of agents) readJudge(ctx, judge, statements, declareAgent, "agent");
      const consensus = m.map("consensus");
      if (consensus)
        statements.push({
          kind: "consensus",
          config: readConsensus(ctx, consensus),
          span: consensus.span,
        });
      const outer = m.list("judges_for_parallel") ?? [];
      // Checked as judges, but not declared as agents: they never run.
      for (const judge of outer) readJudge(ctx, judge, [], () => {}, "judge");
      if (outer.length > 0)
        noEffect(
          ctx,
          m,
          "judges_for_parallel",
          "aegis has no second round of judges over the agents' combined output",
        );
      stateOutputHandler(ctx, m);
      break;
    }
    case "ContainerRun": {
      state.kind = "container";
      readContainer(ctx, m, state, fields, volumes);
      break;
    }
    case "ParallelContainerRun": {
      state.kind = "containers";
      fields.push("steps", "completion");
      const steps = m.list("steps") ?? [];
      if (steps.length === 0) m.missing("steps");
      /** Each step's name as written, where it first is: the orchestrator compares them so. */
      const stepNames = new Map<string, Span>();
      for (const step of steps) {
        if (!isMap(step)) {
          ctx.reader.report(
            "AEG705",
            "a step is a mapping with 'name', 'image' and 'command'",
            ctx.reader.span(step),
          );
          continue;
        }
        const s = ctx.map(step, "a container step");
        const stepName = s.named("name", true);
        if (stepName) blankName(ctx, stepName, "a ParallelContainerRun step");
        const first = stepName && stepNames.get(stepName.name);
        if (stepName && first) {
          ctx.reader.report(
            "AEG717",
            `state '${name.name}' has two steps named '${stepName.name}'`,
            stepName.span,
            "give each step its own name: its output is kept under the step's name",
            [{ file: ctx.reader.file, span: first, message: "the first step of that name" }],
          );
        } else if (stepName) stepNames.set(stepName.name, stepName.span);
        const image = s.template("image", true);
        const entries: (Value & { kind: "object" })["entries"] = [];
        const shell = s.boolean("shell")?.value === true;
        for (const key of ["command", "env", "workdir"]) {
          const found = s.value(key);
          const v = key === "command" && shell && found ? joinedCommand(found) : found;
          if (v) entries.push({ key: { name: key, span: s.keySpan(key) }, value: v, span: v.span });
        }
        if (s.string("registry_credentials")) noCredentials(ctx, s);
        if (s.value("resources"))
          noEffect(
            ctx,
            s,
            "resources",
            "aegis sets no limits on the containers of a ParallelContainerRun state",
          );
        const mounts = readVolumes(ctx, s, volumes);
        if (mounts)
          entries.push({
            key: { name: "volumes", span: mounts.span },
            value: mounts,
            span: mounts.span,
          });
        s.finish([
          "name",
          "image",
          "command",
          "env",
          "workdir",
          "volumes",
          "shell",
          "registry_credentials",
          "resources",
        ]);
        // A second step of the same name is left out: it would overwrite the first's output.
        if (!stepName || !image || first) continue;
        const config: Value & { kind: "object" } = { kind: "object", entries, span: s.span };
        statements.push({
          kind: "container",
          name: { name: toName(stepName.name), span: stepName.span },
          image,
          config,
          span: s.span,
        });
      }
      const completion = m.value("completion");
      if (completion) {
        const span = completion.span;
        statements.push({
          kind: "options",
          value: {
            kind: "object",
            entries: [{ key: { name: "completion", span }, value: completion, span }],
            span,
          },
          span,
        });
      }
      break;
    }
    case "Subworkflow": {
      state.kind = "subworkflow";
      fields.push("workflow_id", "mode", "result_key", "input");
      const id = m.named("workflow_id", true);
      if (id && id.name.trim() === "")
        ctx.reader.report(
          "AEG720",
          `Subworkflow state '${name.name}' has an empty workflow_id`,
          id.span,
          "name the workflow to run: its metadata.name (or its id in the orchestrator)",
        );
      else if (id) {
        const alias = { name: toName(id.name), span: id.span };
        state.workflowRef = alias;
        if (!imports.some((i) => i.alias.name === alias.name)) {
          imports.push({ path: id.name, pathSpan: id.span, alias, span: id.span });
        }
      }
      const mode = m.string("mode");
      // The orchestrator requires mode (StateKindYaml::Subworkflow), and a result_key exactly
      // when the parent waits for the child (Workflow::new).
      if (!m.has("mode") || m.peek("mode") === null)
        ctx.reader.report(
          "AEG719",
          `Subworkflow state '${name.name}' has no 'mode'`,
          state.kindSpan,
          "add mode: blocking (wait for the child; with result_key) or mode: fire_and_forget",
        );
      if (mode && mode.value !== "blocking" && mode.value !== "fire_and_forget") {
        ctx.reader.report("AEG104", "mode must be blocking or fire_and_forget", mode.span);
      }
      const hasResult = m.has("result_key") && m.peek("result_key") !== null;
      if (mode?.value === "blocking" && !hasResult)
        ctx.reader.report(
          "AEG721",
          `blocking Subworkflow state '${name.name}' has no 'result_key'`,
          mode.span,
          "add result_key: KEY: the child's result is kept in the blackboard under it",
        );
      else if (mode?.value === "fire_and_forget" && hasResult)
        ctx.reader.report(
          "AEG721",
          `fire_and_forget Subworkflow state '${name.name}' has a 'result_key'`,
          m.keySpan("result_key"),
          "remove result_key: a child that is not waited for leaves no result; or use mode: blocking",
        );
      if (mode)
        state.mode = {
          value: mode.value === "fire_and_forget" ? "detached" : "blocking",
          span: mode.span,
        };
      const result = m.named("result_key");
      if (result) statements.push({ kind: "result", key: result, span: result.span });
      const input = m.value("input");
      if (input) statements.push({ kind: "input", value: input, span: input.span });
      break;
    }
  }
  const transitions = m.list("transitions");
  for (const t of transitions ?? []) {
    const tr = readTransition(ctx, t);
    if (tr) state.transitions.push(tr);
  }
  checkScoreRouting(ctx, name, transitions ?? []);
  // `transitions: []` (or none): the run ends here.
  if (state.transitions.length === 0 && (transitions?.length ?? 0) === 0) {
    state.final = { outcome: failureName.test(name.name) ? "failure" : "success", span: name.span };
  }
  m.finish([...common, ...fields]);
  return state;
}

/** Conditions that route on a score threshold (is_thresholded_score_transition). */
const scoreConditions = new Set([
  "score_above",
  "score_below",
  "score_between",
  "score_and_confidence_above",
  "score_and_confidence", // aegis's own: a score threshold too
]);

/**
 * AEG723, AEG724: a state that routes on score must route low scores explicitly, with a
 * `score_below`, and never through `on_success` (which a low score matches too), as the
 * orchestrator's collect_thresholded_transition_semantic_violations has it: one finding of
 * each kind per state.
 */
function checkScoreRouting(ctx: Context, state: Named, transitions: Node[]): void {
  const conditions: { value: string; span: Span }[] = [];
  for (const t of transitions) {
    if (!isMap(t)) continue;
    // Not resolved again: an alias counts once, where the transition is read.
    const node = ctx.map(t, "a transition").pairs.get("condition")?.value;
    if (isScalar(node) && typeof node.value === "string")
      conditions.push({ value: node.value, span: ctx.reader.span(node) });
  }
  const score = conditions.find((c) => scoreConditions.has(c.value));
  if (!score) return;
  const where = (c: { span: Span }, message: string) => [
    { file: ctx.reader.file, span: c.span, message },
  ];
  const success = conditions.find((c) => c.value === "on_success");
  if (success)
    ctx.reader.report(
      "AEG724",
      `state '${state.name}' routes on score (${score.value}) and also on_success, which a low score matches too`,
      success.span,
      "route each outcome on score (score_above / score_below); keep on_failure for errors",
      where(score, "the score-based transition"),
    );
  if (!conditions.some((c) => c.value === "score_below"))
    ctx.reader.report(
      "AEG723",
      `state '${state.name}' routes on score (${score.value}) but has no score_below transition for low scores`,
      score.span,
      "add `- condition: score_below` with the threshold below which the state goes elsewhere",
    );
}

function readEnvWorkdir(m: MapReader, statements: StateStatement[]): void {
  const env = m.value("env");
  if (env?.kind === "object") statements.push({ kind: "env", value: env, span: env.span });
  else if (env) m.report_("AEG705", "'env' must be a mapping", m.node_("env") ?? null);
  const workdir = m.template("workdir");
  if (workdir) statements.push({ kind: "workdir", value: workdir, span: workdir.span });
}

function readJudge(
  ctx: Context,
  node: Node,
  statements: StateStatement[],
  declareAgent: (n: Named) => void,
  what: "judge" | "agent",
): void {
  if (isScalar(node)) {
    const agent = { name: String(node.value), span: ctx.reader.span(node) };
    declareAgent(agent);
    statements.push({ kind: "judge", agent, span: agent.span });
    return;
  }
  if (!isMap(node)) {
    ctx.reader.report(
      "AEG705",
      `${article(what)} is an agent name or a mapping with 'agent'`,
      ctx.reader.span(node),
    );
    return;
  }
  const j = ctx.map(node, article(what));
  // The orchestrator writes judges as {agent_id, input_template, weight} (JudgeConfigYaml in
  // workflow_parser.rs); its documentation as {agent, input, weight}. Both mean the same.
  const aliases = what === "judge" ? ["agent_id", "input_template"] : ["poll_interval_ms"];
  const agentKey = what === "judge" ? either(ctx, j, "agent", "agent_id") : "agent";
  const inputKey = what === "judge" ? either(ctx, j, "input", "input_template") : "input";
  if (what === "agent" && j.count("poll_interval_ms"))
    noEffect(ctx, j, "poll_interval_ms", "aegis waits for each agent's answer; it does not poll");
  const agent = j.named(agentKey, true);
  if (!agent) {
    j.accept(...j.pairs.keys());
    return;
  }
  declareAgent(agent);
  const judge: StateStatement = { kind: "judge", agent, span: j.span };
  const weight = j.number("weight");
  if (weight) judge.weight = weight.value;
  const seconds = j.number("timeout_seconds");
  if (seconds) judge.timeoutMs = Math.round(seconds.value * 1000);
  const timeout = readDuration(j, "timeout");
  if (timeout) judge.timeoutMs = timeout.ms;
  const input = j.template(inputKey);
  if (input) judge.prompt = input;
  j.finish(["agent", "weight", "timeout_seconds", "timeout", "input", ...aliases]);
  statements.push(judge);
}

function readConsensus(ctx: Context, c: MapReader): Value & { kind: "object" } {
  const entries: (Value & { kind: "object" })["entries"] = [];
  const put = (key: string, from: string) => {
    const v = c.value(from);
    if (!v) return;
    const value: Value =
      v.kind === "string" && key === "strategy"
        ? { kind: "symbol", name: v.value, span: v.span }
        : v;
    entries.push({ key: { name: key, span: c.keySpan(from) }, value, span: v.span });
  };
  put("strategy", "strategy");
  put("threshold", "threshold");
  // `agreement` is the orchestrator's alias of min_agreement_confidence (ConsensusConfigYaml).
  put("agreement", either(ctx, c, "min_agreement_confidence", "agreement"));
  put("min_judges", "min_judges_required");
  const strategy = String(c.peek("strategy") ?? "weighted_average");
  const n = c.count("n");
  if (n && n.value < 1) ctx.reader.report("AEG104", "consensus n must be at least 1", n.span);
  // The orchestrator's best_of_n averages the n best judges (validation_service.rs); aegis's
  // keeps the single best, which is n: 1. Other strategies never read n, there either.
  else if (n && !(strategy === "best_of_n" && n.value === 1))
    noEffect(
      ctx,
      c,
      "n",
      strategy === "best_of_n"
        ? "aegis's best_of_n keeps the single best answer (n: 1)"
        : `only best_of_n reads it, not ${strategy}`,
    );
  const weighting = c.map("confidence_weighting");
  if (weighting) {
    // ConfidenceWeighting::validate: the factors (defaults 0.7 and 0.3) sum to 1 ± 0.01.
    const factors: number[] = [];
    for (const [key, fallback] of [
      ["agreement_factor", 0.7],
      ["self_confidence_factor", 0.3],
    ] as const) {
      const v = weighting.number(key);
      if (v && !(v.value >= 0 && v.value <= 1))
        ctx.reader.report("AEG104", `${key} must be a number from 0 to 1`, v.span);
      if (v || !weighting.has(key)) factors.push(v?.value ?? fallback);
    }
    const [agreement, self] = factors;
    if (
      agreement !== undefined &&
      self !== undefined &&
      !(Math.abs(agreement + self - 1) <= 0.01)
    ) {
      const given = (key: string) => (weighting.has(key) ? "" : " (not given)");
      ctx.reader.report(
        "AEG722",
        `confidence_weighting sums to ${+(agreement + self).toFixed(4)}, not 1: agreement_factor ${agreement}${given("agreement_factor")} + self_confidence_factor ${self}${given("self_confidence_factor")}`,
        c.keySpan("confidence_weighting"),
        "the two factors share the consensus confidence between them: make them sum to 1 (when not given, they are 0.7 and 0.3)",
      );
    }
    weighting.finish(["agreement_factor", "self_confidence_factor"]);
    noEffect(
      ctx,
      c,
      "confidence_weighting",
      "aegis's consensus confidence is the judges' agreement times their mean confidence",
    );
  }
  c.finish([
    "strategy",
    "threshold",
    "min_agreement_confidence",
    "agreement",
    "min_judges_required",
    "n",
    "confidence_weighting",
  ]);
  return { kind: "object", entries, span: c.span };
}

/**
 * Which of two names of one field is written (`agent` or `agent_id`); both is an error
 * (AEG104, at the second), the first is then read.
 */
function either(ctx: Context, m: MapReader, name: string, alias: string): string {
  if (!m.has(alias)) return name;
  if (!m.has(name)) return alias;
  ctx.reader.report(
    "AEG104",
    `'${name}' and '${alias}' are the same field: give one of them`,
    m.keySpan(alias),
  );
  m.accept(alias);
  return name;
}

/** AEG709: a field the format's engine reads, that aegis has no counterpart for. */
function noEffect(ctx: Context, m: MapReader, key: string, why: string): void {
  ctx.reader.report("AEG709", `'${key}' has no effect in aegis: ${why}`, m.keySpan(key));
}

function noCredentials(ctx: Context, m: MapReader): void {
  noEffect(
    ctx,
    m,
    "registry_credentials",
    "aegis pulls images with the container runtime's own login (docker login)",
  );
}

/** An output_handler where aegis has none (Agent, ParallelAgents): checked, then AEG709. */
function stateOutputHandler(ctx: Context, m: MapReader): void {
  if (readOutputHandler(m))
    noEffect(ctx, m, "output_handler", "aegis runs output handlers on ContainerRun states only");
}

/** `output_handler: {type: agent, agent_id, input_template, timeout_seconds, required}`. */
function readOutputHandler(m: MapReader): (Value & { kind: "object" }) | undefined {
  const handler = m.map("output_handler");
  if (!handler) return undefined;
  const entries: (Value & { kind: "object" })["entries"] = [];
  const put = (key: string, value: Value | undefined, keySpan: Span) => {
    if (value) entries.push({ key: { name: key, span: keySpan }, value, span: value.span });
  };
  put("type", handler.value("type"), handler.keySpan("type"));
  put("agent", handler.value("agent_id"), handler.keySpan("agent_id"));
  put("prompt", handler.value("input_template"), handler.keySpan("input_template"));
  const seconds = handler.number("timeout_seconds");
  if (seconds) {
    put(
      "timeout",
      {
        kind: "duration",
        ms: Math.round(seconds.value * 1000),
        text: `${seconds.value}s`,
        span: seconds.span,
      },
      handler.keySpan("timeout_seconds"),
    );
  }
  put("required", handler.value("required"), handler.keySpan("required"));
  handler.finish(["type", "agent_id", "input_template", "timeout_seconds", "required"]);
  return { kind: "object", entries, span: handler.span };
}

/**
 * `shell: true`: the orchestrator joins the command's words with spaces and runs the line
 * with `sh -c` (run_container_step.rs) — here, a command line. Each word keeps pointing at
 * its text in the file.
 */
function joinedCommand(v: Value): Value {
  if (v.kind !== "list" || v.items.length === 0) return v;
  let text = "";
  const map: number[] = [];
  for (const item of v.items) {
    if (item.kind !== "string") return v; // reported where the command is lowered
    if (text) {
      map.push(text.length, item.span.start);
      text += " ";
    }
    const t = item.template;
    for (let r = 0; r < t.map.length; r += 2) map.push(text.length + t.map[r]!, t.map[r + 1]!);
    text += t.text;
  }
  const template: Template = { kind: "template", text, span: v.span, map };
  return { kind: "string", value: text, span: v.span, template };
}

/** AEG715: a container's name that is there but blank (the orchestrator trims it). */
function blankName(ctx: Context, name: Named, what: string): boolean {
  if (name.name.trim() !== "") return false;
  ctx.reader.report(
    "AEG715",
    `the name of ${what} is blank`,
    name.span,
    "name the container: the orchestrator shows it in its events and logs",
  );
  return true;
}

function readContainer(
  ctx: Context,
  m: MapReader,
  state: StateDecl,
  fields: string[],
  volumes: string[] | undefined,
): void {
  fields.push(
    "image",
    "command",
    "workdir",
    "env",
    "volumes",
    "resources",
    "output_handler",
    "retry",
    "image_pull_policy",
    "registry_credentials",
    ...containerOptions,
  );
  const image = m.template("image", true);
  if (image) state.image = image;
  // Required by the orchestrator (StateKindYaml::ContainerRun), and not blank (Workflow::new).
  const containerName = m.peek("name");
  if (!m.has("name") || containerName === null)
    ctx.reader.report(
      "AEG715",
      `ContainerRun state '${state.name.name}' has no 'name'`,
      state.kindSpan,
      "add name: LABEL: the AEGIS orchestrator requires it (the container's name in its events and logs)",
    );
  else if (typeof containerName === "string")
    blankName(
      ctx,
      { name: containerName, span: ctx.reader.span(m.pairs.get("name")?.value) },
      `ContainerRun state '${state.name.name}'`,
    );
  const found = m.value("command");
  const command = found && m.peek("shell") === true ? joinedCommand(found) : found;
  if (command) state.statements.push({ kind: "command", value: command, span: command.span });
  readEnvWorkdir(m, state.statements);
  const mounts = readVolumes(ctx, m, volumes);
  if (mounts) state.statements.push({ kind: "volumes", value: mounts, span: mounts.span });
  const resources = m.value("resources");
  if (resources && resources.kind !== "object") {
    m.report_("AEG705", "'resources' must be a mapping", m.node_("resources") ?? null);
  }
  if (resources?.kind === "object")
    state.statements.push({ kind: "resources", value: resources, span: resources.span });
  const options: (Value & { kind: "object" })["entries"] = [];
  for (const key of containerOptions) {
    const v = m.value(key);
    if (v) options.push({ key: { name: key, span: m.keySpan(key) }, value: v, span: v.span });
  }
  if (options.length > 0) {
    const span = options[0]!.span;
    state.statements.push({
      kind: "options",
      value: { kind: "object", entries: options, span },
      span,
    });
  }
  const handler = readOutputHandler(m);
  if (handler) state.statements.push({ kind: "handler", value: handler, span: handler.span });
  const retry = m.map("retry");
  if (retry) {
    const attempts = retry.count("max_attempts");
    const backoff = readDuration(retry, "backoff");
    retry.finish(["max_attempts", "backoff"]);
    // The orchestrator makes max_attempts attempts in all (0 or 1: one, no retry), after
    // container errors (aegis-workflow.ts, run_container_step.rs); aegis's retry counts the
    // attempts after the first.
    const again = (attempts?.value ?? 0) - 1;
    if (again > 0)
      state.settings.push({
        kind: "retry",
        value: again,
        ...(backoff && { backoffMs: backoff.ms }),
        span: m.keySpan("retry"),
      });
  }
  const pull = m.string("image_pull_policy");
  if (pull && !pullPolicies.some((p) => p === pull.value)) {
    ctx.reader.report(
      "AEG104",
      `image_pull_policy must be one of ${pullPolicies.join(", ")}`,
      pull.span,
      hintFor(pull.value, pullPolicies),
    );
  }
  // IfNotPresent is what `docker run` does: pull the image only when it is missing.
  else if (pull && pull.value !== "IfNotPresent")
    noEffect(
      ctx,
      m,
      "image_pull_policy",
      "aegis's container runtime pulls an image only when it is missing (IfNotPresent)",
    );
  if (m.string("registry_credentials")) noCredentials(ctx, m);
}

/**
 * `volumes: [{ name, mount_path, read_only }]` → `{ name: { path, read_only } }`. A mount path
 * must be absolute (AEG716), and a volume declared in spec.storage.shared_volumes when that
 * declares any (`declared`, AEG718), as Workflow::new has them.
 */
function readVolumes(
  ctx: Context,
  m: MapReader,
  declared: string[] | undefined,
): (Value & { kind: "object" }) | undefined {
  const volumes = m.list("volumes");
  if (!volumes) return undefined;
  const entries: (Value & { kind: "object" })["entries"] = [];
  for (const v of volumes) {
    if (!isMap(v)) {
      ctx.reader.report(
        "AEG705",
        "a volume is a mapping with 'name' and 'mount_path'",
        ctx.reader.span(v),
      );
      continue;
    }
    const vol = ctx.map(v, "a volume");
    const volName = vol.named("name", true);
    const mount = vol.value("mount_path");
    if (!mount) vol.missing("mount_path");
    const readOnly = vol.value("read_only");
    vol.finish(["name", "mount_path", "read_only"]);
    if (
      mount &&
      !(mount.kind === "string" && mount.value.trim() !== "" && mount.value.startsWith("/"))
    )
      ctx.reader.report(
        "AEG716",
        `mount_path ${mount.kind === "string" ? `'${mount.value}'` : "here"} is not an absolute path`,
        mount.span,
        "mount the volume at an absolute path in the container, e.g. /workspace",
      );
    if (volName && declared && !declared.includes(volName.name))
      ctx.reader.report(
        "AEG718",
        `volume '${volName.name}' is not declared in spec.storage.shared_volumes`,
        volName.span,
        hintFor(volName.name, declared) ??
          (declared.length > 0
            ? `declared: ${declared.join(", ")}; add '${volName.name}' there, or mount one of them`
            : `add '${volName.name}' to spec.storage.shared_volumes`),
      );
    if (!volName || !mount) continue;
    const spec: Value = {
      kind: "object",
      entries: [
        { key: { name: "path", span: mount.span }, value: mount, span: mount.span },
        ...(readOnly
          ? [
              {
                key: { name: "read_only", span: readOnly.span },
                value: readOnly,
                span: readOnly.span,
              },
            ]
          : []),
      ],
      span: vol.span,
    };
    entries.push({ key: volName, value: spec, span: vol.span });
  }
  const span = m.keySpan("volumes");
  return { kind: "object", entries, span };
}

/** ContainerRun fields handed to the container runtime as they are. */
const containerOptions = [
  "name",
  "shell",
  "network_mode",
  "run_as_user",
  "read_only_root_filesystem",
  "user",
  "privileged",
  "entrypoint",
];

function readTransition(ctx: Context, node: Node): TransitionDecl | undefined {
  if (!isMap(node)) {
    ctx.reader.report(
      "AEG705",
      "a transition is a mapping with 'condition' and 'target'",
      ctx.reader.span(node),
    );
    return undefined;
  }
  const t = ctx.map(node, "a transition");
  const conditionField = t.string("condition", true);
  const target = t.named("target", true);
  const feedback = t.template("feedback");
  const extra = ["threshold", "min", "max", "value", "expression", "agreement", "confidence"];
  if (!conditionField || !target) {
    t.accept(...extra);
    return undefined;
  }
  const span = conditionField.span;
  const parsed = readCondition(ctx, t, conditionField.value, span);
  if (parsed === undefined) t.accept(...extra);
  // A condition that could not be read (reported) never fires, but keeps its target in the
  // graph, so that the target is not also reported as unreachable.
  const condition = parsed ?? literal(false, span);
  t.finish(["condition", "target", "feedback", ...extra]);
  const decl: TransitionDecl = {
    otherwise: false,
    condition: condition === "always" ? path(["always"], span) : condition,
    target,
    span: t.span,
  };
  if (feedback) decl.feedback = feedback;
  return decl;
}

function readCondition(
  ctx: Context,
  t: MapReader,
  condition: string,
  span: Span,
): Expr | "always" | undefined {
  const num = (key: string): Expr | undefined => {
    const n = t.number(key);
    if (!n) {
      if (!t.has(key)) t.missing(key, `condition ${condition} compares with '${key}'`);
      return undefined;
    }
    return literal(n.value, n.span);
  };
  const field = (name: string) => path([name], span);
  switch (condition) {
    case "always":
      return "always";
    case "on_success":
      return field("success");
    case "on_failure":
      return field("failure");
    case "exit_code_zero":
      return binary("==", field("exit_code"), literal(0, span), span);
    case "exit_code_non_zero":
      return binary("!=", field("exit_code"), literal(0, span), span);
    case "exit_code": {
      const v = num("value");
      return v && binary("==", field("exit_code"), v, span);
    }
    case "score_above": {
      const v = num("threshold");
      return v && binary(">=", field("score"), v, span);
    }
    case "score_below": {
      const v = num("threshold");
      return v && binary("<", field("score"), v, span);
    }
    case "score_between": {
      const low = num("min");
      const high = num("max");
      return low && high
        ? { kind: "between", operand: field("score"), low, high, span }
        : undefined;
    }
    case "confidence_above": {
      const v = num("threshold");
      return v && binary(">=", field("confidence"), v, span);
    }
    case "score_and_confidence": {
      const s = num("threshold");
      const c = num("confidence");
      return s && c
        ? binary(
            "and",
            binary(">=", field("score"), s, span),
            binary(">=", field("confidence"), c, span),
            span,
          )
        : undefined;
    }
    case "score_and_confidence_above": {
      // The orchestrator: score and confidence both above the one threshold (its worker's
      // `score > threshold && confidence > threshold`); a `confidence` of its own is aegis's.
      const s = num("threshold");
      const c = t.has("confidence") ? num("confidence") : s;
      return s && c
        ? binary(
            "and",
            binary(">", field("score"), s, span),
            binary(">", field("confidence"), c, span),
            span,
          )
        : undefined;
    }
    case "consensus": {
      const threshold = t.number("threshold");
      const agreement = t.number("agreement");
      const parts: Expr[] = [];
      if (threshold)
        parts.push(
          binary(
            ">=",
            path(["consensus", "score"], span),
            literal(threshold.value, threshold.span),
            span,
          ),
        );
      if (agreement)
        parts.push(
          binary(
            ">=",
            path(["consensus", "agreement"], span),
            literal(agreement.value, agreement.span),
            span,
          ),
        );
      if (parts.length === 0) return field("consensus");
      return parts.reduce((a, b) => binary("and", a, b, span));
    }
    case "all_approved":
      return field("all_approved");
    case "any_rejected":
      return field("any_rejected");
    case "input_equals_yes":
      return field("approved");
    case "input_equals_no":
      return field("rejected");
    case "input_equals": {
      const v = t.string("value", true);
      return v && binary("==", field("response"), literal(v.value, v.span), span);
    }
    case "custom": {
      const expression = t.string("expression", true);
      if (!expression) return undefined;
      const parsed = parseExpression(
        expression.value,
        expression.span.start +
          (/^["']/.test(ctx.reader.text[expression.span.start] ?? "") ? 1 : 0),
      );
      if (!parsed.expr) {
        ctx.reader.report(
          "AEG104",
          `custom condition: ${parsed.error ?? "not an expression"}`,
          expression.span,
          "write it in aegis's expression language, e.g. state_output.output.valid == true",
        );
        return undefined;
      }
      return parsed.expr;
    }
    default: {
      ctx.reader.report(
        "AEG104",
        `unknown condition '${condition}'`,
        span,
        hintFor(condition, conditions) ?? `conditions are ${conditions.join(", ")}`,
      );
      return undefined;
    }
  }
}
