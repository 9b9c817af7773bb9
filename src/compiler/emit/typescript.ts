// A workflow's syntax tree as a TypeScript module that builds it with aegis-workflows/builder
// (`aegis convert FILE --to ts`): for people who move a workflow into code. The module
// compiles to the same graph (content hash) as the source it came from; a function agent
// becomes a function to fill in, registered under the same name; comments above a
// declaration are kept above it.
import type { IToken } from "chevrotain";
import type {
  AgentDecl,
  InputDecl,
  ObjectEntry,
  SourceFileAst,
  StateDecl,
  StateSetting,
  StateStatement,
  Template,
  TransitionDecl,
  TypeExpr,
  Value,
} from "../ast.ts";
import { formatDuration } from "../expression.ts";
import { isName } from "../lexer.ts";
import { isProvider, providers } from "../providers.ts";
import { SourceText } from "../source.ts";
import { decodeTripleString } from "../strings.ts";
import { expressionText, PrintError } from "./aegis.ts";

export interface TypeScriptOptions {
  /** The module the builder is imported from (default `aegis-workflows/builder`). */
  builder?: string;
  /** The source's comments and text, to keep the comments above declarations. */
  comments?: IToken[];
  source?: string;
}

const STEP = "  ";
const identifier = /^[A-Za-z_$][\w$]*$/;
/** Words an identifier of the module may not be: JavaScript's and the builder's imports. */
const reserved = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval".split(
    " ",
  ),
);
const builderNames = [
  "workflow",
  "agent",
  "input",
  "state",
  "on",
  "otherwise",
  "judge",
  "env",
  "secret",
  "duration",
];

/** A property key: bare when it can be. */
function key(name: string): string {
  return identifier.test(name) ? name : JSON.stringify(name);
}

/**
 * A string as a TypeScript literal: a multi-line one as an indented template literal (the
 * builder reads a string that begins with a line break as the language reads a """ block),
 * when that gives back the same text; else a quoted string.
 */
function stringLiteral(text: string, indent: string): string {
  const starts = /^[ \t]*\r?\n/.test(text);
  if (text.includes("\n") && !text.includes("\r")) {
    const inner = `${indent}${STEP}`;
    const body = text
      .split("\n")
      .map((line) => (line === "" ? "" : `${inner}${line}`))
      .join("\n");
    const escaped = `\n${body}\n${indent}`.replace(/[`\\]|\$\{/g, (m) => `\\${m}`);
    const read = decodeTripleString(`"""\n${body}\n${indent}"""`, 0).template.text;
    if (read === text) return `\`${escaped}\``;
  }
  if (starts)
    throw new PrintError(
      `the text ${JSON.stringify(text.slice(0, 20))}… begins with a line break the builder would read as a block`,
    );
  return JSON.stringify(text);
}

class Emitter {
  private readonly helpers = new Set<string>(["workflow"]);
  private readonly functions: string[] = [];
  private readonly functionIds = new Map<string, string>();
  private readonly lineComments: Map<number, string[]> = new Map();
  private readonly source: SourceText | undefined;
  private readonly builder: string;

  constructor(options: TypeScriptOptions) {
    this.builder = options.builder ?? "aegis-workflows/builder";
    if (options.source !== undefined && options.comments) {
      this.source = new SourceText("<source>", options.source);
      for (const c of options.comments) {
        if (!c.image.startsWith("//")) continue;
        const line = this.source.position(c.startOffset).line;
        const before = this.source
          .lineText(line)
          .slice(0, this.source.position(c.startOffset).column - 1);
        if (before.trim() !== "") continue; // a comment after code stays with the source
        this.lineComments.set(line, [c.image]);
      }
    }
  }

  /** The comment lines right above the line of `offset`. */
  private leading(offset: number, indent: string): string {
    if (!this.source) return "";
    const out: string[] = [];
    for (let line = this.source.position(offset).line - 1; this.lineComments.has(line); line--)
      out.unshift(`${indent}${this.lineComments.get(line)![0]}`);
    return out.length ? `${out.join("\n")}\n` : "";
  }

  /** The identifier of the function written for `function("NAME")`: one per name. */
  private functionIdentifier(fnName: string, agentName: string): string {
    const known = this.functionIds.get(fnName);
    if (known) return known;
    const taken = new Set([...this.functionIds.values(), ...builderNames]);
    const base =
      identifier.test(fnName) && !reserved.has(fnName)
        ? fnName
        : `fn_${fnName.replace(/[^\w$]/g, "_")}`;
    let id = taken.has(base) ? `${base}_fn` : base;
    for (let i = 2; taken.has(id); i++) id = `${base}_fn${i}`;
    this.functionIds.set(fnName, id);
    this.functions.push(
      `/** The function agent '${agentName}' (function("${fnName}")): given the call, return the answer. */`,
      `export async function ${id}(call: { prompt: string }): Promise<unknown> {`,
      `  throw new Error(${JSON.stringify(`${fnName}: not written yet (asked: `)} + call.prompt + ")");`,
      "}",
      "",
    );
    return id;
  }

  private use(helper: string): string {
    this.helpers.add(helper.split(".")[0]!);
    return helper;
  }

  emit(ast: SourceFileAst): string {
    const wf = ast.workflow;
    if (!wf) throw new PrintError("the file declares no workflow");
    const I = STEP;
    const fields: string[] = [];
    const add = (name: string, value: string | undefined, before = "") => {
      if (value !== undefined) fields.push(`${before}${I}${key(name)}: ${value},`);
    };
    if (wf.title) add("title", stringLiteral(wf.title.text, I));
    if (wf.version) add("version", JSON.stringify(wf.version.value));
    if (wf.description) add("description", stringLiteral(wf.description.text, I));
    if (wf.labels) add("labels", this.value(wf.labels, I));
    if (wf.annotations) add("annotations", this.value(wf.annotations, I));
    if (ast.imports.length > 0)
      add(
        "imports",
        `{ ${ast.imports.map((i) => `${key(i.alias.name)}: ${JSON.stringify(i.path)}`).join(", ")} }`,
      );
    if (wf.inputs.length > 0)
      add(
        "inputs",
        this.block(
          wf.inputs.map((i) => this.input(i, `${I}${STEP}`)),
          I,
        ),
      );
    if (wf.otherInputs) add("otherInputs", "true");
    if (wf.context) add("context", this.value(wf.context, I));
    if (wf.secrets.length > 0) {
      const described = wf.secrets.some((s) => s.description);
      add(
        "secrets",
        described
          ? `{ ${wf.secrets.map((s) => `${key(s.name.name)}: ${JSON.stringify(s.description?.text ?? "")}`).join(", ")} }`
          : `[${wf.secrets.map((s) => JSON.stringify(s.name.name)).join(", ")}]`,
      );
    }
    if (wf.agents.length > 0)
      add(
        "agents",
        this.block(
          wf.agents.map((a) => this.agent(a, `${I}${STEP}`)),
          I,
        ),
      );
    if (wf.limits) add("limits", this.value(wf.limits, I, "limits"));
    if (wf.storage) add("storage", this.value(wf.storage, I));
    if (wf.start) add("start", JSON.stringify(wf.start.name));
    if (wf.output) add("output", stringLiteral(wf.output.text, I));
    if (wf.outputFields) add("output", this.value(wf.outputFields, I));
    if (wf.outputSchema) add("outputSchema", this.value(wf.outputSchema, I));
    add(
      "states",
      this.block(
        wf.states.map((s) => this.state(s, `${I}${STEP}`)),
        I,
      ),
    );
    const imports = [...this.helpers].sort();
    const header = [
      `// ${wf.name.name}, built with ${this.builder} (aegis convert --to ts).`,
      `import { ${imports.join(", ")} } from ${JSON.stringify(this.builder)};`,
      "",
      ...this.functions,
    ];
    const above = this.leading(wf.span.start, "");
    return `${header.join("\n")}\n${above}export default workflow(${JSON.stringify(wf.name.name)}, {\n${fields.join("\n")}\n});\n`;
  }

  private block(entries: string[], indent: string): string {
    return `{\n${entries.join("\n")}\n${indent}}`;
  }

  // ------------------------------------------------------------ values

  private value(v: Value, indent: string, mode?: "limits" | "fields"): string {
    switch (v.kind) {
      case "string":
        return stringLiteral(v.value, indent);
      case "number":
        return Object.is(v.value, -0) ? "-0" : String(v.value);
      case "boolean":
        return String(v.value);
      case "null":
        return "null";
      case "duration":
        return mode === "limits"
          ? JSON.stringify(v.text)
          : `${this.use("duration")}(${JSON.stringify(v.text)})`;
      case "symbol":
        // A bare word reads as the string it spells wherever the language takes one.
        return JSON.stringify(v.name);
      case "list":
        return `[${v.items.map((i) => this.value(i, indent, mode)).join(", ")}]`;
      case "object":
        return this.object(v.entries, indent, mode);
      case "call": {
        const [arg] = v.args;
        if ((v.callee.name === "env" || v.callee.name === "secret") && arg?.kind === "string")
          return `${this.use(v.callee.name)}(${JSON.stringify(arg.value)})`;
        throw new PrintError(`'${v.callee.name}(…)' has no counterpart in the builder`);
      }
    }
  }

  private object(entries: ObjectEntry[], indent: string, mode?: "limits" | "fields"): string {
    if (entries.length === 0) return "{}";
    const inner = `${indent}${STEP}`;
    const parts = entries.map((e) => `${key(e.key.name)}: ${this.value(e.value, inner, mode)}`);
    const flat = `{ ${parts.join(", ")} }`;
    if (flat.length + indent.length <= 90 && !flat.includes("\n")) return flat;
    return `{\n${parts.map((p) => `${inner}${p},`).join("\n")}\n${indent}}`;
  }

  private template(t: Template, indent: string): string {
    return stringLiteral(t.text, indent);
  }

  // ------------------------------------------------------------ declarations

  private typeCall(t: TypeExpr | undefined, description: string): string {
    const desc = description ? description : "";
    if (!t) return `${this.use("input")}.any(${desc})`;
    if (t.kind === "literal" || t.kind === "union") {
      const members = t.kind === "union" ? t.members : [t];
      const values = members.map((m) => (m.kind === "literal" ? JSON.stringify(m.value) : "null"));
      return `${this.use("input")}.oneOf([${values.join(", ")}]${desc ? `, ${desc}` : ""})`;
    }
    if (t.name === "list") {
      const item = t.args[0] ? this.typeCall(t.args[0], "") : undefined;
      return `${this.use("input")}.list(${item ?? "undefined"}${desc ? `, ${desc}` : ""})`;
    }
    return `${this.use("input")}.${t.name}(${desc})`;
  }

  private input(i: InputDecl, indent: string): string {
    const description = i.description ? stringLiteral(i.description.text, indent) : "";
    let call = this.typeCall(i.type, description);
    if (i.default) call += `.default(${this.value(i.default, indent)})`;
    if (i.optional) call += ".optional()";
    return `${this.leading(i.span.start, indent)}${indent}${key(i.name.name)}: ${call},`;
  }

  private agent(a: AgentDecl, indent: string): string {
    let options = [...a.options];
    const extra: string[] = [];
    if (a.session) extra.push("session: true");
    const provider = a.provider?.name;
    const opts = (entries: ObjectEntry[], more: string[]) => {
      const parts = [
        ...entries.map((e) => `${key(e.key.name)}: ${this.value(e.value, indent)}`),
        ...more,
      ];
      return parts.length ? `{ ${parts.join(", ")} }` : "";
    };
    let call: string;
    if (!provider) call = `${this.use("agent")}.supplied(${opts([], extra)})`;
    else if (provider === "function") {
      const [first] = a.args;
      const named = options.find((o) => o.key.name === "name")?.value;
      const fnName =
        first?.kind === "string"
          ? first.value
          : named?.kind === "string"
            ? named.value
            : a.name.name;
      const fn = this.functionIdentifier(fnName, a.name.name);
      const rest = options.filter((o) => o.key.name !== "name");
      const more = [
        ...(fnName !== a.name.name ? [`name: ${JSON.stringify(fnName)}`] : []),
        ...extra,
      ];
      const o = opts(rest, more);
      call = `${this.use("agent")}.fn(${fn}${o ? `, ${o}` : ""})`;
    } else {
      // The provider's positional argument, given by position or by its name.
      const option = isProvider(provider) ? providers[provider].positional?.option : undefined;
      const named = option ? options.find((o) => o.key.name === option) : undefined;
      if (named) options = options.filter((o) => o !== named);
      const first = a.args[0] ?? named?.value;
      const positional = first ? this.value(first, indent) : undefined;
      const o = opts(options, extra);
      const args = [positional, o || (provider === "openai" ? "{}" : undefined)].filter(Boolean);
      call = `${this.use("agent")}.${provider}(${args.join(", ")})`;
    }
    return `${this.leading(a.span.start, indent)}${indent}${key(a.name.name)}: ${call},`;
  }

  // ------------------------------------------------------------ states

  private state(s: StateDecl, indent: string): string {
    const inner = `${indent}${STEP}`;
    const opts: string[] = [];
    for (const setting of s.settings) opts.push(this.setting(setting, inner));
    const judges: string[] = [];
    const containers: string[] = [];
    for (const st of s.statements) {
      if (st.kind === "judge") judges.push(this.judge(st, `${inner}${STEP}`));
      else if (st.kind === "container") containers.push(this.container(st, `${inner}${STEP}`));
      else opts.push(this.statement(st, inner));
    }
    if (judges.length) opts.push(`judges: [\n${judges.join("\n")}\n${inner}]`);
    if (containers.length) opts.push(`containers: {\n${containers.join("\n")}\n${inner}}`);
    if (s.mode) opts.push(`mode: ${JSON.stringify(s.mode.value)}`);
    if (s.foreach && s.foreach.item.name !== "item")
      opts.push(`item: ${JSON.stringify(s.foreach.item.name)}`);
    if (s.transitions.length)
      opts.push(
        `on: [\n${s.transitions.map((t) => `${inner}${STEP}${this.transition(t, `${inner}${STEP}`)},`).join("\n")}\n${inner}]`,
      );
    const options = opts.length
      ? `{\n${opts.map((o) => `${inner}${o},`).join("\n")}\n${indent}}`
      : "";
    let call: string;
    if (!s.final) call = this.kindCall(s, options);
    else {
      // state.final(outcome, action?, { output }): an action is a state of its kind.
      const action = s.kind === "final" ? undefined : this.kindCall(s, options);
      const args = [JSON.stringify(s.final.outcome), action ?? "undefined", action ? "" : options];
      while (args.length > 0 && (args.at(-1) === "" || args.at(-1) === "undefined")) args.pop();
      if (args.length === 1 && s.final.outcome === "success") args.pop();
      call = `${this.use("state")}.final(${args.join(", ")})`;
    }
    return `${this.leading(s.span.start, indent)}${indent}${key(s.name.name)}: ${call},`;
  }

  private kindCall(s: StateDecl, options: string): string {
    const o = options ? `, ${options}` : "";
    const agentRef = () =>
      s.agentTemplate
        ? stringLiteral(s.agentTemplate.text, "")
        : JSON.stringify(s.agent?.name ?? "");
    const state = this.use("state");
    switch (s.kind) {
      case "agent":
        return `${state}.agent(${agentRef()}${o})`;
      case "loop":
        return `${state}.loop(${agentRef()}${o})`;
      case "foreach":
        return `${state}.foreach(${JSON.stringify(s.foreach ? expressionText(s.foreach.over) : "")}, ${agentRef()}${o})`;
      case "run":
        return `${state}.run(${s.command ? this.value(s.command, "") : '""'}${o})`;
      case "container":
        return `${state}.container(${stringLiteral(s.image?.text ?? "", "")}${o})`;
      case "subworkflow":
        return `${state}.subworkflow(${JSON.stringify(s.workflowRef?.name ?? "")}${o})`;
      case "coordinate":
        return `${state}.coordinate([${(s.specialists ?? []).map((n) => JSON.stringify(n.name)).join(", ")}], ${JSON.stringify(s.router?.name ?? "")}${o})`;
      case "human":
      case "branch":
        return `${state}.${s.kind}(${options})`;
      case "parallel":
      case "containers":
        return `${state}.${s.kind}(${options || "{}"})`;
      case "final":
        return `${state}.final()`;
    }
  }

  private setting(s: StateSetting, indent: string): string {
    switch (s.kind) {
      case "timeout":
        return `timeout: ${JSON.stringify(formatDuration(s.ms))}`;
      case "visits":
      case "concurrency":
      case "max":
        return `${s.kind}: ${s.value}`;
      case "retry":
        return s.backoffMs === undefined
          ? `retry: ${s.value}`
          : `retry: { times: ${s.value}, backoff: ${JSON.stringify(formatDuration(s.backoffMs))} }`;
      case "errors":
        return `errors: ${JSON.stringify(s.mode.name)}`;
      case "steps":
        return s.then
          ? `steps: { max: ${s.value}, exhausted: ${JSON.stringify(s.then.name)} }`
          : `steps: ${s.value}`;
      case "until":
        return `until: ${stringLiteral(expressionText(s.condition), indent)}`;
      case "session":
        return `session: ${JSON.stringify(s.name.name)}`;
    }
  }

  private statement(
    st: Exclude<StateStatement, { kind: "judge" | "container" }>,
    indent: string,
  ): string {
    switch (st.kind) {
      case "prompt":
      case "intent":
        return `${st.kind}: ${this.template(st.template, indent)}`;
      case "workdir":
        return `workdir: ${this.template(st.value, indent)}`;
      case "output":
        return `output: ${this.value(st.value, indent, "fields")}`;
      case "input":
      case "env":
      case "command":
      case "volumes":
      case "resources":
      case "options":
      case "handler":
      case "default":
        return `${st.kind}: ${this.value(st.value, indent)}`;
      case "consensus":
        return `consensus: ${this.value(st.config, indent)}`;
      case "result":
        return `result: ${JSON.stringify(st.key.name)}`;
      case "protects":
        return `protects: [${st.states.map((n) => JSON.stringify(n.name)).join(", ")}]`;
      case "iterations":
        return `iterations: ${st.value}`;
    }
  }

  private judge(st: StateStatement & { kind: "judge" }, indent: string): string {
    const o: string[] = [];
    if (st.weight !== undefined) o.push(`weight: ${st.weight}`);
    if (st.timeoutMs !== undefined)
      o.push(`timeout: ${JSON.stringify(formatDuration(st.timeoutMs))}`);
    if (st.prompt) o.push(`prompt: ${this.template(st.prompt, indent)}`);
    return `${indent}${this.use("judge")}(${JSON.stringify(st.agent.name)}${o.length ? `, { ${o.join(", ")} }` : ""}),`;
  }

  private container(st: StateStatement & { kind: "container" }, indent: string): string {
    const fields = [`image: ${stringLiteral(st.image.text, indent)}`];
    for (const e of st.config?.entries ?? [])
      fields.push(`${key(e.key.name)}: ${this.value(e.value, indent)}`);
    return `${indent}${key(st.name.name)}: { ${fields.join(", ")} },`;
  }

  private transition(t: TransitionDecl, indent: string): string {
    const options = t.feedback ? `, { feedback: ${this.template(t.feedback, indent)} }` : "";
    if (t.otherwise) return `${this.use("otherwise")}(${JSON.stringify(t.target.name)}${options})`;
    return `${this.use("on")}(${JSON.stringify(expressionText(t.condition!))}, ${JSON.stringify(t.target.name)}${options})`;
  }
}

/**
 * The TypeScript module that builds the workflow of `ast` with the builder. Throws a
 * PrintError for what the builder cannot express.
 */
export function printTypeScript(ast: SourceFileAst, options: TypeScriptOptions = {}): string {
  if (ast.workflow && !isName(ast.workflow.name.name))
    throw new PrintError(
      `the workflow's name ${JSON.stringify(ast.workflow.name.name)} is not a name`,
    );
  return new Emitter(options).emit(ast);
}
