// AgentOS workflows (id, name, agents, steps) → AST. A step list becomes a chain of
// states with the meaning a user of that format expects:
// - sequential: an agent state; on success the next step, otherwise FAILED (errorMode
//   fail), the next step anyway (skip), or after retries (retry, maxRetries);
// - fanout: a foreach over `input.items` (or the step's `items`); collect: an agent
//   state reading the fan-out's results;
// - conditional: a branch that runs the step or skips to the next one;
// - loop: a loop state (`until` is text the output must contain, or a condition);
// - approval: a human gate before the step; timeoutMs: a timeout (AgentOS ignores both).
// Step i that calls `agent::chat` runs the i-th agent of `agents` (the last one for the
// rest); other functionIds become function agents supplied by the embedding program.
// Templates are rewritten to explicit names: `{{tech_spec}}` → `{{SPEC.output}}`,
// `{{feature_description}}` → `{{input.feature_description}}` (declared as an input).
import Handlebars from "handlebars";
import type { Node } from "yaml";
import type {
  AgentDecl,
  Expr,
  InputDecl,
  Named,
  SourceFileAst,
  Span,
  StateDecl,
  Template,
  TransitionDecl,
  WorkflowDecl,
} from "../ast.ts";
import { isName } from "../lexer.ts";
import { parseExpression } from "../parse.ts";
import { templateOffset } from "../strings.ts";
import { binary, literal, path, plainTemplate, toName } from "./aegis-manifest.ts";
import { type Context, isMap, type MapReader, type YAMLMap } from "./reader.ts";

const modes = ["sequential", "fanout", "collect", "conditional", "loop"] as const;
type Mode = (typeof modes)[number];
const stepFields = [
  "name",
  "functionId",
  "promptTemplate",
  "mode",
  "timeoutMs",
  "errorMode",
  "maxRetries",
  "outputVar",
  "condition",
  "until",
  "maxIterations",
  "approval",
  "sandbox",
  "config",
  "items",
  "concurrency",
  "agent",
] as const;

interface Step {
  m: MapReader;
  name: Named;
  state: string;
  mode: Mode;
  outputVar?: string;
  span: Span;
}

/** Names a template may use without rewriting. */
const builtins = new Set([
  "input",
  "item",
  "index",
  "iteration",
  "this",
  "state",
  "context",
  "secrets",
  "run",
  "workflow",
  "github",
  "intent",
]);

export function lowerAgentOs(ctx: Context, root: YAMLMap): SourceFileAst {
  const top = ctx.map(root, "the workflow");
  const id = top.named("id");
  const title = top.template("name");
  const name: Named = id
    ? { name: toName(id.name), span: id.span }
    : { name: toName(title?.text ?? "workflow"), span: title?.span ?? top.span };
  const wf: WorkflowDecl = {
    name,
    inputs: [],
    secrets: [],
    agents: [],
    states: [],
    span: top.span,
  };
  if (title) wf.title = title;
  const description = top.template("description");
  if (description) wf.description = description;
  const agentNames: Named[] = [];
  for (const n of top.list("agents") ?? []) {
    const s = ctx.reader.span(n);
    const value = (n as { value?: unknown }).value;
    if (typeof value === "string" && isName(value)) agentNames.push({ name: value, span: s });
    else ctx.reader.report("AEG705", "an agent is a name", s);
  }
  const version = top.string("version");
  if (version) wf.version = { value: version.value, span: version.span };
  const stepNodes = top.list("steps") ?? [];
  top.finish(["id", "name", "description", "agents", "steps", "version"]);
  if (stepNodes.length === 0) {
    ctx.reader.report(
      "AEG707",
      "the workflow needs at least one step in 'steps'",
      top.keySpan("steps"),
    );
    wf.states.push(finalState("DONE", "success", top.span));
    wf.start = { name: "DONE", span: top.span, keywordSpan: top.span };
    return { dialect: "agentos", imports: [], workflow: wf, span: top.span };
  }

  // First pass: names, modes and output variables of every step.
  const taken = new Set<string>();
  const unique = (base: string) => {
    let n = base;
    for (let i = 2; taken.has(n); i++) n = `${base}_${i}`;
    taken.add(n);
    return n;
  };
  const done = unique("DONE");
  const failed = unique("FAILED");
  const steps: Step[] = [];
  for (const node of stepNodes) {
    if (!isMap(node)) {
      ctx.reader.report("AEG705", "a step is a mapping", ctx.reader.span(node));
      continue;
    }
    const m = ctx.map(node, "a step");
    const stepName = m.named("name", true) ?? { name: `step${steps.length + 1}`, span: m.span };
    const modeField = m.string("mode");
    const mode = modes.find((x) => x === (modeField?.value ?? "sequential"));
    if (!mode) {
      ctx.reader.report(
        "AEG104",
        `unknown mode '${modeField?.value}'`,
        modeField!.span,
        `modes are ${modes.join(", ")}`,
      );
    }
    const outputVar = m.string("outputVar");
    steps.push({
      m,
      name: stepName,
      state: unique(toName(stepName.name).toUpperCase().replace(/-/g, "_")),
      mode: mode ?? "sequential",
      ...(outputVar && { outputVar: outputVar.value }),
      span: m.span,
    });
  }

  // What each output variable means in a template: the step's output, or a fan-out's list.
  const variables = new Map<string, string>();
  for (const s of steps)
    if (s.outputVar)
      variables.set(s.outputVar, s.mode === "fanout" ? `${s.state}.results` : `${s.state}.output`);
  const inputs = new Map<string, InputDecl>();
  const agents = new Map<string, AgentDecl>();
  const useAgent = (decl: AgentDecl) => {
    if (!agents.has(decl.name.name)) agents.set(decl.name.name, decl);
  };
  for (const a of agentNames) useAgent({ name: a, args: [], options: [], span: a.span });

  const declareInput = (name: string, span: Span, type = "any") => {
    if (inputs.has(name)) return;
    inputs.set(name, {
      name: { name, span },
      optional: false,
      type: { kind: "named", name: type, args: [], span },
      span,
    });
  };
  /** `{{x.y}}` in a condition or an items list → the path it means here. */
  const reference = (ref: string, span: Span, previous: Step | undefined, type = "any"): string => {
    const [head, ...rest] = ref.split(".");
    if (head === "previous_step" && previous) return [previous.state, ...rest].join(".");
    if (head === "workflow_input" || head === "input") {
      if (rest[0]) declareInput(rest[0], span, rest.length === 1 ? type : "any");
      return ["input", ...rest].join(".");
    }
    const variable = variables.get(head!);
    if (variable) return [variable, ...rest].join(".");
    declareInput(head!, span, rest.length === 0 ? type : "any");
    return ["input", head, ...rest].join(".");
  };
  // Middle pass: the expressions of conditional, loop and fan-out steps. A step whose
  // expression cannot be read runs as a plain step (the problem is reported once).
  const expressions = new Map<Step, Expr>();
  steps.forEach((step, i) => {
    const m = step.m;
    const previous = steps[i - 1];
    const field =
      step.mode === "conditional"
        ? "condition"
        : step.mode === "loop"
          ? "until"
          : step.mode === "fanout"
            ? "items"
            : undefined;
    if (!field) return;
    const text = m.string(field);
    if (!text) {
      if (field !== "items") {
        m.missing(
          field,
          field === "until"
            ? "a loop repeats until its output contains this text, or a condition holds"
            : undefined,
        );
        step.mode = "sequential";
      }
      return;
    }
    const expr =
      field === "until"
        ? untilCondition(text.value, text.span, (ref) => reference(ref, text.span, previous))
        : conditionExpr(text.value, text.span, (ref) =>
            reference(ref, text.span, previous, field === "items" ? "list" : "any"),
          );
    if (expr) expressions.set(step, expr);
    else {
      ctx.reader.report("AEG104", `cannot read ${field}: ${JSON.stringify(text.value)}`, text.span);
      if (field !== "items") step.mode = "sequential";
    }
  });

  const rewrite = (t: Template, step: Step, previous: Step | undefined): Template =>
    rewriteTemplate(t, (parts) => {
      const [head, ...rest] = parts;
      if (head === undefined) return undefined;
      if (head === "workflow_input") {
        if (rest[0]) declareInput(rest[0], t.span);
        return ["input", ...rest];
      }
      if (head === "maxIterations") return ["max_iterations"];
      if (head === "feedback" && step.mode === "loop") return ["state", "feedback"];
      if (head === "output" && step.mode === "loop") return ["previous", ...rest];
      if (head === "previous_step" && previous) return [previous.state, ...rest];
      const variable = variables.get(head);
      // A loop reading its own output variable means the previous iteration's output.
      if (variable?.startsWith(`${step.state}.`) && step.mode === "loop")
        return ["previous", ...rest];
      if (variable) return [...variable.split("."), ...rest];
      if (head === "input" && rest[0]) declareInput(rest[0], t.span);
      if (builtins.has(head) || steps.some((s) => s.state === head)) return undefined;
      declareInput(head, t.span);
      return ["input", head, ...rest];
    });

  // Second pass: states and transitions.
  const entryOf = (i: number): string => {
    const s = steps[i];
    if (!s) return done;
    if (s.m.has("approval")) return `APPROVE_${s.state}`;
    if (s.mode === "conditional") return `IF_${s.state}`;
    return s.state;
  };
  steps.forEach((step, i) => {
    const m = step.m;
    const previous = steps[i - 1];
    const next = entryOf(i + 1);
    const span = step.name.span;
    const state: StateDecl = {
      name: { name: step.state, span },
      kind: "agent",
      kindSpan: span,
      settings: [],
      statements: [],
      transitions: [],
      span: step.span,
    };
    // The agent: explicit, the i-th declared one for agent::chat, or a function.
    const functionId = m.string("functionId");
    const explicit = m.named("agent");
    let agent: Named;
    if (explicit) agent = explicit;
    else if (!functionId || functionId.value === "agent::chat") {
      agent = agentNames[Math.min(i, agentNames.length - 1)] ?? { name: "chat", span };
    } else {
      agent = { name: toName(functionId.value.replace(/::/g, "_")), span: functionId.span };
      const fnSpan = functionId.span;
      useAgent({
        name: agent,
        provider: { name: "function", span: fnSpan },
        args: [
          {
            kind: "string",
            value: functionId.value,
            span: fnSpan,
            template: plainTemplate(functionId.value, fnSpan),
          },
        ],
        options: [],
        span: fnSpan,
      });
    }
    useAgent({
      name: { name: agent.name, span: agent.span },
      args: [],
      options: [],
      span: agent.span,
    });
    state.agent = { name: agent.name, span: agent.span };
    const prompt = m.template("promptTemplate");
    if (prompt)
      state.statements.push({
        kind: "prompt",
        template: rewrite(prompt, step, previous),
        span: prompt.span,
      });
    const config = m.value("config");
    if (config?.kind === "object")
      state.statements.push({ kind: "options", value: config, span: config.span });
    const timeout = m.milliseconds("timeoutMs");
    if (timeout) state.settings.push({ kind: "timeout", ms: timeout.value, span: timeout.span });
    const errorMode = m.string("errorMode");
    const retries = m.count("maxRetries");
    if (errorMode && !["fail", "retry", "skip"].includes(errorMode.value)) {
      ctx.reader.report(
        "AEG104",
        `unknown errorMode '${errorMode.value}'`,
        errorMode.span,
        "errorMode is fail, retry or skip",
      );
    }
    if (errorMode?.value === "retry" || retries) {
      state.settings.push({
        kind: "retry",
        value: retries?.value ?? 3,
        span: retries?.span ?? errorMode!.span,
      });
    }
    if (errorMode?.value === "skip") {
      state.settings.push({
        kind: "errors",
        mode: { name: "skip", span: errorMode.span },
        span: errorMode.span,
      });
    }
    switch (step.mode) {
      case "fanout": {
        state.kind = "foreach";
        const over = expressions.get(step);
        state.foreach = {
          item: { name: "item", span },
          over: over ?? path(["input", "items"], span),
        };
        if (!over && !m.has("items")) declareInput("items", span, "list");
        const concurrency = m.count("concurrency");
        if (concurrency)
          state.settings.push({
            kind: "concurrency",
            value: concurrency.value,
            span: concurrency.span,
          });
        break;
      }
      case "loop": {
        state.kind = "loop";
        const max = m.count("maxIterations");
        if (max) state.settings.push({ kind: "max", value: max.value, span: max.span });
        const until = expressions.get(step);
        if (until) state.settings.push({ kind: "until", condition: until, span: until.span });
        break;
      }
      case "conditional": {
        const expr = expressions.get(step)!;
        const condition = { span: expr.span };
        wf.states.push({
          name: { name: `IF_${step.state}`, span: condition.span },
          kind: "branch",
          kindSpan: condition.span,
          settings: [],
          statements: [],
          transitions: [
            {
              otherwise: false,
              condition: expr,
              target: { name: step.state, span: condition.span },
              span: condition.span,
            },
            { otherwise: true, target: { name: next, span: condition.span }, span: condition.span },
          ],
          span: condition.span,
        });
        break;
      }
      default:
        break;
    }
    if (m.has("approval")) {
      const approval = m.value("approval");
      const at = approval?.span ?? span;
      const gate: StateDecl = {
        name: { name: `APPROVE_${step.state}`, span: at },
        kind: "human",
        kindSpan: at,
        settings: [],
        statements: [
          {
            kind: "prompt",
            template: plainTemplate(`Approve step '${step.name.name}' of ${name.name}?`, at),
            span: at,
          },
        ],
        transitions: [
          {
            otherwise: false,
            condition: path(["approved"], at),
            target: {
              name: step.mode === "conditional" ? `IF_${step.state}` : step.state,
              span: at,
            },
            span: at,
          },
          {
            otherwise: false,
            condition: path(["rejected"], at),
            target: { name: failed, span: at },
            span: at,
          },
        ],
        span: at,
      };
      wf.states.push(gate);
    }
    const skip = errorMode?.value === "skip";
    const onwards: TransitionDecl[] = skip
      ? [
          {
            otherwise: false,
            condition: path(["always"], span),
            target: { name: next, span },
            span,
          },
        ]
      : [
          {
            otherwise: false,
            condition: path(["success"], span),
            target: { name: next, span },
            span,
          },
          { otherwise: true, target: { name: failed, span }, span },
        ];
    state.transitions.push(...onwards);
    m.accept(
      "name",
      "mode",
      "outputVar",
      "functionId",
      "sandbox",
      "maxIterations",
      "until",
      "condition",
      "items",
      "concurrency",
      "approval",
    );
    m.finish([...stepFields]);
    wf.states.push(state);
  });

  const first = steps[0];
  if (first) wf.start = { name: entryOf(0), span: first.name.span, keywordSpan: first.name.span };
  const endSpan = steps.at(-1)?.span ?? top.span;
  wf.states.push(finalState(done, "success", endSpan), finalState(failed, "failure", endSpan));
  // The run's result: every output variable (those of conditional steps only if they ran).
  const entries = steps
    .filter((s) => s.outputVar)
    .map((s) => {
      const ref = variables.get(s.outputVar!)!;
      const text =
        s.mode === "conditional" || s.m.has("approval")
          ? `{{#if ${ref}}}{{${ref}}}{{/if}}`
          : `{{${ref}}}`;
      const template = plainTemplate(text, s.span);
      return {
        key: { name: s.outputVar!, span: s.span },
        value: { kind: "string" as const, value: text, span: s.span, template },
        span: s.span,
      };
    });
  if (entries.length > 0) wf.outputFields = { kind: "object", entries, span: top.span };
  wf.inputs = [...inputs.values()];
  wf.agents = [...agents.values()];
  return { dialect: "agentos", imports: [], workflow: wf, span: top.span };
}

function finalState(name: string, outcome: "success" | "failure", span: Span): StateDecl {
  return {
    name: { name, span },
    kind: "final",
    kindSpan: span,
    final: { outcome, span },
    settings: [],
    statements: [],
    transitions: [],
    span,
  };
}

/** `{{name.field}} == 'x'` → an expression over the renamed references. */
function conditionExpr(
  text: string,
  span: Span,
  reference: (ref: string) => string,
): Expr | undefined {
  const rewritten = text
    .replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, ref: string) => reference(ref))
    .replace(/'([^']*)'/g, (_, s: string) => JSON.stringify(s));
  return expressionWithin(rewritten, span);
}

/**
 * Parses a condition rewritten from a YAML value. The rewritten text is not the file's
 * (references renamed, quotes changed, YAML escapes decoded): its positions are kept
 * inside the value's span, so that no diagnostic points past it.
 */
function expressionWithin(text: string, span: Span): Expr | undefined {
  const expr = parseExpression(text, span.start).expr;
  const clamp = (value: unknown): void => {
    if (!value || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) clamp(item);
      return;
    }
    const node = value as Record<string, unknown>;
    const s = node.span as Span | undefined;
    if (s && typeof s.start === "number" && typeof s.end === "number") {
      const start = Math.min(Math.max(s.start, span.start), span.end);
      node.span = { start, end: Math.min(Math.max(s.end, start), span.end) };
    }
    for (const key of Object.keys(node)) if (key !== "span") clamp(node[key]);
  };
  clamp(expr);
  return expr;
}

/** `until: "LGTM"` → `output contains "LGTM"`; `until: "quality_score > 0.9"` → `output.quality_score > 0.9`. */
function untilCondition(
  text: string,
  span: Span,
  reference: (ref: string) => string,
): Expr | undefined {
  if (/^[\w\s-]+$/.test(text.trim())) {
    return binary("contains", path(["output"], span), literal(text.trim(), span), span);
  }
  const known = new Set([
    "output",
    "score",
    "confidence",
    "iterations",
    "success",
    "failure",
    "and",
    "or",
    "not",
    "true",
    "false",
    "contains",
    "matches",
    "between",
    "in",
  ]);
  const rewritten = text
    .replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, ref: string) => reference(ref))
    .replace(/'([^']*)'/g, (_, s: string) => JSON.stringify(s))
    .replace(
      /("(?:[^"\\]|\\.)*")|\b([A-Za-z_]\w*)\b(?![.(])/g,
      (all, quoted: string | undefined, id: string | undefined) =>
        quoted || !id || known.has(id) || /^[A-Z]/.test(id) ? all : `output.${id}`,
    );
  return expressionWithin(rewritten, span);
}

/**
 * Rewrites the variables of a Handlebars template (`rename` returns new path parts, or
 * undefined to keep a path), and AgentOS's `{{#if a > 0}}` into `{{#if (gt a 0)}}`. The
 * new text keeps pointing at the original characters for diagnostics.
 */
export function rewriteTemplate(
  t: Template,
  rename: (parts: string[]) => string[] | undefined,
): Template {
  const edits: { start: number; end: number; text: string }[] = [];
  const ops: Record<string, string> = {
    ">": "gt",
    ">=": "gte",
    "<": "lt",
    "<=": "lte",
    "==": "eq",
    "!=": "ne",
  };
  const comparison = /\{\{#(if|unless)\s+([\w.@]+)\s*(>=|<=|==|!=|>|<)\s*([\w.'"-]+)\s*\}\}/g;
  for (const m of t.text.matchAll(comparison)) {
    const [, helper, left, op, right] = m;
    edits.push({
      start: m.index,
      end: m.index + m[0].length,
      text: `{{#${helper} (${ops[op!]} ${left} ${right!.replace(/'/g, '"')})}}`,
    });
  }
  let text = applyEdits(t.text, edits);
  const afterFirst = remap(t, edits);
  const renames: { start: number; end: number; text: string }[] = [];
  try {
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
    const at = (p: hbs.AST.Position) => (lineStarts[p.line - 1] ?? 0) + p.column;
    const visit = (node: unknown, relative: boolean): void => {
      if (!node || typeof node !== "object") return;
      const n = node as { type?: string; loc?: hbs.AST.SourceLocation } & Record<string, unknown>;
      if (n.type === "PathExpression") {
        const p = n as unknown as hbs.AST.PathExpression;
        if (!p.data && p.depth === 0 && !relative && p.loc) {
          const renamed = rename(p.parts);
          if (renamed)
            renames.push({ start: at(p.loc.start), end: at(p.loc.end), text: renamed.join(".") });
        }
        return;
      }
      if (n.type === "BlockStatement") {
        const b = n as unknown as hbs.AST.BlockStatement;
        // b.path is the helper (`if`, `each`), not a variable.
        for (const p of b.params) visit(p, relative);
        visit(b.hash, relative);
        const inner = relative || b.path.original === "each" || b.path.original === "with";
        visit(b.program, inner);
        visit(b.inverse, relative);
        return;
      }
      if (n.type === "MustacheStatement" || n.type === "SubExpression") {
        const s = n as unknown as hbs.AST.MustacheStatement;
        // A helper's own name is not a variable; a lone path is.
        if (s.params.length > 0 || (s.hash?.pairs.length ?? 0) > 0) {
          for (const p of s.params) visit(p, relative);
          visit(s.hash, relative);
        } else visit(s.path, relative);
        return;
      }
      for (const value of Object.values(n)) {
        if (Array.isArray(value)) for (const v of value) visit(v, relative);
        else if (value && typeof value === "object" && key(value)) visit(value, relative);
      }
    };
    visit(Handlebars.parseWithoutProcessing(text), false);
  } catch {
    return afterFirst; // not valid Handlebars: the checker reports it where it is
  }
  text = applyEdits(text, renames);
  return remap(afterFirst, renames, text);
}

function key(value: object): boolean {
  return "type" in value || "pairs" in value || "body" in value;
}

function applyEdits(text: string, edits: { start: number; end: number; text: string }[]): string {
  let out = "";
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/** The template after edits: unchanged characters keep their offsets, new text points at what it replaced. */
function remap(
  t: Template,
  edits: { start: number; end: number; text: string }[],
  newText?: string,
): Template {
  if (edits.length === 0) return t;
  const offsets: number[] = [];
  let at = 0;
  for (const e of [...edits].sort((a, b) => a.start - b.start)) {
    for (let i = at; i < e.start; i++) offsets.push(templateOffset(t, i));
    const origin = templateOffset(t, e.start);
    for (let i = 0; i < e.text.length; i++) offsets.push(origin);
    at = e.end;
  }
  for (let i = at; i < t.text.length; i++) offsets.push(templateOffset(t, i));
  const map: number[] = [];
  offsets.forEach((o, i) => {
    const n = map.length;
    if (n && o === map[n - 1]! + (i - map[n - 2]!)) return;
    map.push(i, o);
  });
  return { kind: "template", text: newText ?? applyEdits(t.text, edits), span: t.span, map };
}

export type { Node };
