// Builds the AST from Chevrotain's concrete syntax tree. The parser recovers from errors,
// so any child may be missing: every accessor here tolerates holes and drops what it
// cannot build (the syntax error has already been reported).
import type { CstElement, CstNode, IToken } from "chevrotain";
import type {
  AgentDecl,
  BinaryOp,
  Expr,
  ImportDecl,
  InputDecl,
  Named,
  ObjectEntry,
  PathSegment,
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
} from "./ast.ts";
import type { Code } from "./diagnostics.ts";
import { decodeString, decodeTripleString } from "./strings.ts";

export interface ConvertProblem {
  code: Code;
  message: string;
  span: Span;
}

type Children = Record<string, CstElement[] | undefined>;

function isToken(e: CstElement | undefined): e is IToken {
  return !!e && "image" in e;
}

function node(n: CstNode | undefined, name: string, index = 0): CstNode | undefined {
  const e = n?.children[name]?.[index];
  return e && !isToken(e) ? e : undefined;
}

function nodes(n: CstNode | undefined, name: string): CstNode[] {
  return (n?.children[name] ?? []).filter((e): e is CstNode => !isToken(e));
}

function token(n: CstNode | undefined, name: string, index = 0): IToken | undefined {
  const e = n?.children[name]?.[index];
  return isToken(e) && !Number.isNaN(e.startOffset) && e.image !== "" ? e : undefined;
}

function tokens(n: CstNode | undefined, name: string): IToken[] {
  return (n?.children[name] ?? []).filter(
    (e): e is IToken => isToken(e) && !Number.isNaN(e.startOffset) && e.image !== "",
  );
}

/** A node's first child list and its name (cheaper than Object.entries on CST children). */
function firstChild(n: CstNode): [string, CstElement[]] | [] {
  const children = n.children as Children;
  for (const key in children) return [key, children[key] ?? []];
  return [];
}

export function tokenSpan(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

function nodeSpan(n: CstNode): Span {
  const loc = n.location;
  if (!loc || Number.isNaN(loc.startOffset)) return { start: 0, end: 0 };
  const end =
    loc.endOffset === undefined || Number.isNaN(loc.endOffset)
      ? loc.startOffset
      : loc.endOffset + 1;
  return { start: loc.startOffset, end };
}

function named(t: IToken | undefined): Named | undefined {
  return t ? { name: t.image, span: tokenSpan(t) } : undefined;
}

/**
 * The longest duration a workflow may give (3650 days): past it a value is a mistake, and
 * its milliseconds would no longer print back exactly.
 */
export const MAX_DURATION_MS = 3650 * 86_400_000;

/** Parses `1h30m`, `1.5h`, `500ms`, `3d` to milliseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
  }
  return Math.round(total);
}

export class AstBuilder {
  readonly problems: ConvertProblem[] = [];

  file(cst: CstNode): SourceFileAst {
    const imports = nodes(cst, "importDecl")
      .map((n) => this.importDecl(n))
      .filter((d): d is ImportDecl => !!d);
    const workflows = nodes(cst, "workflowDecl").map((n) => this.workflowDecl(n));
    const ast: SourceFileAst = { imports, span: nodeSpan(cst) };
    if (workflows[0]) ast.workflow = workflows[0];
    for (const extra of workflows.slice(1)) {
      this.problems.push({
        code: "AEG107",
        message: `a file holds one workflow; '${extra.name.name}' is a second one (put it in its own file and import it)`,
        span: extra.name.span,
      });
    }
    return ast;
  }

  private importDecl(n: CstNode): ImportDecl | undefined {
    const path = token(n, "String");
    const alias = named(token(n, "Name"));
    if (!path || !alias) return undefined;
    const decoded = this.string(path);
    return { path: decoded.text, pathSpan: tokenSpan(path), alias, span: nodeSpan(n) };
  }

  /** A state (or final state) declaration read alone, as a workflow item (incremental-parse.ts). */
  workflowState(item: CstNode): StateDecl | undefined {
    const [kind, child] = firstChild(item);
    const c = child?.[0];
    if (!c || isToken(c) || (kind !== "stateDecl" && kind !== "finalDecl")) return undefined;
    return this.stateDecl(c, kind === "finalDecl");
  }

  private workflowDecl(n: CstNode): WorkflowDecl {
    const wf: WorkflowDecl = {
      name: named(token(n, "Name")) ?? { name: "", span: nodeSpan(n) },
      inputs: [],
      secrets: [],
      agents: [],
      states: [],
      span: nodeSpan(n),
    };
    const title = this.template(node(n, "template"));
    if (title) wf.title = title;
    for (const item of nodes(n, "workflowItem")) {
      const [kind, child] = firstChild(item);
      const c = child?.[0];
      if (!kind || !c || isToken(c)) continue;
      switch (kind) {
        case "versionDecl": {
          const t = token(c, "String");
          if (t) wf.version = { value: this.string(t).text, span: tokenSpan(t) };
          break;
        }
        case "descriptionDecl": {
          const t = this.template(node(c, "template"));
          if (t) wf.description = t;
          break;
        }
        case "labelsDecl":
        case "annotationsDecl":
        case "contextDecl":
        case "limitsDecl": {
          const o = this.object(node(c, "object"));
          if (!o) break;
          const key = kind.replace("Decl", "") as "labels" | "annotations" | "context" | "limits";
          if (wf[key]) this.duplicate(key, o.span);
          wf[key] = o;
          break;
        }
        case "inputDecl": {
          const star = token(c, "Star");
          if (star) {
            if (wf.otherInputs) this.duplicate("input *", tokenSpan(star));
            wf.otherInputs = { span: nodeSpan(c) };
            break;
          }
          const d = this.inputDecl(c);
          if (d) wf.inputs.push(d);
          break;
        }
        case "secretDecl": {
          const name = named(token(c, "Name"));
          if (!name) break;
          const description = this.template(node(c, "template"));
          wf.secrets.push({ name, ...(description && { description }), span: nodeSpan(c) });
          break;
        }
        case "agentDecl": {
          const d = this.agentDecl(c);
          if (d) wf.agents.push(d);
          break;
        }
        case "startDecl": {
          const name = named(token(c, "Name"));
          const kw = token(c, "Start");
          if (!name || !kw) break;
          // The first `start` stands (a second is AEG106): the graph, and every check of
          // paths from the start, keep what the first one says.
          if (wf.start) this.duplicate("start", name.span);
          else wf.start = { ...name, keywordSpan: tokenSpan(kw) };
          break;
        }
        case "stateDecl":
        case "finalDecl": {
          const s = this.stateDecl(c, kind === "finalDecl");
          if (s) wf.states.push(s);
          break;
        }
        case "outputDecl": {
          const t = this.template(node(c, "template"));
          const o = this.object(node(c, "object"));
          if (t) wf.output = t;
          else if (o && token(c, "Schema")) wf.outputSchema = o;
          else if (o) wf.outputFields = o;
          break;
        }
        case "storageDecl": {
          const o = this.object(node(c, "object"));
          if (o) wf.storage = o;
          break;
        }
      }
    }
    return wf;
  }

  private duplicate(what: string, span: Span): void {
    this.problems.push({ code: "AEG106", message: `'${what}' is declared more than once`, span });
  }

  private inputDecl(n: CstNode): InputDecl | undefined {
    const name = named(token(n, "Name"));
    if (!name) return undefined;
    const decl: InputDecl = { name, optional: !!token(n, "Question"), span: nodeSpan(n) };
    const type = this.type(node(n, "type"));
    if (type) decl.type = type;
    const def = this.value(node(n, "value"));
    if (def) decl.default = def;
    const description = this.template(node(n, "template"));
    if (description) decl.description = description;
    return decl;
  }

  private type(n: CstNode | undefined): TypeExpr | undefined {
    if (!n) return undefined;
    const members = nodes(n, "typeAtom")
      .map((a) => this.typeAtom(a))
      .filter((t): t is TypeExpr => !!t);
    if (members.length === 0) return undefined;
    if (members.length === 1) return members[0];
    return { kind: "union", members, span: nodeSpan(n) };
  }

  private typeAtom(n: CstNode): TypeExpr | undefined {
    const s = token(n, "String");
    if (s) return { kind: "literal", value: this.string(s).text, span: tokenSpan(s) };
    const num = token(n, "Number");
    if (num) return { kind: "literal", value: Number(num.image), span: tokenSpan(num) };
    const name = token(n, "Name");
    if (!name) return undefined;
    const arg = this.type(node(n, "type"));
    return { kind: "named", name: name.image, args: arg ? [arg] : [], span: nodeSpan(n) };
  }

  private agentDecl(n: CstNode): AgentDecl | undefined {
    const name = named(token(n, "Name"));
    if (!name) return undefined;
    const decl: AgentDecl = { name, args: [], options: [], span: nodeSpan(n) };
    const session = token(n, "Session");
    if (session) decl.session = { span: tokenSpan(session) };
    const call = node(n, "providerCall");
    if (call) {
      const provider = named(token(call, "Name"));
      if (provider) decl.provider = provider;
      const args = this.arguments(node(call, "arguments"));
      decl.args = args.positional;
      decl.options = args.named;
    }
    return decl;
  }

  private arguments(n: CstNode | undefined): { positional: Value[]; named: ObjectEntry[] } {
    const positional: Value[] = [];
    const namedArgs: ObjectEntry[] = [];
    for (const arg of nodes(n, "argument")) {
      const e = this.entry(node(arg, "entry"));
      if (e) {
        namedArgs.push(e);
        continue;
      }
      const v = this.value(node(arg, "value"));
      if (v) positional.push(v);
    }
    return { positional, named: namedArgs };
  }

  // ------------------------------------------------------------ states

  private stateDecl(n: CstNode, isFinal: boolean): StateDecl | undefined {
    const name = named(token(n, "Name"));
    if (!name) return undefined;
    const state: StateDecl = {
      name,
      kind: isFinal ? "final" : "agent",
      kindSpan: name.span,
      settings: [],
      statements: [],
      transitions: [],
      span: nodeSpan(n),
    };
    if (isFinal) {
      const outcome = token(n, "Success") ?? token(n, "Failure");
      state.final = {
        outcome: outcome?.image === "failure" ? "failure" : "success",
        span: outcome ? tokenSpan(outcome) : name.span,
      };
    }
    const kind = node(n, "stateKind");
    if (kind) this.stateKind(kind, state);
    else if (!isFinal) return undefined;
    for (const s of nodes(n, "stateSetting")) this.pushSetting(state, s);
    const body = node(n, "stateBody");
    if (body) {
      for (const s of nodes(body, "stateSetting")) this.pushSetting(state, s);
      for (const s of nodes(body, "stateStatement")) {
        const st = this.statement(s);
        if (st) state.statements.push(st);
      }
      for (const t of nodes(body, "transition")) {
        const tr = this.transition(t);
        if (tr) state.transitions.push(tr);
      }
    }
    return state;
  }

  private pushSetting(state: StateDecl, n: CstNode): void {
    const s = this.setting(n);
    if (s) state.settings.push(s);
  }

  private stateKind(n: CstNode, state: StateDecl): void {
    state.kindSpan = nodeSpan(n);
    const [key, list] = firstChild(n);
    const c = list?.[0];
    if (!key || !c) return;
    const sub = isToken(c) ? undefined : c;
    switch (key) {
      case "Human":
        state.kind = "human";
        return;
      case "Parallel":
        state.kind = "parallel";
        return;
      case "Branch":
        state.kind = "branch";
        return;
      case "Containers":
        state.kind = "containers";
        return;
      case "agentKind": {
        state.kind = "agent";
        const a = named(token(sub, "Name"));
        if (a) state.agent = a;
        const t = this.template(node(sub, "template"));
        if (t) state.agentTemplate = t;
        return;
      }
      case "runKind": {
        state.kind = "run";
        const cmd = this.value(sub, true);
        if (cmd) state.command = cmd;
        return;
      }
      case "containerKind": {
        state.kind = "container";
        const image = this.template(node(sub, "template"));
        if (image) state.image = image;
        return;
      }
      case "subworkflowKind": {
        state.kind = "subworkflow";
        const ref = named(token(sub, "Name"));
        if (ref) state.workflowRef = ref;
        const mode = token(sub, "Detached") ?? token(sub, "Blocking");
        if (mode) {
          state.mode = {
            value: mode.image === "detached" ? "detached" : "blocking",
            span: tokenSpan(mode),
          };
        }
        return;
      }
      case "foreachKind": {
        state.kind = "foreach";
        const item = named(token(sub, "Name", 0));
        const over = this.expression(node(sub, "expression"));
        const agent = named(token(sub, "Name", 1));
        if (item && over) state.foreach = { item, over };
        if (agent) state.agent = agent;
        return;
      }
      case "loopKind": {
        state.kind = "loop";
        const agent = named(token(sub, "Name"));
        if (agent) state.agent = agent;
        return;
      }
      case "coordinateKind": {
        state.kind = "coordinate";
        state.specialists = tokens(node(sub, "nameList"), "Name").map((t) => named(t)!);
        const router = named(token(sub, "Name"));
        if (router) state.router = router;
        return;
      }
    }
  }

  private setting(n: CstNode): StateSetting | undefined {
    const span = nodeSpan(n);
    const num = token(n, "Number");
    const dur = token(n, "Duration");
    if (token(n, "Timeout"))
      return dur ? { kind: "timeout", ms: this.duration(dur), span } : undefined;
    if (token(n, "Retry")) {
      if (!num) return undefined;
      const s: StateSetting = { kind: "retry", value: this.integer(num), span };
      if (dur) s.backoffMs = this.duration(dur);
      return s;
    }
    if (token(n, "Errors")) {
      const mode = named(token(n, "Name"));
      return mode ? { kind: "errors", mode, span } : undefined;
    }
    if (token(n, "Until")) {
      const condition = this.expression(node(n, "expression"));
      return condition ? { kind: "until", condition, span } : undefined;
    }
    if (token(n, "Session")) {
      const name = named(token(n, "Name"));
      return name ? { kind: "session", name, span } : undefined;
    }
    if (!num) return undefined;
    const value = this.integer(num);
    if (token(n, "Visits")) return { kind: "visits", value, span };
    if (token(n, "Concurrency")) return { kind: "concurrency", value, span };
    if (token(n, "Max")) return { kind: "max", value, span };
    if (token(n, "Steps")) {
      const then = token(n, "Then") && named(token(n, "Name"));
      return then ? { kind: "steps", value, then, span } : { kind: "steps", value, span };
    }
    return undefined;
  }

  private duration(t: IToken): number {
    const ms = parseDuration(t.image);
    if (ms > MAX_DURATION_MS) {
      this.problems.push({
        code: "AEG104",
        message: `${t.image} is longer than the longest duration a workflow may give (3650d)`,
        span: tokenSpan(t),
      });
      return MAX_DURATION_MS;
    }
    return ms;
  }

  private integer(t: IToken): number {
    const value = Number(t.image);
    if (!Number.isSafeInteger(value)) {
      this.problems.push({
        code: "AEG104",
        message: Number.isInteger(value)
          ? `${t.image} is too large (at most ${Number.MAX_SAFE_INTEGER})`
          : `expected a whole number, got ${t.image}`,
        span: tokenSpan(t),
      });
      return Math.floor(value);
    }
    return value;
  }

  private statement(n: CstNode): StateStatement | undefined {
    const span = nodeSpan(n);
    const first = firstChild(n)[0];
    const tpl = () => this.template(node(n, "template"));
    const val = () => this.value(node(n, "value"));
    const obj = () => this.object(node(n, "object"));
    const withSpan = <T extends object>(kind: string, key: string, v: T | undefined) =>
      v ? ({ kind, [key]: v, span } as unknown as StateStatement) : undefined;
    if (token(n, "Prompt")) return withSpan("prompt", "template", tpl());
    if (token(n, "Intent")) return withSpan("intent", "template", tpl());
    if (token(n, "Input")) return withSpan("input", "value", val());
    if (token(n, "Output")) return withSpan("output", "value", val());
    if (token(n, "Consensus")) return withSpan("consensus", "config", obj());
    if (token(n, "Env")) return withSpan("env", "value", obj());
    if (token(n, "Workdir")) return withSpan("workdir", "value", tpl());
    if (token(n, "Command")) return withSpan("command", "value", val());
    if (token(n, "Volumes")) return withSpan("volumes", "value", obj());
    if (token(n, "Resources")) return withSpan("resources", "value", obj());
    if (token(n, "Options")) return withSpan("options", "value", obj());
    if (token(n, "Container")) {
      const name = named(token(n, "Name"));
      const image = tpl();
      if (!name || !image) return undefined;
      const config = obj();
      return { kind: "container", name, image, ...(config && { config }), span };
    }
    if (token(n, "Handler")) return withSpan("handler", "value", obj());
    if (token(n, "Default")) return withSpan("default", "value", val());
    if (token(n, "Protects")) {
      const states = tokens(node(n, "nameList"), "Name").flatMap((t) => {
        const name = named(t);
        return name ? [name] : [];
      });
      return { kind: "protects", states, span };
    }
    if (token(n, "Result")) return withSpan("result", "key", named(token(n, "Name")));
    if (token(n, "Iterations")) {
      const num = token(n, "Number");
      return num ? { kind: "iterations", value: this.integer(num), span } : undefined;
    }
    if (first === "judge") {
      const j = node(n, "judge");
      const agent = named(token(j, "Name"));
      if (!agent) return undefined;
      const judge: StateStatement = { kind: "judge", agent, span: nodeSpan(j!) };
      const weight = token(j, "Number");
      if (weight) judge.weight = Number(weight.image);
      const timeout = token(j, "Duration");
      if (timeout) judge.timeoutMs = this.duration(timeout);
      const prompt = this.template(node(j, "template"));
      if (prompt) judge.prompt = prompt;
      return judge;
    }
    return undefined;
  }

  private transition(n: CstNode): TransitionDecl | undefined {
    const target = named(token(n, "Name"));
    if (!target) return undefined;
    const otherwise = !!token(n, "Otherwise");
    const t: TransitionDecl = { otherwise, target, span: nodeSpan(n) };
    if (!otherwise) {
      const condition = this.condition(node(n, "condition"));
      if (!condition) return undefined;
      t.condition = condition;
    }
    const feedback = this.template(node(n, "template"));
    if (feedback) t.feedback = feedback;
    return t;
  }

  private condition(n: CstNode | undefined): Expr | undefined {
    return this.expression(node(n, "expression"));
  }

  /** `exit 0` / `exit zero` / `exit nonzero` are sugar for comparisons of `exit_code`. */
  private exitSugar(n: CstNode, exit: IToken): Expr | undefined {
    const span = nodeSpan(n);
    const arg = token(n, "Number") ?? token(n, "Identifier");
    if (!arg) return undefined;
    const exitCode: Expr = {
      kind: "path",
      segments: [{ name: "exit_code", span: tokenSpan(exit) }],
      span: tokenSpan(exit),
    };
    const zero: Expr = { kind: "literal", value: 0, span: tokenSpan(arg) };
    if (arg.image === "zero")
      return { kind: "binary", op: "==", left: exitCode, right: zero, span };
    if (arg.image === "nonzero")
      return { kind: "binary", op: "!=", left: exitCode, right: zero, span };
    if (arg.tokenType.name === "Number") {
      const code: Expr = { kind: "literal", value: Number(arg.image), span: tokenSpan(arg) };
      return { kind: "binary", op: "==", left: exitCode, right: code, span };
    }
    this.problems.push({
      code: "AEG104",
      message: `'exit' takes a number, 'zero' or 'nonzero', not '${arg.image}'`,
      span: tokenSpan(arg),
    });
    return undefined;
  }

  // ------------------------------------------------------------ expressions

  expression(n: CstNode | undefined): Expr | undefined {
    if (!n) return undefined;
    return this.fold(n, "andExpr", ["Or"], (c) =>
      this.fold(c, "notExpr", ["And"], (d) => this.notExpr(d)),
    );
  }

  /** Left-associative chain of `sub (op sub)*`. */
  private fold(
    n: CstNode,
    subName: string,
    ops: string[],
    build: (c: CstNode) => Expr | undefined,
  ): Expr | undefined {
    const operands = nodes(n, subName);
    let result = operands[0] ? build(operands[0]) : undefined;
    if (operands.length < 2) return result;
    const operators = ops
      .flatMap((o) => tokens(n, o))
      .sort((a, b) => a.startOffset - b.startOffset);
    for (let i = 1; i < operands.length && result; i++) {
      const right = build(operands[i]!);
      const op = operators[i - 1];
      if (!right || !op) return undefined;
      result = {
        kind: "binary",
        // By its type: `&&` and `||`, read as `and` and `or`, are reported where they are.
        op: (op.tokenType.name === "And"
          ? "and"
          : op.tokenType.name === "Or"
            ? "or"
            : op.image) as BinaryOp,
        left: result,
        right,
        span: { start: result.span.start, end: right.span.end },
      };
    }
    return result;
  }

  private notExpr(n: CstNode): Expr | undefined {
    const not = token(n, "Not");
    if (not) {
      const operand = this.notExpr(node(n, "notExpr")!);
      return operand ? { kind: "unary", op: "not", operand, span: nodeSpan(n) } : undefined;
    }
    return this.comparison(node(n, "comparison"));
  }

  private comparison(n: CstNode | undefined): Expr | undefined {
    if (!n) return undefined;
    const operands = nodes(n, "additive").map((a) => this.additive(a));
    const left = operands[0];
    if (!left || operands.some((o) => !o)) return undefined;
    if (operands.length === 1) return left;
    const span = nodeSpan(n);
    if (token(n, "Between")) {
      if (operands.length < 3) return undefined;
      return { kind: "between", operand: left, low: operands[1]!, high: operands[2]!, span };
    }
    const opToken = [
      "EqEq",
      "NotEq",
      "LessEq",
      "GreaterEq",
      "Less",
      "Greater",
      "Contains",
      "Matches",
      "In",
    ]
      .map((o) => token(n, o))
      .find((t) => t);
    if (!opToken) return undefined;
    return { kind: "binary", op: opToken.image as BinaryOp, left, right: operands[1]!, span };
  }

  private additive(n: CstNode): Expr | undefined {
    return this.fold(n, "multiplicative", ["Plus", "Minus"], (m) =>
      this.fold(m, "unary", ["Star", "Slash"], (u) => this.unary(u)),
    );
  }

  private unary(n: CstNode): Expr | undefined {
    if (token(n, "Minus")) {
      const operand = this.unary(node(n, "unary")!);
      if (!operand) return undefined;
      // `-1` is the number -1 (as a YAML front end writes it), not "minus 1"; `-(1)` is.
      const child = node(n, "unary");
      const direct = !token(child, "Minus") && !!token(node(child, "primary"), "Number");
      if (
        direct &&
        operand.kind === "literal" &&
        typeof operand.value === "number" &&
        !operand.duration
      ) {
        return { kind: "literal", value: -operand.value, span: nodeSpan(n) };
      }
      return { kind: "unary", op: "-", operand, span: nodeSpan(n) };
    }
    return this.primary(node(n, "primary"));
  }

  private primary(n: CstNode | undefined): Expr | undefined {
    if (!n) return undefined;
    const span = nodeSpan(n);
    const exit = token(n, "Exit");
    if (exit) return this.exitSugar(n, exit);
    const s = token(n, "String");
    if (s) return { kind: "literal", value: this.string(s).text, span };
    const num = token(n, "Number");
    if (num) return { kind: "literal", value: Number(num.image), span };
    const dur = token(n, "Duration");
    if (dur) return { kind: "literal", value: this.duration(dur), span, duration: true };
    if (token(n, "True")) return { kind: "literal", value: true, span };
    if (token(n, "False")) return { kind: "literal", value: false, span };
    if (token(n, "Null")) return { kind: "literal", value: null, span };
    if (token(n, "LParen")) return this.expression(node(n, "expression"));
    if (token(n, "LBracket")) {
      const items = nodes(n, "expression").map((e) => this.expression(e));
      if (items.some((i) => !i)) return undefined;
      return { kind: "list", items: items as Expr[], span };
    }
    return this.reference(node(n, "reference"));
  }

  private reference(n: CstNode | undefined): Expr | undefined {
    if (!n) return undefined;
    const span = nodeSpan(n);
    const names = tokens(n, "Name");
    const head = names[0];
    if (!head) return undefined;
    if (token(n, "LParen")) {
      const args = nodes(n, "expression").map((e) => this.expression(e));
      if (args.some((a) => !a)) return undefined;
      return { kind: "call", callee: named(head)!, args: args as Expr[], span };
    }
    const rest = [...names.slice(1), ...tokens(n, "Number")].sort(
      (a, b) => a.startOffset - b.startOffset,
    );
    const segments: PathSegment[] = [{ name: head.image, span: tokenSpan(head) }];
    for (const t of rest) {
      segments.push(
        t.tokenType.name === "Number"
          ? { index: Number(t.image), span: tokenSpan(t) }
          : { name: t.image, span: tokenSpan(t) },
      );
    }
    return { kind: "path", segments, span };
  }

  // ------------------------------------------------------------ values

  private string(t: IToken): Template {
    const written = t.image.length;
    if (t.tokenType.name.startsWith("Unterminated")) {
      const quotes = t.tokenType.name === "UnterminatedTripleString" ? '"""' : '"';
      t = { ...t, image: t.image + quotes };
    }
    const decoded = t.tokenType.name.endsWith("TripleString")
      ? decodeTripleString(t.image, t.startOffset)
      : decodeString(t.image, t.startOffset);
    // The closing quotes added to an unterminated string are not in the file: its span
    // ends where the file's text of it does (a finding at its end stays inside the file).
    if (t.image.length > written) decoded.template.span.end = t.startOffset + written;
    for (const p of decoded.problems) {
      this.problems.push({
        code: "AEG102",
        message: p.message,
        span: { start: p.start, end: p.end },
      });
    }
    return decoded.template;
  }

  template(n: CstNode | undefined): Template | undefined {
    const t = n ? (token(n, "String") ?? token(n, "TripleString")) : undefined;
    return t ? this.string(t) : undefined;
  }

  /** A value; with `commandOnly`, the node is a runKind whose children are template | list. */
  value(n: CstNode | undefined, commandOnly = false): Value | undefined {
    if (!n) return undefined;
    const span = nodeSpan(n);
    const tplNode = node(n, "template");
    if (tplNode) {
      const template = this.template(tplNode);
      return template
        ? { kind: "string", value: template.text, span: template.span, template }
        : undefined;
    }
    const list = node(n, "list");
    if (list) return this.list(list);
    if (commandOnly) return undefined;
    const num = token(n, "Number");
    if (num)
      return { kind: "number", value: (token(n, "Minus") ? -1 : 1) * Number(num.image), span };
    const dur = token(n, "Duration");
    if (dur) return { kind: "duration", ms: this.duration(dur), text: dur.image, span };
    if (token(n, "True")) return { kind: "boolean", value: true, span };
    if (token(n, "False")) return { kind: "boolean", value: false, span };
    if (token(n, "Null")) return { kind: "null", span };
    const obj = node(n, "object");
    if (obj) return this.object(obj);
    const name = named(token(n, "Name"));
    if (!name) return undefined;
    if (token(n, "LParen")) {
      const args = this.arguments(node(n, "arguments"));
      for (const extra of args.named) {
        this.problems.push({
          code: "AEG104",
          message: `${name.name}(…) takes one string, not named arguments`,
          span: extra.span,
        });
      }
      return { kind: "call", callee: name, args: args.positional, span };
    }
    return { kind: "symbol", name: name.name, span };
  }

  private list(n: CstNode): Value {
    const items = nodes(n, "value")
      .map((v) => this.value(v))
      .filter((v): v is Value => !!v);
    return { kind: "list", items, span: nodeSpan(n) };
  }

  object(n: CstNode | undefined): (Value & { kind: "object" }) | undefined {
    if (!n) return undefined;
    const entries = nodes(n, "entry")
      .map((e) => this.entry(e))
      .filter((e): e is ObjectEntry => !!e);
    return { kind: "object", entries, span: nodeSpan(n) };
  }

  private entry(n: CstNode | undefined): ObjectEntry | undefined {
    if (!n) return undefined;
    const keyToken = token(n, "Name") ?? token(n, "String");
    const value = this.value(node(n, "value"));
    if (!keyToken || !value) return undefined;
    const key = keyToken.tokenType.name.endsWith("String")
      ? { name: this.string(keyToken).text, span: tokenSpan(keyToken) }
      : named(keyToken)!;
    return { key, value, span: nodeSpan(n) };
  }
}
