// Lowering: AST → workflow graph. Validates what belongs to building the graph (value
// types, option keys, what each kind of state takes); the soundness checks run afterwards
// on the graph (src/compiler/checks).
import type {
  ObjectEntry,
  SourceFileAst,
  Span,
  StateDecl,
  StateStatement,
  Template,
  TypeExpr,
  Value,
  WorkflowDecl,
} from "./ast.ts";
import { article, type Code, type Finding, hintFor } from "./diagnostics.ts";
import { printExpr } from "./expression.ts";
import {
  type AgentSpec,
  type ConsensusSpec,
  type ContainerStep,
  createWorkflowGraph,
  type InputSpec,
  type InputType,
  type Limits,
  type SourceSpan,
  type StateNode,
  type TemplateRef,
  type WorkflowAttributes,
  type WorkflowGraph,
} from "./graph.ts";
import { expected } from "./input-types.ts";
import { isProvider, type OptionType, providers } from "./providers.ts";

export interface ImportedWorkflow {
  path: string;
  workflow: string;
  hash: string;
  /** Resolved by name at run time: not checked, not embedded. */
  external?: boolean;
}

type StatementKind =
  | StateStatement["kind"]
  | "timeout"
  | "visits"
  | "retry"
  | "errors"
  | "concurrency"
  | "max"
  | "steps"
  | "until"
  | "session";

const runSettings = ["timeout", "visits", "retry", "errors"] as const;
const allowed: Record<StateNode["kind"], readonly StatementKind[]> = {
  agent: [
    "prompt",
    "intent",
    "output",
    "judge",
    "consensus",
    "iterations",
    "options",
    "session",
    ...runSettings,
  ],
  human: ["prompt", "default", "protects", "timeout", "visits"],
  run: ["env", "workdir", ...runSettings],
  container: [
    "command",
    "env",
    "workdir",
    "volumes",
    "resources",
    "options",
    "handler",
    ...runSettings,
  ],
  parallel: ["prompt", "judge", "consensus", ...runSettings],
  subworkflow: ["input", "result", ...runSettings],
  foreach: ["prompt", "intent", "output", "options", "concurrency", "session", ...runSettings],
  loop: ["prompt", "intent", "output", "options", "max", "until", "session", ...runSettings],
  branch: ["visits"],
  coordinate: ["prompt", "steps", ...runSettings],
  containers: ["container", "options", ...runSettings],
  final: ["output"],
};

/** What each kind of state permits; a final state also what `final` permits. */
const permittedSets = new Map<string, ReadonlySet<StatementKind>>();
function permittedIn(kind: StateNode["kind"], final: boolean): ReadonlySet<StatementKind> {
  const key = final ? `final ${kind}` : kind;
  let set = permittedSets.get(key);
  if (!set) {
    set = new Set([...allowed[kind], ...(final ? allowed.final : [])]);
    permittedSets.set(key, set);
  }
  return set;
}

const limitKeys: Record<string, { key: keyof Limits; type: "count" | "duration" | "number" }> = {
  transitions: { key: "transitions", type: "count" },
  visits: { key: "visits", type: "count" },
  agent_calls: { key: "agentCalls", type: "count" },
  wall_time: { key: "wallTimeMs", type: "duration" },
  cost: { key: "costUsd", type: "number" },
};

const consensusStrategies = ["weighted_average", "majority", "unanimous", "best_of_n"] as const;

export class Lowering {
  readonly findings: Finding[] = [];
  private readonly file: string;
  private readonly imports: ReadonlyMap<string, ImportedWorkflow>;

  constructor(file: string, imports: ReadonlyMap<string, ImportedWorkflow> = new Map()) {
    this.file = file;
    this.imports = imports;
  }

  private report(code: Code, message: string, span: Span, hint?: string): void {
    this.findings.push({ code, message, file: this.file, span, ...(hint && { hint }) });
  }

  private at(span: Span): SourceSpan {
    return { file: this.file, start: span.start, end: span.end };
  }

  template(t: Template): TemplateRef {
    return { text: t.text, span: this.at(t.span), map: t.map };
  }

  lower(ast: SourceFileAst): WorkflowGraph {
    const graph = createWorkflowGraph();
    const wf = ast.workflow;
    if (!wf) return graph;
    graph.replaceAttributes(this.attributes(wf, ast));
    const lowered = new Set<StateDecl>();
    for (const state of wf.states) {
      if (graph.hasNode(state.name.name)) {
        const first = graph.getNodeAttribute(state.name.name, "nameSpan");
        this.findings.push({
          code: "AEG202",
          message: `state '${state.name.name}' is declared twice`,
          file: this.file,
          span: state.name.span,
          related: [{ file: first.file, span: first, message: "first declared here" }],
          hint: "rename one of them",
        });
        continue;
      }
      graph.addNode(state.name.name, this.state(state));
      lowered.add(state);
    }
    for (const state of wf.states) {
      if (!lowered.has(state)) continue; // a duplicate, reported above
      if (state.final) continue; // reported by the structure check: a run ends at a final state
      state.transitions.forEach((t, order) => {
        if (!graph.hasNode(t.target.name)) return; // reported by the structure check
        graph.addDirectedEdge(state.name.name, t.target.name, {
          order,
          ...(t.condition && { condition: t.condition }),
          label: t.otherwise ? "otherwise" : t.condition ? printExpr(t.condition) : "",
          otherwise: t.otherwise,
          ...(t.feedback && { feedback: this.template(t.feedback) }),
          span: this.at(t.span),
          targetSpan: this.at(t.target.span),
        });
      });
    }
    return graph;
  }

  // ------------------------------------------------------------ workflow attributes

  private attributes(wf: WorkflowDecl, ast: SourceFileAst): WorkflowAttributes {
    const inputs = this.inputs(wf);
    const attributes: WorkflowAttributes = {
      name: wf.name.name,
      labels: this.stringMap(wf.labels, "label"),
      annotations: this.stringMap(wf.annotations, "annotation"),
      inputs,
      inputSchema: inputSchema(inputs, wf.otherInputs !== undefined),
      context: wf.context ? (this.plain(wf.context) as Record<string, unknown>) : {},
      secrets: this.secrets(wf),
      agents: this.agents(wf),
      limits: this.limits(wf.limits),
      imports: {},
      file: this.file,
      span: this.at(wf.span),
    };
    if (wf.title) attributes.title = wf.title.text;
    if (wf.version) attributes.version = wf.version.value;
    if (wf.description) attributes.description = wf.description.text;
    if (wf.start) attributes.start = wf.start.name;
    if (wf.output) attributes.output = this.template(wf.output);
    else if (wf.outputFields)
      attributes.output = this.templateMap(wf.outputFields, "an output field");
    if (wf.outputSchema)
      attributes.outputSchema = this.plain(wf.outputSchema) as Record<string, unknown>;
    if (wf.storage) attributes.storage = this.plain(wf.storage) as Record<string, unknown>;
    for (const imp of ast.imports) {
      const resolved = this.imports.get(imp.alias.name);
      if (resolved) attributes.imports[imp.alias.name] = resolved;
    }
    return attributes;
  }

  private stringMap(
    obj: (Value & { kind: "object" }) | undefined,
    what: string,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    for (const entry of this.entries(obj)) {
      const v = entry.value;
      if (
        v.kind === "string" ||
        v.kind === "symbol" ||
        v.kind === "number" ||
        v.kind === "boolean"
      ) {
        out[entry.key.name] =
          v.kind === "string" ? v.value : v.kind === "symbol" ? v.name : String(v.value);
      } else this.report("AEG104", `a ${what} value must be a string`, v.span);
    }
    return out;
  }

  /** Entries of an object value, reporting duplicate keys. */
  private entries(obj: (Value & { kind: "object" }) | undefined): ObjectEntry[] {
    if (!obj) return [];
    const seen = new Map<string, ObjectEntry>();
    for (const entry of obj.entries) {
      if (seen.has(entry.key.name))
        this.report("AEG106", `key '${entry.key.name}' appears twice`, entry.key.span);
      seen.set(entry.key.name, entry);
    }
    return [...seen.values()];
  }

  /** The strings of a value that are templates, with where they are in it. */
  private optionTemplates(
    v: Value,
    path: (string | number)[] = [],
    out: NonNullable<StateNode["optionTemplates"]> = [],
  ): NonNullable<StateNode["optionTemplates"]> {
    if (v.kind === "string" && v.template.text.includes("{{"))
      out.push({ path, template: this.template(v.template) });
    else if (v.kind === "list") {
      for (const [i, item] of v.items.entries()) this.optionTemplates(item, [...path, i], out);
    } else if (v.kind === "object") {
      // A key given twice is reported by plain(); the last one is the value, as there.
      for (const e of v.entries) this.optionTemplates(e.value, [...path, e.key.name], out);
    }
    return out;
  }

  /** A value as plain JSON data (templates become their text). */
  plain(v: Value): unknown {
    switch (v.kind) {
      case "string":
        return v.value;
      case "number":
      case "boolean":
        return v.value;
      case "duration":
        return v.ms;
      case "null":
        return null;
      case "symbol":
        return v.name;
      case "list":
        return v.items.map((i) => this.plain(i));
      case "object":
        return Object.fromEntries(this.entries(v).map((e) => [e.key.name, this.plain(e.value)]));
      case "call": {
        const arg = v.args[0];
        if (
          (v.callee.name === "env" || v.callee.name === "secret") &&
          v.args.length === 1 &&
          arg?.kind === "string"
        ) {
          return { [`$${v.callee.name}`]: arg.value };
        }
        this.report(
          "AEG104",
          `'${v.callee.name}(…)' is not a value; use env("NAME") or secret("NAME")`,
          v.span,
        );
        return null;
      }
    }
  }

  private inputs(wf: WorkflowDecl): InputSpec[] {
    const out: InputSpec[] = [];
    const seen = new Set<string>();
    for (const input of wf.inputs) {
      if (seen.has(input.name.name)) {
        this.report("AEG106", `input '${input.name.name}' is declared twice`, input.name.span);
        continue;
      }
      seen.add(input.name.name);
      const type = input.type ? this.inputType(input.type) : ({ type: "any" } as InputType);
      const spec: InputSpec = {
        name: input.name.name,
        type,
        required: !input.optional && !input.default,
        span: this.at(input.span),
      };
      if (input.default) {
        const value = this.plain(input.default);
        const problem = expected(type, value);
        if (problem)
          this.report(
            "AEG104",
            `default of input '${input.name.name}' must be ${problem}`,
            input.default.span,
          );
        spec.default = value;
      }
      if (input.description) spec.description = input.description.text;
      out.push(spec);
    }
    return out;
  }

  private inputType(t: TypeExpr): InputType {
    if (t.kind === "union" || t.kind === "literal") {
      const members = t.kind === "union" ? t.members : [t];
      const values: (string | number)[] = [];
      for (const m of members) {
        if (m.kind === "literal") values.push(m.value);
        else
          this.report(
            "AEG108",
            'a union type lists literal values only, such as "a" | "b"',
            m.span,
          );
      }
      return { type: "enum", values };
    }
    const simple = ["string", "number", "integer", "boolean", "object", "any"] as const;
    if (t.name === "list") {
      const item = t.args[0];
      return { type: "list", items: item ? this.inputType(item) : { type: "any" } };
    }
    const found = simple.find((s) => s === t.name);
    if (found) return { type: found };
    this.report(
      "AEG108",
      `unknown type '${t.name}'`,
      t.span,
      hintFor(t.name, [...simple, "list"]) ??
        'types are string, number, integer, boolean, object, any, list<T>, or "a" | "b"',
    );
    return { type: "any" };
  }

  private secrets(wf: WorkflowDecl): string[] {
    const out = new Set<string>();
    for (const s of wf.secrets) {
      if (out.has(s.name.name))
        this.report("AEG106", `secret '${s.name.name}' is declared twice`, s.name.span);
      out.add(s.name.name);
    }
    return [...out];
  }

  private agents(wf: WorkflowDecl): Record<string, AgentSpec> {
    const out: Record<string, AgentSpec> = {};
    for (const decl of wf.agents) {
      const name = decl.name.name;
      if (Object.hasOwn(out, name)) {
        this.report("AEG106", `agent '${name}' is declared twice`, decl.name.span);
        continue;
      }
      const spec: AgentSpec = { name, options: {}, span: this.at(decl.span) };
      if (decl.session) spec.session = true;
      out[name] = spec;
      if (!decl.provider) continue;
      const providerName = decl.provider.name;
      if (!isProvider(providerName)) {
        this.report(
          "AEG503",
          `unknown provider '${providerName}'`,
          decl.provider.span,
          hintFor(providerName, Object.keys(providers)) ??
            `providers are ${Object.keys(providers).join(", ")}`,
        );
        continue;
      }
      spec.provider = providerName;
      const info = providers[providerName];
      const [first, ...extra] = decl.args;
      if (first) {
        if (info.positional)
          spec.options[info.positional.option] = this.providerOption(
            providerName,
            info.positional.option,
            first,
            info.positional.type,
          );
        else
          this.report(
            "AEG504",
            `${providerName}(…) takes only named options, such as model: "…"`,
            first.span,
          );
      }
      for (const e of extra)
        this.report("AEG504", `${providerName}(…) takes at most one positional argument`, e.span);
      for (const option of decl.options) {
        const key = option.key.name;
        const known = info.options[key];
        if (!known) {
          this.report(
            "AEG504",
            `${providerName} has no option '${key}'`,
            option.key.span,
            hintFor(key, Object.keys(info.options)) ??
              `options are ${Object.keys(info.options).join(", ")}`,
          );
          continue;
        }
        if (Object.hasOwn(spec.options, key)) {
          this.report("AEG106", `option '${key}' is given twice`, option.key.span);
          continue;
        }
        const value = this.providerOption(providerName, key, option.value, known.type);
        if (known.values && typeof value === "string" && !known.values.includes(value)) {
          this.report(
            "AEG504",
            `${providerName} option '${key}' must be one of ${known.values.join(", ")}`,
            option.value.span,
            hintFor(value, known.values),
          );
        }
        spec.options[key] = value;
      }
      for (const required of info.required) {
        if (!Object.hasOwn(spec.options, required)) {
          this.report(
            "AEG504",
            `${providerName} needs the option '${required}'`,
            decl.provider.span,
          );
        }
      }
    }
    return out;
  }

  private providerOption(provider: string, key: string, v: Value, type: OptionType): unknown {
    const value = this.plain(v);
    const ok =
      type === "secret"
        ? typeof value === "string" ||
          (typeof value === "object" && value !== null && !Array.isArray(value))
        : type === "list"
          ? Array.isArray(value)
          : type === "object"
            ? typeof value === "object" && value !== null && !Array.isArray(value)
            : typeof value === type;
    if (!ok)
      this.report(
        "AEG504",
        `${provider} option '${key}' must be ${type === "secret" ? 'env("NAME") or secret("NAME")' : article(type)}`,
        v.span,
      );
    return value;
  }

  private limits(obj: (Value & { kind: "object" }) | undefined): Limits {
    const limits: Limits = {};
    for (const entry of this.entries(obj)) {
      const spec = limitKeys[entry.key.name];
      if (!spec) {
        this.report(
          "AEG105",
          `unknown limit '${entry.key.name}'`,
          entry.key.span,
          hintFor(entry.key.name, Object.keys(limitKeys)) ??
            `limits are ${Object.keys(limitKeys).join(", ")}`,
        );
        continue;
      }
      const v = entry.value;
      if (spec.type === "duration") {
        if (v.kind === "duration" && v.ms > 0) limits[spec.key] = v.ms;
        else
          this.report(
            "AEG104",
            `limit '${entry.key.name}' must be a positive duration such as 2h`,
            v.span,
          );
      } else if (
        v.kind === "number" &&
        v.value > 0 &&
        (spec.type === "number" || Number.isInteger(v.value))
      ) {
        limits[spec.key] = v.value;
      } else {
        this.report(
          "AEG104",
          `limit '${entry.key.name}' must be a positive ${spec.type === "count" ? "whole number" : "number"}`,
          v.span,
        );
      }
    }
    return limits;
  }

  // ------------------------------------------------------------ states

  private state(decl: StateDecl): StateNode {
    const node: StateNode = {
      name: decl.name.name,
      kind: decl.kind,
      errorMode: "fail",
      span: this.at(decl.span),
      nameSpan: this.at(decl.name.span),
    };
    if (decl.final) node.final = decl.final.outcome;
    const permitted = permittedIn(decl.kind, !!decl.final);
    const seen = new Map<string, Span>();
    const check = (kind: StatementKind, span: Span, repeatable = false): boolean => {
      if (!permitted.has(kind)) {
        const what =
          decl.final && decl.kind === "final" ? "a final state" : `${article(decl.kind)} state`;
        this.report("AEG110", `'${kind}' is not allowed in ${what}`, span);
        return false;
      }
      if (!repeatable && seen.has(kind)) {
        this.report("AEG106", `'${kind}' is given twice in state '${decl.name.name}'`, span);
        return false;
      }
      seen.set(kind, span);
      return true;
    };

    if (decl.agent) node.agent = decl.agent.name;
    if (decl.agentTemplate) node.agentTemplate = this.template(decl.agentTemplate);
    if (decl.image) node.image = this.template(decl.image);
    if (decl.command) node.command = this.command(decl.command);
    if (decl.workflowRef) {
      node.subworkflow = { workflow: decl.workflowRef.name, mode: decl.mode?.value ?? "blocking" };
    }
    if (decl.foreach)
      node.foreach = { item: decl.foreach.item.name, over: decl.foreach.over, concurrency: 4 };
    if (decl.kind === "loop") node.loop = {};
    if (decl.specialists && decl.router) {
      node.coordinate = {
        specialists: decl.specialists.map((s) => s.name),
        router: decl.router.name,
      };
    }

    for (const s of decl.settings) {
      if (!check(s.kind, s.span)) continue;
      switch (s.kind) {
        case "timeout":
          if (s.ms <= 0) this.report("AEG104", "a timeout must be longer than 0", s.span);
          node.timeoutMs = s.ms;
          break;
        case "visits":
          if (s.value < 1) this.report("AEG104", "a visit limit must be at least 1", s.span);
          node.visits = s.value;
          break;
        case "retry":
          node.retry = { max: s.value, backoffMs: s.backoffMs ?? 1000 };
          break;
        case "errors": {
          const mode = s.mode.name;
          if (mode === "fail" || mode === "retry" || mode === "skip") node.errorMode = mode;
          else
            this.report(
              "AEG104",
              `error mode must be fail, retry or skip, not '${mode}'`,
              s.mode.span,
              hintFor(mode, ["fail", "retry", "skip"]),
            );
          break;
        }
        case "concurrency":
          if (s.value < 1) this.report("AEG104", "concurrency must be at least 1", s.span);
          if (node.foreach) node.foreach.concurrency = s.value;
          break;
        case "max":
          if (s.value < 1) this.report("AEG104", "max must be at least 1", s.span);
          node.loop = { ...node.loop, max: s.value };
          break;
        case "until":
          node.loop = { ...node.loop, until: s.condition };
          break;
        case "session":
          node.session = s.name.name;
          break;
        case "steps":
          if (s.value < 1) this.report("AEG104", "steps must be at least 1", s.span);
          if (node.coordinate) node.coordinate.steps = s.value;
          if (s.then) {
            const mode = s.then.name;
            if (mode === "fail" || mode === "finish") {
              if (node.coordinate) node.coordinate.exhausted = mode;
            } else
              this.report(
                "AEG104",
                `what running out of steps does must be fail or finish, not '${mode}'`,
                s.then.span,
                hintFor(mode, ["fail", "finish"]),
              );
          }
          break;
      }
    }
    if (node.errorMode === "retry" && !node.retry) node.retry = { max: 2, backoffMs: 1000 };

    for (const st of decl.statements) {
      if (!check(st.kind, st.span, st.kind === "judge" || st.kind === "container")) continue;
      this.statement(node, st);
    }
    this.requireFields(decl, node);
    return node;
  }

  private statement(node: StateNode, st: StateStatement): void {
    switch (st.kind) {
      case "prompt":
        node.prompt = this.template(st.template);
        break;
      case "intent":
        node.intent = this.template(st.template);
        break;
      case "judge":
        node.judges ??= [];
        if (st.weight !== undefined && st.weight <= 0)
          this.report("AEG104", "a judge's weight must be above 0", st.span);
        node.judges.push({
          agent: st.agent.name,
          weight: st.weight ?? 1,
          ...(st.timeoutMs !== undefined && { timeoutMs: st.timeoutMs }),
          ...(st.prompt && { prompt: this.template(st.prompt) }),
          span: this.at(st.span),
        });
        break;
      case "consensus":
        node.consensus = this.consensus(st.config);
        break;
      case "iterations":
        if (st.value < 1) this.report("AEG104", "iterations must be at least 1", st.span);
        node.iterations = st.value;
        break;
      case "env":
        node.env = this.templateMap(st.value, "an environment variable");
        break;
      case "workdir":
        node.workdir = this.template(st.value);
        break;
      case "command": {
        const command = this.command(st.value);
        if (command) node.command = command;
        break;
      }
      case "volumes":
        node.volumes = this.volumes(st.value);
        break;
      case "options": {
        node.options = this.plain(st.value) as Record<string, unknown>;
        // An agent's options are rendered for each call: their templates are checked here.
        if (node.kind === "agent" || node.kind === "loop" || node.kind === "foreach") {
          const templates = this.optionTemplates(st.value);
          if (templates.length > 0) node.optionTemplates = templates;
        }
        break;
      }
      case "container":
        node.containers ??= [];
        node.containers.push(this.containerStep(st));
        break;
      case "handler":
        node.handler = this.handler(st.value);
        break;
      case "resources":
        node.resources = this.plain(st.value) as Record<string, unknown>;
        break;
      case "result":
        if (node.subworkflow) node.subworkflow.resultKey = st.key.name;
        break;
      case "input":
        if (st.value.kind === "string") node.input = this.template(st.value.template);
        else if (st.value.kind === "object") node.input = this.templateMap(st.value, "an input");
        else
          this.report(
            "AEG104",
            'a subworkflow\'s input is a template string or { name: "template" }',
            st.value.span,
          );
        break;
      case "output":
        if (st.value.kind === "string") node.output = this.template(st.value.template);
        else if (st.value.kind === "object") node.outputFields = this.outputFields(st.value);
        else
          this.report(
            "AEG104",
            "output is a template string, or { field: type } for an agent's JSON output",
            st.value.span,
          );
        break;
      case "default": {
        const v = st.value;
        const text = v.kind === "symbol" ? v.name : v.kind === "string" ? v.value : undefined;
        if (text === undefined)
          this.report("AEG104", "a default response is approved, rejected, or a string", v.span);
        else node.human = { ...node.human, default: text, defaultSpan: this.at(st.span) };
        break;
      }
      case "protects":
        node.human = {
          ...node.human,
          protects: st.states.map((s) => s.name),
          protectsSpan: this.at(st.span),
        };
        break;
    }
  }

  /** `container lint "rust:1.75" { command: [...], env: {...}, workdir: "…", volumes: {...} }`. */
  private containerStep(st: StateStatement & { kind: "container" }): ContainerStep {
    const step: ContainerStep = { name: st.name.name, image: this.template(st.image) };
    const known = ["command", "env", "workdir", "volumes"];
    for (const e of this.entries(st.config)) {
      switch (e.key.name) {
        case "command": {
          const command = this.command(e.value);
          if (command) step.command = command;
          break;
        }
        case "env":
          step.env = this.templateMap(e.value, "an environment variable");
          break;
        case "workdir":
          if (e.value.kind === "string") step.workdir = this.template(e.value.template);
          else this.report("AEG104", "workdir must be a string", e.value.span);
          break;
        case "volumes":
          step.volumes = this.volumes(e.value);
          break;
        default:
          this.report(
            "AEG105",
            `unknown container setting '${e.key.name}'`,
            e.key.span,
            hintFor(e.key.name, known) ?? `settings are ${known.join(", ")}`,
          );
      }
    }
    return step;
  }

  /** `volumes { workspace: "/workspace" }` or `{ workspace: { path: "/w", read_only: true } }`. */
  private volumes(v: Value): NonNullable<StateNode["volumes"]> {
    const out: NonNullable<StateNode["volumes"]> = {};
    for (const e of this.entries(v.kind === "object" ? v : undefined)) {
      const value = e.value;
      if (value.kind === "string") {
        out[e.key.name] = { path: value.value, readOnly: false };
        continue;
      }
      const spec =
        value.kind === "object" ? (this.plain(value) as Record<string, unknown>) : undefined;
      if (spec && typeof spec.path === "string") {
        out[e.key.name] = { path: spec.path, readOnly: spec.read_only === true };
      } else
        this.report(
          "AEG104",
          'a volume is a mount path, or { path: "…", read_only: true }',
          value.span,
        );
    }
    return out;
  }

  /** `handler { agent: "formatter", prompt: "…{{output}}…", timeout: 60s, required: true }`. */
  private handler(v: Value): NonNullable<StateNode["handler"]> {
    const handler: NonNullable<StateNode["handler"]> = { options: {} };
    for (const e of this.entries(v.kind === "object" ? v : undefined)) {
      if (e.key.name === "prompt" && e.value.kind === "string")
        handler.prompt = this.template(e.value.template);
      else if (e.key.name === "agent" && (e.value.kind === "string" || e.value.kind === "symbol")) {
        handler.agent = e.value.kind === "string" ? e.value.value : e.value.name;
      } else handler.options[e.key.name] = this.plain(e.value);
    }
    return handler;
  }

  private outputFields(obj: Value & { kind: "object" }): Record<string, string> {
    const out: Record<string, string> = {};
    const types = ["string", "number", "integer", "boolean", "object", "list", "any"];
    for (const e of this.entries(obj)) {
      const t = e.value.kind === "symbol" ? e.value.name : undefined;
      if (!t || !types.includes(t)) {
        this.report(
          "AEG108",
          `an output field's type is one of ${types.join(", ")}`,
          e.value.span,
          t ? hintFor(t, types) : undefined,
        );
        continue;
      }
      out[e.key.name] = t;
    }
    return out;
  }

  private templateMap(v: Value, what: string): Record<string, TemplateRef> {
    const out: Record<string, TemplateRef> = {};
    if (v.kind !== "object") return out;
    for (const e of this.entries(v)) {
      const value = e.value;
      if (value.kind === "string") out[e.key.name] = this.template(value.template);
      else if (value.kind === "number" || value.kind === "boolean") {
        out[e.key.name] = {
          text: String(value.value),
          span: this.at(value.span),
          map: [0, value.span.start],
        };
      } else this.report("AEG104", `${what} must be a string`, value.span);
    }
    return out;
  }

  private command(v: Value): StateNode["command"] {
    if (v.kind === "string") return { shell: this.template(v.template) };
    if (v.kind === "list") {
      const argv: TemplateRef[] = [];
      for (const item of v.items) {
        if (item.kind === "string") argv.push(this.template(item.template));
        else this.report("AEG104", "each argument of a command must be a string", item.span);
      }
      if (argv.length === 0) this.report("AEG104", "a command needs at least one argument", v.span);
      return { argv };
    }
    this.report("AEG104", "a command is a string (run by a shell) or a list of arguments", v.span);
    return undefined;
  }

  private consensus(obj: Value & { kind: "object" }): ConsensusSpec {
    const spec: ConsensusSpec = { strategy: "weighted_average", threshold: 0.5 };
    const keys = ["strategy", "threshold", "agreement", "min_judges"];
    const unit = (e: ObjectEntry): number | undefined => {
      if (e.value.kind === "number" && e.value.value >= 0 && e.value.value <= 1)
        return e.value.value;
      this.report("AEG104", `consensus ${e.key.name} must be a number from 0 to 1`, e.value.span);
      return undefined;
    };
    for (const e of this.entries(obj)) {
      switch (e.key.name) {
        case "strategy": {
          const s =
            e.value.kind === "symbol"
              ? e.value.name
              : e.value.kind === "string"
                ? e.value.value
                : "";
          const found = consensusStrategies.find((c) => c === s);
          if (found) spec.strategy = found;
          else
            this.report(
              "AEG104",
              `consensus strategy must be one of ${consensusStrategies.join(", ")}`,
              e.value.span,
              hintFor(s, consensusStrategies),
            );
          break;
        }
        case "threshold": {
          const n = unit(e);
          if (n !== undefined) spec.threshold = n;
          break;
        }
        case "agreement": {
          const n = unit(e);
          if (n !== undefined) spec.agreement = n;
          break;
        }
        case "min_judges":
          if (e.value.kind === "number" && Number.isInteger(e.value.value) && e.value.value >= 1)
            spec.minJudges = e.value.value;
          else
            this.report(
              "AEG104",
              "consensus min_judges must be a whole number of at least 1",
              e.value.span,
            );
          break;
        default:
          this.report(
            "AEG105",
            `unknown consensus setting '${e.key.name}'`,
            e.key.span,
            hintFor(e.key.name, keys) ?? `settings are ${keys.join(", ")}`,
          );
      }
    }
    return spec;
  }

  private requireFields(decl: StateDecl, node: StateNode): void {
    const missing = (what: string, hint?: string) =>
      this.report("AEG111", `${decl.kind} state '${decl.name.name}' ${what}`, decl.kindSpan, hint);
    switch (decl.kind) {
      case "parallel":
        if (!node.judges?.length) missing("has no judges", "add `judge AGENT` lines to its body");
        if (
          node.judges?.length &&
          node.consensus?.minJudges &&
          node.consensus.minJudges > node.judges.length
        ) {
          // At the setting that asks for them, not at the state.
          const setting = decl.statements
            .flatMap((st) => (st.kind === "consensus" ? st.config.entries : []))
            .find((e) => e.key.name === "min_judges");
          this.report(
            "AEG111",
            `${decl.kind} state '${decl.name.name}' requires ${node.consensus.minJudges} judges but has ${node.judges.length}`,
            setting?.span ?? decl.kindSpan,
            `add judges, or lower min_judges to at most ${node.judges.length}`,
          );
        }
        break;
      case "container":
        if (!node.image?.text.trim()) missing("has no image");
        break;
      case "containers":
        if (!node.containers?.length)
          missing("has no containers", 'add `container NAME "image" { command: [...] }` lines');
        break;
      case "loop":
        if (node.loop?.max === undefined) {
          this.report(
            "AEG306",
            `loop state '${decl.name.name}' has no iteration cap`,
            decl.kindSpan,
            'add `max N`, e.g. `loop agent reviewer max 3 until output contains "LGTM"`',
          );
        }
        if (!node.loop?.until) missing("has no `until` condition", "add `until CONDITION`");
        break;
      case "coordinate":
        if (node.coordinate && node.coordinate.steps === undefined) {
          this.report(
            "AEG306",
            `coordinator '${decl.name.name}' has no step cap`,
            decl.kindSpan,
            "add `steps N` (the seeds' default is 10)",
          );
        }
        if (!node.coordinate?.specialists.length) missing("has no specialists");
        break;
    }
  }
}

function typeSchema(type: InputType): Record<string, unknown> {
  switch (type.type) {
    case "list":
      return { type: "array", items: typeSchema(type.items) };
    case "enum":
      return { enum: type.values };
    case "any":
      return {};
    default:
      return { type: type.type };
  }
}

/**
 * The JSON Schema (draft 2020-12) that a run's inputs must satisfy; `others`: inputs it
 * does not declare are taken too (`input *`).
 */
export function inputSchema(inputs: InputSpec[], others = false): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const input of inputs) {
    properties[input.name] = {
      ...typeSchema(input.type),
      ...(input.description && { description: input.description }),
      ...(input.default !== undefined && { default: input.default }),
    };
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties,
    required: inputs.filter((i) => i.required).map((i) => i.name),
    additionalProperties: others,
  };
}
