// The builder's front end: a workflow's parts become the same syntax tree the parser makes
// from text, and from there the same lowering and checks. Positions in the tree are offsets
// into the TypeScript file that called `workflow(…)`: a part is placed at its builder call,
// a string at its literal when the literal is found after the call (so a finding inside a
// template points at its column), a state, input or agent at its key. What the language's
// grammar would refuse (a bad name, a malformed condition or duration, a value of no type
// the language has) is a finding of the grammar's code at that place.
import type {
  AgentDecl,
  Expr,
  ImportDecl,
  InputDecl,
  Named,
  ObjectEntry,
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
} from "../compiler/ast.ts";
import { MAX_DURATION_MS, parseDuration } from "../compiler/cst-to-ast.ts";
import type { Code, Finding } from "../compiler/diagnostics.ts";
import { isName } from "../compiler/lexer.ts";
import { parseExpression } from "../compiler/parse.ts";
import { decodeTripleString } from "../compiler/strings.ts";
import type { AgentFunction } from "../runtime/types.ts";
import type { CallSite } from "./call-site.ts";
import { Locator, readSource } from "./locator.ts";
import {
  type AgentDeclaration,
  InputDeclaration,
  type InputTypeSpec,
  JsonSchemaInput,
  type Judge,
  type StandardSchemaLike,
  type Transition,
} from "./parts.ts";
import type { State, StateHeader } from "./states.ts";

/** What `workflow(name, spec)` was given, as data (the types are in workflow.ts). */
export interface WorkflowParts {
  title?: string;
  version?: string;
  description?: string;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
  imports?: Record<string, string | { readonly name: string }>;
  inputs?: Record<string, unknown>;
  /** `input *`: inputs the workflow does not declare are taken too. */
  otherInputs?: boolean;
  context?: Record<string, unknown>;
  secrets?: Record<string, string> | readonly string[];
  agents?: Record<string, unknown>;
  limits?: Record<string, unknown>;
  start?: string;
  states?: Record<string, unknown>;
  output?: string | Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  storage?: Record<string, unknown>;
}

export interface BuiltTree {
  file: string;
  /** The text of `file` ("" when it cannot be read). */
  text: string;
  ast: SourceFileAst;
  findings: Finding[];
  /** `// aegis-ignore …` comments of the program around the workflow, as the parser gives them. */
  comments: { image: string; startOffset: number }[];
  /** Function agents by the name the run looks them up by. */
  functions: Record<string, AgentFunction>;
}

/** A string that begins with a line break: a block, as the language's """ strings. */
const block = /^[ \t]*\r?\n/;
/** Deeper lists and objects are refused (AEG112, as the grammar's nesting limit). */
const MAX_VALUE_DEPTH = 64;
const durationText = /^\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:ms|s|m|h|d))*$/;
const fieldTypes = new Set(["string", "number", "integer", "boolean", "object", "list", "any"]);

/**
 * A tree for a workflow whose parts could not be read at all (a bug in the builder): its
 * one finding says so, as the compiler's AEG000 does.
 */
export function brokenTree(site: CallSite | undefined, error: unknown): BuiltTree {
  const file = site?.file ?? "<workflow>";
  return {
    file,
    text: readSource(file),
    ast: { imports: [], span: { start: 0, end: 0 } },
    findings: [
      {
        code: "AEG000",
        message: `internal error in the builder: ${(error as Error)?.message ?? String(error)}`,
        file,
        span: { start: 0, end: 0 },
        hint: "please report this with the program that built the workflow",
      },
    ],
    comments: [],
    functions: {},
  };
}

export function buildTree(
  name: string,
  parts: WorkflowParts,
  site: CallSite | undefined,
): BuiltTree {
  return new TreeBuilder(site).build(name, parts);
}

class TreeBuilder {
  private readonly locate: Locator;
  private readonly findings: Finding[] = [];
  private readonly functions: Record<string, AgentFunction> = {};
  /** Agents made for functions given in place of an agent's name, by function. */
  private readonly functionAgents = new Map<AgentFunction, string>();
  private readonly agents: AgentDecl[] = [];
  private readonly whole: Span;
  /** The first and last offsets a part was placed at: the program text that builds it. */
  private first = Number.POSITIVE_INFINITY;
  private last = 0;
  /** Offsets of the states' calls, in order: a state's options are looked for before the next. */
  private stateCalls: number[] = [];
  /** How deep the value being converted is. */
  private depth = 0;
  private readonly site: CallSite | undefined;

  constructor(site: CallSite | undefined) {
    this.site = site;
    this.locate = new Locator(site?.file ?? "<workflow>");
    const start = this.locate.offset(site) ?? 0;
    this.whole = this.locate.at(site, { start, end: start });
  }

  get file(): string {
    return this.locate.file;
  }

  build(name: string, parts: WorkflowParts): BuiltTree {
    const text = this.locate.source.text;
    const wf: WorkflowDecl = {
      name: this.name(name, "workflow name", this.stringSpan(name, this.site)),
      inputs: [],
      secrets: [],
      agents: this.agents,
      states: [],
      span: this.whole,
    };
    const imports = this.imports(parts.imports);
    const known = new Set([
      "title",
      "version",
      "description",
      "labels",
      "annotations",
      "imports",
      "inputs",
      "otherInputs",
      "context",
      "secrets",
      "agents",
      "limits",
      "start",
      "states",
      "output",
      "outputSchema",
      "storage",
    ]);
    for (const key of Object.keys(parts))
      if (!known.has(key))
        this.report("AEG105", `a workflow has no setting '${key}'`, this.keyAfter(key));
    if (parts.title !== undefined) wf.title = this.template(parts.title, this.site, "title");
    if (parts.version !== undefined) {
      if (typeof parts.version === "string")
        wf.version = { value: parts.version, span: this.stringSpan(parts.version, this.site) };
      else this.report("AEG104", "version must be a string", this.keyAfter("version"));
    }
    if (parts.description !== undefined)
      wf.description = this.template(parts.description, this.site, "description");
    for (const key of [
      "labels",
      "annotations",
      "context",
      "limits",
      "outputSchema",
      "storage",
    ] as const) {
      const v = parts[key];
      if (v === undefined) continue;
      const value = this.value(v, this.keyAfter(key), key === "limits" ? "limits" : undefined);
      if (value?.kind !== "object") {
        this.report("AEG104", `${key} must be an object`, this.keyAfter(key));
        continue;
      }
      (wf as unknown as Record<string, Value>)[key] = value;
    }
    this.inputs(parts.inputs, wf);
    if (parts.otherInputs === true) wf.otherInputs = { span: this.keyAfter("otherInputs") };
    this.secrets(parts.secrets, wf);
    for (const [agentName, declared] of Object.entries(parts.agents ?? {}))
      this.agent(agentName, declared);
    if (parts.start !== undefined) {
      const key = this.keyAfter("start");
      const span = this.stringAt(parts.start, key.start, key);
      wf.start = {
        ...this.name(parts.start, "start state", span),
        keywordSpan: this.keyAfter("start"),
      };
    }
    if (typeof parts.output === "string")
      wf.output = this.template(parts.output, this.site, "output");
    else if (parts.output !== undefined) {
      const value = this.value(parts.output, this.keyAfter("output"), "fields");
      if (value?.kind === "object") wf.outputFields = value;
      else
        this.report(
          "AEG104",
          "output must be a template or an object of templates",
          this.keyAfter("output"),
        );
    }
    const states = Object.entries(parts.states ?? {});
    this.stateCalls = states
      .map(([, st]) => this.locate.offset((st as { site?: CallSite })?.site))
      .filter((o): o is number => o !== undefined)
      .sort((a, b) => a - b);
    for (const [stateName, declared] of states) {
      const decl = this.state(stateName, declared);
      if (decl) wf.states.push(decl);
    }
    const span = { start: 0, end: text.length };
    const ast: SourceFileAst = { dialect: "aegis", imports, workflow: wf, span };
    return {
      file: this.file,
      text,
      ast,
      findings: this.findings,
      comments: this.comments(),
      functions: this.functions,
    };
  }

  // ------------------------------------------------------------ places and findings

  /** The first state's call after `offset` (binary search: a workflow may have 10,000). */
  private nextStateCall(offset: number): number | undefined {
    const calls = this.stateCalls;
    let low = 0;
    let high = calls.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (calls[mid]! <= offset) low = mid + 1;
      else high = mid;
    }
    return calls[low];
  }

  private placed(start: number, end: number): void {
    this.first = Math.min(this.first, start);
    this.last = Math.max(this.last, end);
  }

  private report(code: Code, message: string, span: Span, hint?: string): void {
    this.findings.push({ code, message, file: this.file, span, ...(hint && { hint }) });
  }

  private keyAfter(key: string): Span {
    return this.locate.keyAfter(key, this.locate.offset(this.site)) ?? this.whole;
  }

  /** A part's span: at its call, else at its key after the workflow's call. */
  private partSpan(name: string, site: CallSite | undefined): { span: Span; nameSpan: Span } {
    const at = this.locate.offset(site);
    if (at !== undefined) {
      const span = this.locate.at(site, this.whole);
      this.placed(span.start, span.end);
      return { span, nameSpan: this.locate.keyBefore(name, at) ?? span };
    }
    const key = this.keyAfter(name);
    return { span: key, nameSpan: key };
  }

  /** Where to look for the literals of a part: after its call, else after the workflow's. */
  private from(site: CallSite | undefined): number | undefined {
    return this.locate.offset(site) ?? this.locate.offset(this.site);
  }

  /** The span of a string's literal after a call (inside its quotes), else the call's. */
  private stringSpan(value: unknown, site: CallSite | undefined): Span {
    return this.stringAt(value, this.from(site), this.locate.at(site, this.whole));
  }

  private stringAt(value: unknown, from: number | undefined, fallback: Span): Span {
    if (typeof value !== "string") return fallback;
    const at = this.locate.literal(value, from);
    if (at === undefined) return fallback;
    this.placed(at, at + value.length);
    return { start: at, end: at + value.length };
  }

  private name(text: string, what: string, span: Span): Named {
    if (typeof text !== "string" || !isName(text))
      this.report(
        "AEG104",
        `${what} ${JSON.stringify(text)} is not a valid name`,
        span,
        "a name is letters, digits, _ and inner hyphens, not starting with a digit, and not a word of the language",
      );
    return { name: String(text), span };
  }

  private template(text: unknown, site: CallSite | undefined, what: string): Template {
    return this.templateAt(text, this.from(site), this.locate.at(site, this.whole), what);
  }

  /**
   * A template at its literal after `from`: each character maps to its column. Not found
   * as written (escapes, a computed string), every character maps to `fallback`. A string
   * that begins with a line break is read as the language reads a """ block (the first
   * and last line breaks and the common indentation dropped), so an indented template
   * literal gives the text its lines hold.
   */
  private templateAt(
    text: unknown,
    from: number | undefined,
    fallback: Span,
    what: string,
  ): Template {
    if (typeof text !== "string") {
      this.report("AEG104", `${what} must be a string`, fallback);
      return { kind: "template", text: "", span: fallback, map: [] };
    }
    const at = this.locate.literal(text, from);
    const found = at !== undefined && this.locate.source.text.startsWith(text, at);
    if (found) this.placed(at, at + text.length);
    if (block.test(text)) {
      // Placed only when the literal holds no escapes: the block is then read from it.
      if (found && !text.includes("\\"))
        return decodeTripleString(`"""${text}"""`, at - 3).template;
      const { text: dedented } = decodeTripleString(
        `"""${text.replaceAll("\\", "\\\\")}"""`,
        0,
      ).template;
      return {
        kind: "template",
        text: dedented,
        span: { start: fallback.start - 1, end: fallback.end },
        map: [],
      };
    }
    if (found)
      return {
        kind: "template",
        text,
        span: { start: at - 1, end: at + text.length + 1 },
        map: [0, at],
      };
    return {
      kind: "template",
      text,
      span: { start: fallback.start - 1, end: fallback.end },
      map: [],
    };
  }

  private duration(text: unknown, span: Span, what: string): number | undefined {
    if (typeof text !== "string" || !durationText.test(text)) {
      this.report(
        "AEG104",
        `${what} must be a duration such as "30s", "10m" or "1h30m", not ${JSON.stringify(text)}`,
        span,
      );
      return undefined;
    }
    const ms = parseDuration(text);
    if (ms > MAX_DURATION_MS) {
      this.report("AEG104", `${what} ${text} is longer than 3650 days`, span);
      return MAX_DURATION_MS;
    }
    return ms;
  }

  private expression(text: unknown, site: CallSite | undefined, what: string): Expr | undefined {
    const span =
      typeof text === "string" ? this.stringSpan(text, site) : this.locate.at(site, this.whole);
    if (typeof text !== "string") {
      this.report("AEG104", `${what} must be a string holding an expression`, span);
      return undefined;
    }
    const parsed = parseExpression(text, span.start);
    if (parsed.expr) return parsed.expr;
    this.report("AEG101", `${what} ${JSON.stringify(text)}: ${parsed.error}`, span);
    return undefined;
  }

  /** A whole number of 0 or more, as the grammar reads one (its words for what is not). */
  private count(value: unknown, span: Span, what: string): number | undefined {
    if (typeof value !== "number" || Number.isNaN(value)) {
      this.report("AEG104", `${what} must be a whole number`, span);
      return undefined;
    }
    if (!Number.isInteger(value)) {
      this.report("AEG104", `expected a whole number, got ${value}`, span);
      return undefined;
    }
    if (!Number.isSafeInteger(value)) {
      this.report("AEG104", `${value} is too large (at most ${Number.MAX_SAFE_INTEGER})`, span);
      return undefined;
    }
    if (value < 0) {
      this.report("AEG104", `${what} must be 0 or more, not ${value}`, span);
      return undefined;
    }
    return value;
  }

  /** A number the language can write (a judge's weight): finite, 0 or more. */
  private amount(value: unknown, span: Span, what: string): number | undefined {
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
    this.report("AEG104", `${what} must be a number of 0 or more, not ${String(value)}`, span);
    return undefined;
  }

  // ------------------------------------------------------------ values

  /**
   * A JavaScript value as the language's value. `mode` says how strings read in a map
   * whose values the language writes otherwise: durations in limits, type names in fields.
   */
  private value(
    v: unknown,
    span: Span,
    mode?: "limits" | "fields",
    key?: string,
  ): Value | undefined {
    if (v !== null && typeof v === "object") {
      // A list or an object that holds itself would nest for ever.
      if (this.depth >= MAX_VALUE_DEPTH) {
        this.report(
          "AEG112",
          `a value nests deeper than ${MAX_VALUE_DEPTH} levels (or holds itself)`,
          span,
        );
        return undefined;
      }
      this.depth += 1;
      try {
        return this.converted(v, span, mode, key);
      } finally {
        this.depth -= 1;
      }
    }
    return this.converted(v, span, mode, key);
  }

  private converted(
    v: unknown,
    span: Span,
    mode?: "limits" | "fields",
    key?: string,
  ): Value | undefined {
    if (typeof v === "string") {
      if (mode === "fields" && fieldTypes.has(v)) return { kind: "symbol", name: v, span };
      if (mode === "limits" && key === "wall_time") {
        const ms = this.duration(v, span, "wall_time");
        return ms === undefined ? undefined : { kind: "duration", ms, text: v, span };
      }
      const template = this.templateAt(v, span.start, span, "a string");
      const at =
        template.map.length > 0
          ? { start: template.span.start + 1, end: template.span.end - 1 }
          : span;
      return { kind: "string", value: template.text, span: at, template };
    }
    if (typeof v === "number") {
      if (Number.isFinite(v)) return { kind: "number", value: v, span };
      this.report("AEG104", `${v} is not a number the language can hold`, span);
      return undefined;
    }
    if (typeof v === "boolean") return { kind: "boolean", value: v, span };
    if (v === null) return { kind: "null", span };
    if (Array.isArray(v)) {
      const items = v.map((item) => this.value(item, span, mode));
      return { kind: "list", items: items.filter((i): i is Value => !!i), span };
    }
    if (typeof v === "object") {
      const part = (v as { part?: unknown }).part;
      const site = (v as { site?: CallSite }).site;
      const at = this.locate.at(site, span);
      if (part === "reference") {
        const ref = v as { function: string; name: string };
        return {
          kind: "call",
          callee: { name: ref.function, span: at },
          args: [this.value(ref.name, at)!],
          span: at,
        };
      }
      if (part === "duration") {
        const text = (v as { text: string }).text;
        const ms = this.duration(text, at, "a duration");
        return ms === undefined ? undefined : { kind: "duration", ms, text, span: at };
      }
      if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) {
        this.report(
          "AEG104",
          "a value must be a string, number, boolean, null, list or plain object",
          span,
        );
        return undefined;
      }
      const entries: ObjectEntry[] = [];
      for (const [k, item] of Object.entries(v)) {
        const keySpan = this.locate.keyAfter(k, span.start) ?? span;
        const value = this.value(item, keySpan, mode, k);
        if (value) entries.push({ key: { name: k, span: keySpan }, value, span: keySpan });
      }
      return { kind: "object", entries, span };
    }
    this.report(
      "AEG104",
      `a ${typeof v} is not a value the language can hold (strings, numbers, booleans, null, lists and objects)`,
      span,
    );
    return undefined;
  }

  // ------------------------------------------------------------ declarations

  private imports(imports: WorkflowParts["imports"]): ImportDecl[] {
    const out: ImportDecl[] = [];
    // A built workflow is imported as NAME.aegis: two different ones may not share a name.
    const built = new Map<string, { target: object; alias: string }>();
    for (const [alias, target] of Object.entries(imports ?? {})) {
      const span = this.keyAfter(alias);
      if (typeof target !== "string") {
        const name = String((target as { name?: unknown })?.name);
        const other = built.get(name);
        if (other && other.target !== target) {
          this.report(
            "AEG106",
            `imports '${other.alias}' and '${alias}' are two different workflows named '${name}'`,
            span,
            "a built workflow is imported as NAME.aegis: give one of them another name",
          );
          continue;
        }
        built.set(name, { target: target as object, alias });
      }
      const path = typeof target === "string" ? target : `${target?.name}.aegis`;
      const pathSpan = typeof target === "string" ? this.stringSpan(target, this.site) : span;
      out.push({ path, pathSpan, alias: this.name(alias, "import alias", span), span });
    }
    return out;
  }

  private inputs(inputs: Record<string, unknown> | undefined, wf: WorkflowDecl): void {
    for (const [inputName, declared] of Object.entries(inputs ?? {})) {
      const site = (declared as { site?: CallSite })?.site;
      const { span, nameSpan } = this.partSpan(inputName, site);
      const decl: InputDecl = {
        name: this.name(inputName, "input name", nameSpan),
        optional: false,
        span,
      };
      if (declared instanceof InputDeclaration) {
        decl.optional = declared.isOptional;
        decl.type = this.typeExpr(declared.type, span);
        if (declared.hasDefault) {
          const value = this.value(declared.defaultValue, span);
          if (value) decl.default = value;
        }
        if (declared.description !== undefined)
          decl.description = this.template(declared.description, site, "an input's description");
      } else if (declared instanceof JsonSchemaInput) {
        this.fromJsonSchema(declared.schema, decl, span);
      } else if (isStandardSchema(declared)) {
        this.fromStandardSchema(inputName, declared, decl, span);
      } else {
        this.report(
          "AEG104",
          `input '${inputName}' must be declared with input.string(…), input.number(…) …, input.jsonSchema(…) or a Standard Schema validator (zod, valibot …)`,
          nameSpan,
        );
        continue;
      }
      wf.inputs.push(decl);
    }
  }

  private typeExpr(type: InputTypeSpec, span: Span): TypeExpr {
    if (type.type === "list")
      return { kind: "named", name: "list", args: [this.typeExpr(type.items, span)], span };
    if (type.type === "enum") {
      const members: TypeExpr[] = type.values.map((value) => ({ kind: "literal", value, span }));
      return members.length === 1 ? members[0]! : { kind: "union", members, span };
    }
    return { kind: "named", name: type.type, args: [], span };
  }

  /** The input type a JSON Schema describes (what the language can say of it). */
  private schemaType(
    schema: Record<string, unknown>,
    span: Span,
    where: string,
    depth = 0,
  ): InputTypeSpec {
    if (depth >= MAX_VALUE_DEPTH) {
      this.report(
        "AEG112",
        `the schema of ${where} nests deeper than ${MAX_VALUE_DEPTH} levels`,
        span,
      );
      return { type: "any" };
    }
    const literals = (list: unknown[]): InputTypeSpec | undefined =>
      list.every((v) => typeof v === "string" || typeof v === "number")
        ? { type: "enum", values: list as (string | number)[] }
        : undefined;
    if (Array.isArray(schema.enum)) {
      const enumType = literals(schema.enum);
      if (enumType) return enumType;
    }
    if ("const" in schema) {
      const constType = literals([schema.const]);
      if (constType) return constType;
    }
    for (const key of ["anyOf", "oneOf"]) {
      const options = schema[key];
      if (
        Array.isArray(options) &&
        options.every((o) => o && typeof o === "object" && "const" in o)
      ) {
        const unionType = literals(options.map((o) => (o as { const: unknown }).const));
        if (unionType) return unionType;
      }
    }
    const type = schema.type;
    switch (type) {
      case "string":
      case "number":
      case "integer":
      case "boolean":
      case "object":
        return { type };
      case "array": {
        const items = schema.items;
        return {
          type: "list",
          items:
            items && typeof items === "object" && !Array.isArray(items)
              ? this.schemaType(items as Record<string, unknown>, span, where, depth + 1)
              : { type: "any" },
        };
      }
      case undefined:
        return { type: "any" };
      default:
        this.report(
          "AEG108",
          `the schema of ${where} has type ${JSON.stringify(type)}, which an input cannot have`,
          span,
          "input types are string, number, integer, boolean, object, array and enums of strings or numbers",
        );
        return { type: "any" };
    }
  }

  private fromJsonSchema(schema: Record<string, unknown>, decl: InputDecl, span: Span): void {
    decl.type = this.typeExpr(this.schemaType(schema, span, `input '${decl.name.name}'`), span);
    if ("default" in schema) {
      const value = this.value(schema.default, span);
      if (value) decl.default = value;
    }
    if (typeof schema.description === "string")
      decl.description = { kind: "template", text: schema.description, span, map: [] };
  }

  private fromStandardSchema(
    inputName: string,
    validator: StandardSchemaLike,
    decl: InputDecl,
    span: Span,
  ): void {
    const standard = validator["~standard"];
    let schema: unknown;
    try {
      schema = standard.jsonSchema?.input({ target: "draft-2020-12" });
    } catch (error) {
      this.report(
        "AEG108",
        `the ${standard.vendor} schema of input '${inputName}' cannot be written as JSON Schema: ${(error as Error)?.message ?? String(error)}`,
        span,
      );
      return;
    }
    if (!schema || typeof schema !== "object") {
      this.report(
        "AEG108",
        `the ${standard.vendor} schema of input '${inputName}' does not describe itself as JSON Schema`,
        span,
        "use a validator that implements Standard JSON Schema (`~standard.jsonSchema`), or input.jsonSchema({ … })",
      );
      return;
    }
    this.fromJsonSchema(schema as Record<string, unknown>, decl, span);
    // A validator that accepts no value makes the input optional.
    if (!decl.default) {
      try {
        const result = standard.validate(undefined) as { issues?: unknown } | Promise<unknown>;
        if (!(result instanceof Promise) && !result.issues) decl.optional = true;
      } catch {
        // A validator that throws on no value requires one.
      }
    }
  }

  private secrets(secrets: WorkflowParts["secrets"], wf: WorkflowDecl): void {
    const entries: [string, string | undefined][] = Array.isArray(secrets)
      ? secrets.map((s) => [s, undefined])
      : Object.entries(secrets ?? {});
    for (const [secretName, description] of entries) {
      const span = this.stringSpan(secretName, this.site);
      wf.secrets.push({
        name: this.name(secretName, "secret name", span),
        ...(description !== undefined && {
          description: this.template(description, this.site, "a secret's description"),
        }),
        span,
      });
    }
  }

  private agent(agentName: string, declared: unknown): void {
    const a = declared as AgentDeclaration;
    const { span, nameSpan } = this.partSpan(agentName, a?.site);
    if (a?.part !== "agent") {
      this.report(
        "AEG104",
        `agent '${agentName}' must be made with agent.claude(…), agent.command(…), agent.fn(…), agent.supplied() …`,
        nameSpan,
      );
      return;
    }
    const decl: AgentDecl = {
      name: this.name(agentName, "agent name", nameSpan),
      args: [],
      options: [],
      span,
    };
    if (a.session) decl.session = { span };
    if (a.provider !== undefined) {
      decl.provider = { name: a.provider, span };
      if (a.provider === "function") {
        const fnName = a.functionName ?? agentName;
        if (typeof fnName !== "string" || fnName === "") {
          this.report(
            "AEG104",
            `a function agent's name must be a string, not ${JSON.stringify(fnName)}`,
            span,
          );
          return;
        }
        decl.args.push({
          kind: "string",
          value: fnName,
          span,
          template: { kind: "template", text: fnName, span, map: [] },
        });
        if (a.fn) this.register(fnName, a.fn, span);
      } else if (a.positional !== undefined) {
        const value = this.value(a.positional, span);
        if (value) decl.args.push(value);
      }
      const options = this.value(a.options, span);
      if (options?.kind === "object") decl.options = options.entries;
    }
    this.agents.push(decl);
  }

  /** A function agent's function under its name; another function under a taken name is refused. */
  private register(name: string, fn: AgentFunction, span: Span): void {
    const taken = this.functions[name];
    if (taken && taken !== fn) {
      this.report(
        "AEG106",
        `two different functions are registered as '${name}'`,
        span,
        "a run finds a function agent by its name: give each function its own",
      );
      return;
    }
    this.functions[name] = fn;
  }

  /** The agent a function given in place of an agent's name becomes (`function("NAME")`). */
  private functionAgent(fn: AgentFunction, fallback: string, span: Span): Named {
    let agentName = this.functionAgents.get(fn);
    if (!agentName) {
      // A name no agent and no other function has.
      const taken = new Set([
        ...this.agents.map((a) => a.name.name),
        ...Object.keys(this.functions),
      ]);
      agentName = isName(fn.name) && !taken.has(fn.name) ? fn.name : fallback;
      for (let i = 2; taken.has(agentName); i++) agentName = `${fallback}_${i}`;
      this.functionAgents.set(fn, agentName);
      this.functions[agentName] = fn;
      this.agents.push({
        name: { name: agentName, span },
        provider: { name: "function", span },
        args: [
          {
            kind: "string",
            value: agentName,
            span,
            template: { kind: "template", text: agentName, span, map: [] },
          },
        ],
        options: [],
        span,
      });
    }
    return { name: agentName, span };
  }

  // ------------------------------------------------------------ states

  private state(stateName: string, declared: unknown): StateDecl | undefined {
    const s = declared as State & { actionSite?: CallSite };
    const { span, nameSpan } = this.partSpan(stateName, s?.site);
    if (s?.part !== "state") {
      this.report(
        "AEG104",
        `state '${stateName}' must be made with state.agent(…), state.run(…), state.final() …`,
        nameSpan,
      );
      return undefined;
    }
    const site = s.actionSite ?? s.site;
    const kindSpan = this.locate.at(site, span);
    const decl: StateDecl = {
      name: this.name(stateName, "state name", nameSpan),
      kind: s.kind,
      kindSpan,
      settings: [],
      statements: [],
      transitions: [],
      span,
    };
    if (s.final) decl.final = { outcome: s.final, span };
    this.header(decl, s.header, site, stateName);
    this.options(decl, s.options, site);
    if (!Array.isArray(s.transitions))
      this.report("AEG104", "on must be a list of transitions: [on(…), otherwise(…)]", kindSpan);
    for (const t of Array.isArray(s.transitions) ? s.transitions : []) {
      const transition = this.transition(t, kindSpan);
      if (transition) decl.transitions.push(transition);
    }
    return decl;
  }

  private header(
    decl: StateDecl,
    header: StateHeader,
    site: CallSite | undefined,
    stateName: string,
  ): void {
    const at = decl.kindSpan;
    const agentRef = (a: unknown, fallback: string): Named =>
      typeof a === "function"
        ? this.functionAgent(a as AgentFunction, fallback, at)
        : this.name(a as string, "agent name", this.stringSpan(a, site));
    if (
      header.agent !== undefined &&
      typeof header.agent !== "string" &&
      typeof header.agent !== "function"
    ) {
      this.report(
        "AEG104",
        "the agent must be an agent's name, a template naming one, or a function",
        at,
      );
    } else if (header.agent !== undefined) {
      if (typeof header.agent === "string" && header.agent.includes("{{"))
        decl.agentTemplate = this.template(header.agent, site, "the agent");
      else decl.agent = agentRef(header.agent, `${stateName.toLowerCase()}_agent`);
    }
    if (header.command !== undefined) {
      const value = this.value(header.command, at);
      if (value) decl.command = value;
    }
    if (header.image !== undefined) decl.image = this.template(header.image, site, "the image");
    if (header.workflow !== undefined)
      decl.workflowRef = this.name(
        header.workflow,
        "subworkflow",
        this.stringSpan(header.workflow, site),
      );
    if (header.foreach) {
      const over = this.expression(header.foreach.over, site, "the list of a foreach");
      if (over)
        decl.foreach = {
          item: this.name(
            header.foreach.item,
            "item name",
            this.stringSpan(header.foreach.item, site),
          ),
          over,
        };
    }
    if (header.specialists)
      decl.specialists = (Array.isArray(header.specialists) ? header.specialists : []).map((n) =>
        agentRef(n, "specialist"),
      );
    if (header.router !== undefined)
      decl.router = agentRef(header.router, `${stateName.toLowerCase()}_router`);
  }

  private options(
    decl: StateDecl,
    options: Readonly<Record<string, unknown>>,
    site: CallSite | undefined,
  ): void {
    const from = this.locate.offset(site);
    // Looked for in this state's call only: before the next state's.
    const until = from === undefined ? undefined : this.nextStateCall(from);
    const keySpan = (key: string) => this.locate.keyAfter(key, from, until) ?? decl.kindSpan;
    const setting = (s: StateSetting) => decl.settings.push(s);
    const statement = (s: StateStatement) => decl.statements.push(s);
    for (const [key, v] of Object.entries(options)) {
      if (v === undefined) continue;
      const span = keySpan(key);
      switch (key) {
        case "timeout": {
          const ms = this.duration(v, span, "timeout");
          if (ms !== undefined) setting({ kind: "timeout", ms, span });
          break;
        }
        case "visits":
        case "concurrency":
        case "max":
        case "iterations": {
          const value = this.count(v, span, key);
          if (value === undefined) break;
          if (key === "iterations") statement({ kind: "iterations", value, span });
          else setting({ kind: key, value, span });
          break;
        }
        case "retry": {
          if (typeof v === "number") {
            const value = this.count(v, span, "retry");
            if (value !== undefined) setting({ kind: "retry", value, span });
          } else if (v && typeof v === "object") {
            const r = v as { times?: unknown; backoff?: unknown };
            const value = this.count(r.times, span, "retry times");
            const backoffMs =
              r.backoff === undefined ? undefined : this.duration(r.backoff, span, "backoff");
            if (value !== undefined)
              setting({
                kind: "retry",
                value,
                ...(backoffMs !== undefined && { backoffMs }),
                span,
              });
          } else this.report("AEG104", "retry must be a number or { times, backoff }", span);
          break;
        }
        case "errors":
          setting({
            kind: "errors",
            mode: { name: String(v), span: this.stringSpan(String(v), site) },
            span,
          });
          break;
        case "steps": {
          const steps =
            typeof v === "number" ? { max: v } : (v as { max?: unknown; exhausted?: unknown });
          const value = this.count(steps?.max, span, "steps");
          if (value === undefined) break;
          const then =
            typeof steps.exhausted === "string"
              ? { name: steps.exhausted, span: this.stringSpan(steps.exhausted, site) }
              : undefined;
          setting({ kind: "steps", value, ...(then && { then }), span });
          break;
        }
        case "until": {
          const condition = this.expression(v, site, "the condition of until");
          if (condition) setting({ kind: "until", condition, span });
          break;
        }
        case "session":
          setting({
            kind: "session",
            name: this.name(String(v), "session name", this.stringSpan(String(v), site)),
            span,
          });
          break;
        case "prompt":
        case "intent":
          statement({ kind: key, template: this.template(v, site, key), span });
          break;
        case "workdir":
          statement({ kind: "workdir", value: this.template(v, site, key), span });
          break;
        case "output":
        case "input": {
          const value = this.value(v, span, key === "output" ? "fields" : undefined);
          if (value) statement({ kind: key, value, span });
          break;
        }
        case "env":
        case "command":
        case "volumes":
        case "resources":
        case "options":
        case "handler":
        case "default": {
          const value = this.value(v, span, undefined);
          if (value) statement({ kind: key, value, span });
          break;
        }
        case "consensus": {
          const value = this.value(v, span);
          if (value?.kind === "object") statement({ kind: "consensus", config: value, span });
          else this.report("AEG104", "consensus must be an object", span);
          break;
        }
        case "result":
          statement({
            kind: "result",
            key: this.name(String(v), "result key", this.stringSpan(String(v), site)),
            span,
          });
          break;
        case "protects":
          statement({
            kind: "protects",
            states: (Array.isArray(v) ? v : [v]).map((n) =>
              this.name(String(n), "state name", this.stringSpan(String(n), site)),
            ),
            span,
          });
          break;
        case "judges":
          for (const j of Array.isArray(v) ? (v as Judge[]) : []) this.judge(j, statement, span);
          break;
        case "containers":
          for (const [containerName, step] of Object.entries(
            (v ?? {}) as Record<string, { image?: unknown }>,
          )) {
            const at = this.locate.keyAfter(containerName, from, until) ?? span;
            const { image, ...config } = step ?? {};
            const value = this.value(config, at);
            statement({
              kind: "container",
              name: this.name(containerName, "container name", at),
              image: this.template(image, site, "a container's image"),
              ...(value?.kind === "object" && value.entries.length > 0 && { config: value }),
              span: at,
            });
          }
          break;
        case "mode":
          decl.mode = {
            value: v === "detached" ? "detached" : "blocking",
            span: this.stringSpan(String(v), site),
          };
          if (v !== "detached" && v !== "blocking")
            this.report(
              "AEG104",
              `mode must be "blocking" or "detached", not ${JSON.stringify(v)}`,
              span,
            );
          break;
        case "output-fields":
          break;
        default:
          this.report(
            "AEG105",
            `a${decl.kind === "agent" ? "n" : ""} ${decl.kind} state has no option '${key}'`,
            span,
          );
      }
    }
  }

  private judge(j: Judge, statement: (s: StateStatement) => void, fallback: Span): void {
    if (j?.part !== "judge") {
      this.report("AEG104", "a judge must be made with judge(agent, { … })", fallback);
      return;
    }
    const span = this.locate.at(j.site, fallback);
    const timeoutMs =
      j.timeout === undefined ? undefined : this.duration(j.timeout, span, "a judge's timeout");
    const weight =
      j.weight === undefined ? undefined : this.amount(j.weight, span, "a judge's weight");
    statement({
      kind: "judge",
      agent: this.name(j.agent, "agent name", this.stringSpan(j.agent, j.site)),
      ...(weight !== undefined && { weight }),
      ...(timeoutMs !== undefined && { timeoutMs }),
      ...(j.prompt !== undefined && {
        prompt: this.template(j.prompt, j.site, "a judge's prompt"),
      }),
      span,
    });
  }

  private transition(t: Transition, fallback: Span): TransitionDecl | undefined {
    if (t?.part !== "transition") {
      this.report(
        "AEG104",
        "a transition must be made with on(condition, target) or otherwise(target)",
        fallback,
      );
      return undefined;
    }
    const span = this.locate.at(t.site, fallback);
    const target = this.name(t.target, "target state", this.stringSpan(t.target, t.site));
    const decl: TransitionDecl = { otherwise: t.condition === undefined, target, span };
    if (t.condition !== undefined) {
      const condition = this.expression(t.condition, t.site, "the condition");
      if (!condition) return undefined;
      decl.condition = condition;
    }
    if (t.feedback !== undefined) decl.feedback = this.template(t.feedback, t.site, "feedback");
    return decl;
  }

  // ------------------------------------------------------------ suppressions

  /**
   * The program's `// aegis-ignore …` comments from the line of `workflow(…)` (and the
   * comments just above it) to the last part placed: a suppression in the program works
   * as it does in a .aegis file.
   */
  private comments(): { image: string; startOffset: number }[] {
    const text = this.locate.source.text;
    if (text === "") return [];
    const out: { image: string; startOffset: number }[] = [];
    const start = Math.min(this.whole.start, this.first);
    const end = Math.max(this.last, this.whole.end);
    // The comment lines right above the call belong to it.
    let from = text.lastIndexOf("\n", start) + 1;
    for (;;) {
      const previous = text.lastIndexOf("\n", from - 2) + 1;
      if (from === 0 || !/^\s*\/\//.test(text.slice(previous, from))) break;
      from = previous;
    }
    const lineEnd = text.indexOf("\n", end);
    const region = text.slice(0, lineEnd < 0 ? text.length : lineEnd);
    for (const m of region.matchAll(/\/\/[^\n]*aegis-ignore[^\n]*/g)) {
      const file = m[0].includes("aegis-ignore-file");
      if (file || m.index >= from) out.push({ image: m[0], startOffset: m.index });
    }
    return out;
  }
}

function isStandardSchema(v: unknown): v is StandardSchemaLike {
  if (!v || (typeof v !== "object" && typeof v !== "function")) return false;
  const standard = (v as { "~standard"?: unknown })["~standard"];
  return (
    !!standard &&
    typeof standard === "object" &&
    typeof (standard as { validate?: unknown }).validate === "function"
  );
}
