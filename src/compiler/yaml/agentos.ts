// AgentOS workflows (id, name, agents, steps) → AST. A step list becomes a chain of
// states with the meaning a user of that format expects:
// - sequential: an agent state; on success the next step, otherwise FAILED (errorMode
//   fail), the next step anyway (skip), or after retries (retry, maxRetries);
// - fanout: a foreach over `input.items` (or the step's `items`); collect: an agent
//   state reading the fan-out's results (`{{__fanout}}`, as AgentOS's engine names them);
// - conditional: a branch that runs the step or skips to the next one;
// - loop: a loop state, at most `maxIterations` (default 10) times, until `until` holds;
// - `condition` and `until` are expressions when they are over names the workflow has
//   (`{{triage.severity}} == 'P0'`); anything else means what AgentOS's engine does with
//   them: text the previous output (the loop's own output, for `until`) contains, in any
//   case. A conditional step without a condition always runs, a loop without `until`
//   runs all its iterations (as in AgentOS);
// - approval: a human gate before the step; timeoutMs: a timeout (AgentOS ignores both).
// - the agent: `agents` is a set, and a step names the agent it runs (`agent:`, or
//   `config.agentId` as AgentOS's agent::chat reads it) — one of `agents` when there are
//   any (AEG501, with "did you mean"); a step naming none runs the only agent listed, else
//   one called chat (AEG711, once, when several are listed). Other functionIds (`hand::run`,
//   `tool::…`) become function agents supplied when the workflow runs;
// - config: the step's options, given to its agent with each call (a function agent's
//   `options`, a program's $AEGIS_OPTIONS), templates rewritten as in the prompt;
// - sandbox: docker runs a tool::shell_exec step's config.argv in a container, as
//   AgentOS's Docker sandbox does; any other sandbox or step is refused (AEG712).
// - ids: the workflow's id, a step's functionId and outputVar are ids AgentOS accepts
//   (AEG104 otherwise); `timeoutMs: 0`, AgentOS's default, is no timeout.
// Templates are rewritten to explicit names: `{{tech_spec}}` → `{{SPEC.output}}`,
// `{{feature_description}}` → `{{input.feature_description}}` (declared as an input).

import type { Node } from "yaml";
import type {
  AgentDecl,
  Expr,
  InputDecl,
  Named,
  SourceFileAst,
  Span,
  StateDecl,
  StateSetting,
  StateStatement,
  Template,
  TransitionDecl,
  Value,
  WorkflowDecl,
} from "../ast.ts";
import { MAX_DURATION_MS } from "../cst-to-ast.ts";
import { hintFor } from "../diagnostics.ts";
import { parseTemplate } from "../handlebars-parser.ts";
import { isName } from "../lexer.ts";
import { parseExpression } from "../parse.ts";
import { templateOffset } from "../strings.ts";
import { functions } from "../vocabulary.ts";
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
  /** Where `mode` is written (the step's name when it is not). */
  modeSpan: Span;
  outputVar?: string;
  span: Span;
}

/** AgentOS's engine runs a loop this many times when the step does not say (main.rs). */
const defaultMaxIterations = 10;

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
  // An empty id is no id: AgentOS's workflow::create gives the workflow one of its own.
  const givenId = top.named("id");
  const id = givenId?.name === "" ? undefined : givenId;
  if (id) checkId(ctx, "id", id.name, id.span);
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
    if (outputVar) checkId(ctx, "outputVar", outputVar.value, outputVar.span);
    steps.push({
      m,
      name: stepName,
      state: unique(toName(stepName.name).toUpperCase().replace(/-/g, "_")),
      mode: mode ?? "sequential",
      modeSpan: modeField?.span ?? stepName.span,
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
  /**
   * `{{x.y}}` in a condition or an items list → the path it means here. Inputs it names are
   * handed to `declare` (by default declared at once).
   */
  const reference = (
    ref: string,
    span: Span,
    previous: Step | undefined,
    type = "any",
    declare: (name: string, span: Span, type: string) => void = declareInput,
  ): string => {
    const [head, ...rest] = ref.split(".");
    if (head === "previous_step" && previous) return [previous.state, ...rest].join(".");
    if (head === "workflow_input" || head === "input") {
      if (rest[0]) declare(rest[0], span, rest.length === 1 ? type : "any");
      return ["input", ...rest].join(".");
    }
    const variable = variables.get(head!);
    if (variable) return [variable, ...rest].join(".");
    declare(head!, span, rest.length === 0 ? type : "any");
    return ["input", head, ...rest].join(".");
  };
  const stateNames = new Set(steps.map((s) => s.state));
  /**
   * A condition or until as an expression, when it parses as one over names this workflow
   * has; else the names it lacks (none when it does not parse, or is plain words). The
   * inputs it names are declared only when it is an expression: otherwise `{{x}}` is just
   * text to AgentOS.
   */
  const expressionOver = (
    text: { value: string; span: Span },
    field: "condition" | "until",
    previous: Step | undefined,
  ): { expr: Expr } | { unknown: string[] } => {
    if (plainText(text.value)) return { unknown: [] };
    const pending: [string, Span, string][] = [];
    const ref = (r: string) =>
      reference(r, text.span, previous, "any", (...args) => pending.push(args));
    const expr =
      field === "until"
        ? untilCondition(text.value, text.span, ref)
        : conditionExpr(text.value, text.span, ref);
    if (!expr) return { unknown: [] };
    const own = field === "until" ? untilNames : noNames;
    const unknown = unknownNames(expr, (n) => n === "input" || stateNames.has(n) || own.has(n));
    if (unknown.length > 0) return { unknown };
    for (const [name, span, type] of pending) declareInput(name, span, type);
    return { expr };
  };
  /**
   * `lower(X.output) contains "text"` over the output AgentOS compares a condition with: the
   * last output that became the next step's input — the step before, or, past a step that
   * may have been passed over without output (a conditional one, or one whose errors are
   * skipped), the one before that (such steps are read through `blackboard`, which may be
   * read before they ran). Fan-out steps never set it. Before any step has run AgentOS
   * compares with the run's input, which aegis keeps as named values, not one text: there
   * the condition has no counterpart and the step runs (AEG709). Undefined when no earlier
   * step can have set it.
   */
  const previousOutputContains = (i: number, text: string, span: Span): Expr | undefined => {
    let reachesInput = false;
    const from = (k: number): Expr | undefined => {
      for (let j = k - 1; j >= 0; j--) {
        const s = steps[j]!;
        if (s.mode === "fanout") continue;
        const skippable = s.mode === "conditional" || s.m.peek("errorMode") === "skip";
        const state = skippable ? ["blackboard", s.state] : [s.state];
        const match = textMatch(path([...state, "output"], span), text, span);
        if (!skippable) return match;
        // Its own output only if it succeeded: a failure it skips counts as success.
        const ran = binary(
          "==",
          path([...state, "status"], span),
          literal("succeeded", span),
          span,
        );
        const before = from(j);
        const notRan: Expr = { kind: "unary", op: "not", operand: ran, span };
        return binary(
          "or",
          binary("and", ran, match, span),
          before ? binary("and", notRan, before, span) : notRan,
          span,
        );
      }
      reachesInput = true;
      return undefined;
    };
    const expr = from(i);
    if (reachesInput)
      ctx.reader.report(
        "AEG709",
        `'condition' has no effect ${expr ? "when no earlier step has run" : "before any other step has run"}: AgentOS then matches it against the run's input, which aegis keeps as named values rather than one text; the step runs`,
        span,
      );
    return expr;
  };
  /** A condition or until that is no expression: AgentOS's text match (AEG710 when it looks like one). */
  const asText = (
    text: { value: string; span: Span },
    field: "condition" | "until",
    unknown: string[],
    subject: () => Expr | undefined,
  ): Expr | undefined => {
    if (/\{\{|==|!=|[<>]/.test(text.value)) {
      const why =
        unknown.length > 0
          ? `${unknown.map((n) => `'${n}'`).join(", ")} ${unknown.length > 1 ? "are" : "is"} not a name of this workflow`
          : "it does not parse as an expression";
      ctx.reader.report(
        "AEG710",
        `${field} ${JSON.stringify(text.value)} is read as AgentOS reads it, as text ${field === "until" ? "the loop's output" : "the previous output"} contains: ${why}`,
        text.span,
        unknown.length > 0 ? "to compare with a text, quote it: {{x.status}} == 'done'" : undefined,
      );
    }
    return subject();
  };
  // Middle pass: the expressions of conditional, loop and fan-out steps.
  const expressions = new Map<Step, Expr>();
  steps.forEach((step, i) => {
    const m = step.m;
    const previous = steps[i - 1];
    if (step.mode === "fanout") {
      const text = m.string("items");
      if (!text) return;
      const expr = conditionExpr(text.value, text.span, (ref) =>
        reference(ref, text.span, previous, "list"),
      );
      // A fan-out whose list cannot be read runs over input.items (reported here, once).
      if (expr) expressions.set(step, expr);
      else
        ctx.reader.report("AEG104", `cannot read items: ${JSON.stringify(text.value)}`, text.span);
      return;
    }
    if (step.mode !== "conditional" && step.mode !== "loop") return;
    const field = step.mode === "conditional" ? "condition" : "until";
    const text = m.string(field);
    if (!text) {
      if (field === "condition") {
        ctx.reader.report(
          "AEG709",
          "'mode: conditional' has no effect without a 'condition': the step always runs, as in AgentOS",
          step.modeSpan,
        );
        step.mode = "sequential";
      }
      return;
    }
    const read = expressionOver(text, field, previous);
    const expr =
      "expr" in read
        ? read.expr
        : asText(text, field, read.unknown, () =>
            field === "until"
              ? textMatch(path(["output"], text.span), text.value, text.span)
              : previousOutputContains(i, text.value, text.span),
          );
    if (expr) expressions.set(step, expr);
    else step.mode = "sequential"; // a text condition with nothing to match: the step runs
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
      // AgentOS's engine keeps the last fan-out's results in __fanout (a collect step's
      // default prompt is {{__fanout}}).
      if (head === "__fanout") {
        const fanout = steps.slice(0, steps.indexOf(step)).findLast((s) => s.mode === "fanout");
        if (fanout) return [fanout.state, "results", ...rest];
      }
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

  // A step's agent, by name as AgentOS's agent::chat finds it (the `agentId` of its call):
  // `agent:` or `config.agentId`, one of `agents:` when the workflow lists them. The list
  // is a set: a step that names none runs the only one listed, else an agent called chat.
  const listed = new Set(agentNames.map((a) => a.name));
  /** agent::chat steps that name none of several agents listed (AEG711, once). */
  const unnamed: { step: string; span: Span }[] = [];
  const stepAgent = (step: Step, fn: string, fnSpan: Span, config?: ObjectValue): Named => {
    const explicit = step.m.named("agent");
    if (explicit && !isName(explicit.name)) {
      ctx.reader.report("AEG705", "an agent is a name", explicit.span);
      return { name: "chat", span: explicit.span };
    }
    const chat = fn === "agent::chat";
    const id = chat ? config?.entries.find((e) => e.key.name === "agentId")?.value : undefined;
    let named = explicit;
    if (id) {
      if (id.kind !== "string" || !isName(id.value))
        ctx.reader.report("AEG705", "config.agentId is the name of an agent", id.span);
      else if (explicit && explicit.name !== id.value)
        ctx.reader.report(
          "AEG104",
          `'agent' and config.agentId name different agents ('${explicit.name}', '${id.value}'): give one of them`,
          id.span,
        );
      else named ??= { name: id.value, span: id.span };
    }
    if (named) {
      if (listed.size > 0 && !listed.has(named.name))
        ctx.reader.report(
          "AEG501",
          `agent '${named.name}' is not one of the workflow's agents`,
          named.span,
          hintFor(named.name, listed) ??
            `the workflow's agents are ${[...listed].join(", ")}: add it to 'agents'`,
        );
      // Declared either way: the finding above is the one about it.
      useAgent({ name: named, args: [], options: [], span: named.span });
      return { name: named.name, span: named.span };
    }
    if (!chat) {
      const agent = { name: toName(fn.replace(/::/g, "_")), span: fnSpan };
      useAgent({
        name: agent,
        provider: { name: "function", span: fnSpan },
        args: [{ kind: "string", value: fn, span: fnSpan, template: plainTemplate(fn, fnSpan) }],
        options: [],
        span: fnSpan,
      });
      return agent;
    }
    const only = agentNames.length === 1 ? agentNames[0] : undefined;
    if (only) return { name: only.name, span: only.span };
    if (agentNames.length > 1) unnamed.push({ step: step.name.name, span: fnSpan });
    const agent = { name: "chat", span: fnSpan };
    useAgent({ name: agent, args: [], options: [], span: fnSpan });
    return agent;
  };

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
    const functionId = m.string("functionId");
    if (functionId) checkId(ctx, "functionId", functionId.value, functionId.span);
    const fn = functionId?.value ?? "agent::chat";
    // `config` is the function's input (AgentOS's payload): its templates mean what the
    // prompt's do. Rewritten once, here, so that the inputs it names are declared once.
    const configValue = m.value("config");
    if (configValue && configValue.kind !== "object")
      ctx.reader.report("AEG705", "'config' in a step must be a mapping", configValue.span);
    const config =
      configValue?.kind === "object"
        ? (rewriteValue(configValue, (t) => rewrite(t, step, previous)) as ObjectValue)
        : undefined;
    const container = sandboxed(ctx, m, step, fn, config);
    if (container) {
      Object.assign(state, container.state);
      state.statements.push(...container.statements);
      state.settings.push(...container.settings);
    } else {
      state.agent = stepAgent(step, fn, functionId?.span ?? span, config);
      const prompt = m.template("promptTemplate");
      if (prompt)
        state.statements.push({
          kind: "prompt",
          template: rewrite(prompt, step, previous),
          span: prompt.span,
        });
      if (config) state.statements.push({ kind: "options", value: config, span: config.span });
    }
    // 0 is AgentOS's default for the field (serde's for a u64): the step has no timeout.
    if (noTimeout(m)) m.accept("timeoutMs");
    const timeout = noTimeout(m) ? undefined : m.milliseconds("timeoutMs");
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
        state.settings.push(
          max
            ? { kind: "max", value: max.value, span: max.span }
            : { kind: "max", value: defaultMaxIterations, span: step.modeSpan },
        );
        // Without `until`, AgentOS runs every iteration: a condition that never holds.
        const until = expressions.get(step) ?? literal(false, step.modeSpan);
        state.settings.push({ kind: "until", condition: until, span: until.span });
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

  const [firstUnnamed] = unnamed;
  if (firstUnnamed) {
    const names = unnamed.map((u) => `'${u.step}'`);
    const which =
      names.length === 1
        ? `step ${names[0]} names no agent`
        : `steps ${names.slice(0, -1).join(", ")} and ${names.at(-1)} name no agent`;
    ctx.reader.report(
      "AEG711",
      `${which}, and the workflow lists ${agentNames.length}: ${names.length === 1 ? "it runs" : "they run"} an agent called 'chat'`,
      firstUnnamed.span,
      `AgentOS's agent::chat runs the agent its call names (agentId), not one by position: name one of ${[...listed].join(", ")} with 'agent:' (or config.agentId), or give 'chat' a provider when the workflow runs (aegis run --agent chat=…)`,
    );
  }
  const first = steps[0];
  if (first) wf.start = { name: entryOf(0), span: first.name.span, keywordSpan: first.name.span };
  const endSpan = steps.at(-1)?.span ?? top.span;
  wf.states.push(finalState(done, "success", endSpan), finalState(failed, "failure", endSpan));
  // The run's result: every output variable (those of conditional steps only if they ran,
  // of steps whose errors are skipped only if they succeeded, as AgentOS sets them).
  const entries = steps
    .filter((s) => s.outputVar)
    .map((s) => {
      const ref = variables.get(s.outputVar!)!;
      const text =
        s.mode === "conditional" || s.m.has("approval") || s.m.peek("errorMode") === "skip"
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

type ObjectValue = Value & { kind: "object" };

/** A value with the templates of its strings rewritten (a step's config). */
function rewriteValue(v: Value, rewrite: (t: Template) => Template): Value {
  switch (v.kind) {
    case "string": {
      if (!v.template.text.includes("{{")) return v;
      const template = rewrite(v.template);
      return { ...v, value: template.text, template };
    }
    case "list":
      return { ...v, items: v.items.map((item) => rewriteValue(item, rewrite)) };
    case "object":
      return {
        ...v,
        entries: v.entries.map((e) => ({ ...e, value: rewriteValue(e.value, rewrite) })),
      };
    default:
      return v;
  }
}

function text(value: string, span: Span): Value {
  return { kind: "string", value, span, template: plainTemplate(value, span) };
}

function object(entries: [string, Value][], span: Span): ObjectValue {
  return {
    kind: "object",
    entries: entries.map(([key, value]) => ({ key: { name: key, span }, value, span })),
    span,
  };
}

/** The sandboxes AgentOS has: Docker containers and WASM modules. */
const sandboxKinds = ["docker", "wasm"];

/**
 * AgentOS's Docker sandbox (docker_exec in workers/security/src/docker_sandbox.rs): the
 * image and limits it runs a command with unless told otherwise.
 */
const docker = { image: "ubuntu:22.04", memory: "256m", cpu: 1, network: "none" } as const;

/** Where a sandboxed command finds the run's working copy (AgentOS: the workspace it mounts). */
const workspaceMount = "/workspace";

/**
 * The config fields a sandboxed tool::shell_exec reads: shell_exec's own (argv, cwd,
 * timeout in ms) and docker_exec's (command, image, env, memoryLimit, cpuLimit,
 * networkMode, timeoutSecs).
 */
const sandboxFields = [
  "argv",
  "command",
  "cwd",
  "timeout",
  "timeoutSecs",
  "image",
  "env",
  "memoryLimit",
  "cpuLimit",
  "networkMode",
];

interface Sandboxed {
  state: Pick<StateDecl, "kind" | "image">;
  statements: StateStatement[];
  settings: StateSetting[];
}

/**
 * `sandbox:` of a step. `docker` on a tool::shell_exec step with config.argv: a container
 * state running that command in AgentOS's sandbox image with its limits (no network, 256
 * MB, one CPU) and the run's working copy at /workspace. Anything aegis cannot run in a
 * sandbox is refused (AEG712) rather than run outside one; undefined then, and when the
 * step has no sandbox.
 */
function sandboxed(
  ctx: Context,
  m: MapReader,
  step: Step,
  fn: string,
  config: ObjectValue | undefined,
): Sandboxed | undefined {
  const sandbox = m.string("sandbox");
  if (!sandbox) return undefined;
  if (!sandboxKinds.includes(sandbox.value)) {
    ctx.reader.report(
      "AEG104",
      `unknown sandbox '${sandbox.value}'`,
      sandbox.span,
      hintFor(sandbox.value, sandboxKinds) ?? "AgentOS's sandboxes are docker and wasm",
    );
    return undefined;
  }
  const refuse = (why: string, hint: string): undefined => {
    ctx.reader.report(
      "AEG712",
      `${why}: the step is refused rather than run unsandboxed`,
      sandbox.span,
      hint,
    );
    return undefined;
  };
  if (sandbox.value === "wasm")
    return refuse(
      "aegis has no WASM sandbox",
      "run the command in a container (sandbox: docker, on a tool::shell_exec step with config.argv), or remove 'sandbox'",
    );
  if (fn !== "tool::shell_exec")
    return refuse(
      `'sandbox: docker' runs a command in a container, and a step calling '${fn}' runs none`,
      "aegis runs tool::shell_exec steps with config.argv in a container; remove 'sandbox' to run this step as its function",
    );
  if (step.mode !== "sequential" && step.mode !== "conditional")
    return refuse(
      `'sandbox: docker' runs one command, once, and this is a ${step.mode} step`,
      "make it a sequential (or conditional) step",
    );
  const entry = (key: string) => config?.entries.find((e) => e.key.name === key);
  const argv = entry("argv") ?? entry("command");
  if (!argv)
    return refuse(
      "'sandbox: docker' needs the command to run in the container, tool::shell_exec's config.argv (AgentOS's shell_exec fails without one too)",
      'give it, e.g. config: { argv: ["make", "deploy"] }',
    );
  const command = argv.value;
  if (
    command.kind !== "list" ||
    command.items.length === 0 ||
    command.items.some((i) => i.kind !== "string")
  ) {
    ctx.reader.report(
      "AEG705",
      `config.${argv.key.name} is the program and its arguments, a list of strings`,
      command.span,
    );
    return undefined;
  }
  const at = sandbox.span;
  const statements: StateStatement[] = [
    { kind: "command", value: command, span: command.span },
    { kind: "volumes", value: object([["workspace", text(workspaceMount, at)]], at), span: at },
  ];
  const settings: StateSetting[] = [];
  const string = (key: string): { value: string; span: Span; v: Value } | undefined => {
    const e = entry(key);
    if (!e) return undefined;
    if (e.value.kind === "string") return { value: e.value.value, span: e.value.span, v: e.value };
    if (e.value.kind === "number" && key !== "cwd" && key !== "image")
      return { value: String(e.value.value), span: e.value.span, v: e.value };
    ctx.reader.report("AEG705", `config.${key} must be a string`, e.value.span);
    return undefined;
  };
  const image = string("image");
  let workdir = workspaceMount;
  const cwd = string("cwd");
  if (cwd) {
    // shell_exec resolves cwd in the workspace, and refuses a path that leaves it.
    const inside = cwd.value.replace(/^\.\/+/, "").replace(/\/+$/, "");
    if (cwd.value.startsWith("/") || inside.split("/").includes(".."))
      ctx.reader.report("AEG104", "config.cwd is a directory inside the workspace", cwd.span);
    else if (inside && inside !== ".") workdir = `${workspaceMount}/${inside}`;
  }
  statements.push({
    kind: "workdir",
    value: plainTemplate(workdir, cwd?.span ?? at),
    span: cwd?.span ?? at,
  });
  const memory = string("memoryLimit");
  const cpu = string("cpuLimit");
  statements.push({
    kind: "resources",
    value: object(
      [
        ["cpu", cpu?.v ?? { kind: "number", value: docker.cpu, span: at }],
        ["memory", memory?.v ?? text(docker.memory, at)],
      ],
      at,
    ),
    span: at,
  });
  const network = string("networkMode");
  statements.push({
    kind: "options",
    value: object([["network_mode", network?.v ?? text(docker.network, at)]], at),
    span: at,
  });
  const env = entry("env");
  if (env) {
    // docker_exec's env is a list of NAME=value.
    const pairs: [string, Value][] = [];
    const items = env.value.kind === "list" ? env.value.items : [env.value];
    for (const item of items) {
      const eq = item.kind === "string" ? item.value.indexOf("=") : -1;
      if (item.kind !== "string" || eq <= 0) {
        ctx.reader.report("AEG705", "config.env is a list of NAME=value", item.span);
        continue;
      }
      pairs.push([item.value.slice(0, eq), text(item.value.slice(eq + 1), item.span)]);
    }
    if (pairs.length > 0)
      statements.push({ kind: "env", value: object(pairs, env.value.span), span: env.value.span });
  }
  for (const [key, factor] of [
    ["timeout", 1],
    ["timeoutSecs", 1000],
  ] as const) {
    const e = entry(key);
    if (!e) continue;
    if (m.has("timeoutMs") && !noTimeout(m)) {
      ctx.reader.report(
        "AEG709",
        `config.${key} has no effect: the step's timeoutMs is its limit`,
        e.key.span,
      );
      continue;
    }
    const ms = e.value.kind === "number" ? e.value.value * factor : Number.NaN;
    if (!(ms > 0 && ms <= MAX_DURATION_MS)) {
      ctx.reader.report(
        "AEG705",
        `config.${key} must be a positive number of ${factor === 1 ? "milliseconds" : "seconds"}`,
        e.value.span,
      );
      continue;
    }
    settings.push({ kind: "timeout", ms: Math.round(ms), span: e.value.span });
  }
  for (const e of config?.entries ?? [])
    if (
      !sandboxFields.includes(e.key.name) ||
      (e.key.name === "command" && argv.key.name === "argv")
    )
      ctx.reader.report(
        "AEG709",
        `config.${e.key.name} has no effect in a sandboxed tool::shell_exec step`,
        e.key.span,
        `it reads ${sandboxFields.join(", ")}`,
      );
  if (m.has("promptTemplate")) {
    m.template("promptTemplate");
    ctx.reader.report(
      "AEG709",
      "'promptTemplate' has no effect: a sandboxed tool::shell_exec runs config.argv",
      m.keySpan("promptTemplate"),
    );
  }
  return {
    state: {
      kind: "container",
      image: image
        ? (image.v as Value & { kind: "string" }).template
        : plainTemplate(docker.image, at),
    },
    statements,
    settings,
  };
}

/** `timeoutMs: 0`, AgentOS's default: no timeout of the step's own. */
function noTimeout(m: MapReader): boolean {
  return m.peek("timeoutMs") === 0;
}

/**
 * AgentOS's sanitize_id (workers/workflow/src/types.rs), which its engine applies to a
 * workflow's id, a step's functionId and its outputVar when it reads the workflow: 1 to 256
 * ASCII letters, digits, `_`, `-`, `:` and `.`. Anything else, AgentOS refuses to run
 * ("Invalid ID format"); so does aegis (AEG104, at the value).
 */
function checkId(ctx: Context, field: string, value: string, span: Span): void {
  if (value.length >= 1 && value.length <= 256 && /^[A-Za-z0-9_:.-]+$/.test(value)) return;
  ctx.reader.report(
    "AEG104",
    `${field} ${JSON.stringify(value)} is not an id AgentOS accepts`,
    span,
    "AgentOS ids are 1 to 256 letters, digits, '_', '-', ':' and '.'",
  );
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

/** Words, digits, `_`, `-` and spaces: text to look for, never an expression (`LGTM`, `all_tests_pass`). */
function plainText(text: string): boolean {
  return /^[\w\s-]+$/.test(text.trim());
}

/** AgentOS's match: the subject, lower-cased, contains the text, lower-cased (main.rs). */
function textMatch(subject: Expr, text: string, span: Span): Expr {
  const lower: Expr = { kind: "call", callee: { name: "lower", span }, args: [subject], span };
  return binary("contains", lower, literal(text.toLowerCase(), span), span);
}

/** Names an until condition has of its own: the loop's result fields. */
const untilNames = new Set(["output", "score", "confidence", "iterations", "success", "failure"]);
const noNames = new Set<string>();

/** The names an expression uses (paths' first names, functions) that `known` does not know. */
function unknownNames(e: Expr, known: (name: string) => boolean, out: string[] = []): string[] {
  const add = (name: string) => {
    if (!out.includes(name)) out.push(name);
  };
  switch (e.kind) {
    case "path": {
      const first = e.segments[0];
      if (first && "name" in first && !known(first.name)) add(first.name);
      break;
    }
    case "call":
      if (!Object.hasOwn(functions, e.callee.name)) add(e.callee.name);
      for (const a of e.args) unknownNames(a, known, out);
      break;
    case "unary":
      unknownNames(e.operand, known, out);
      break;
    case "binary":
      unknownNames(e.left, known, out);
      unknownNames(e.right, known, out);
      break;
    case "between":
      for (const x of [e.operand, e.low, e.high]) unknownNames(x, known, out);
      break;
    case "list":
      for (const x of e.items) unknownNames(x, known, out);
      break;
    case "literal":
      break;
  }
  return out;
}

/**
 * `until: "quality_score > 0.9"` → `output.quality_score > 0.9`: a bare lower-case name is a
 * field of the loop's output, `{{x}}` a reference (never renamed again).
 */
function untilCondition(
  text: string,
  span: Span,
  reference: (ref: string) => string,
): Expr | undefined {
  const known = new Set([
    ...untilNames,
    "and",
    "or",
    "not",
    "true",
    "false",
    "null",
    "contains",
    "matches",
    "between",
    "in",
  ]);
  const references: string[] = [];
  const rewritten = text
    // References become placeholders first, so that their parts are not taken for fields.
    .replace(
      /\{\{\s*([\w.]+)\s*\}\}/g,
      (_, ref: string) => `\uE000${references.push(ref) - 1}\uE000`,
    )
    .replace(/'([^']*)'/g, (_, s: string) => JSON.stringify(s))
    .replace(
      /("(?:[^"\\]|\\.)*")|\b([A-Za-z_]\w*)\b(?![.(])/g,
      (all, quoted: string | undefined, id: string | undefined) =>
        quoted || !id || known.has(id) || /^[A-Z]/.test(id) ? all : `output.${id}`,
    )
    .replace(/\uE000(\d+)\uE000/g, (_, n: string) => reference(references[Number(n)]!));
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
    visit(parseTemplate(text), false);
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
