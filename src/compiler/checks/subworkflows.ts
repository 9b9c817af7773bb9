// Subworkflows' inputs: what a subworkflow state gives the workflow it calls, against the
// inputs that workflow declares, when it is compiled here (imported from a file). An input
// it does not take (unless it takes any: `input *`), one it requires that is not given, a
// literal of the wrong type — each AEG510: at run time the child would refuse to start.
// Values made by templates are known at run time only, where the engine checks them.
import type { Span, StateDecl, Value } from "../ast.ts";
import { hintFor } from "../diagnostics.ts";
import type { InputSpec, InputType } from "../graph.ts";
import { expected as typeProblem } from "../input-types.ts";
import type { Check, CheckContext } from "./context.ts";

interface Given {
  name: string;
  span: Span;
  /** The value, when the file says it (no template). */
  value?: unknown;
  known: boolean;
}

const mustache = /\{\{\{?[\s\S]*?\}?\}\}/g;

/**
 * What a state gives its child, by name; undefined when only the run can tell (a text that
 * a template may turn into JSON). A text is a JSON object of inputs, or else `{input: TEXT}`
 * (the runtime's rule: executors/subworkflow.ts).
 */
function givenBy(input: Value | undefined): Given[] | undefined {
  if (!input) return [];
  if (input.kind === "object") {
    return input.entries.flatMap((e): Given[] => {
      const v = e.value;
      if (v.kind === "string") {
        const known = !v.value.includes("{{");
        return [{ name: e.key.name, span: e.key.span, known, ...(known && { value: v.value }) }];
      }
      if (v.kind === "number" || v.kind === "boolean")
        return [{ name: e.key.name, span: e.key.span, known: true, value: v.value }];
      return []; // not a template: reported by the lowering (AEG104)
    });
  }
  if (input.kind !== "string") return undefined;
  const text = input.value.trim();
  const templated = text.includes("{{");
  // A template first may render JSON, or not: only the run can tell.
  if (text.startsWith("{{")) return undefined;
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(templated ? text.replace(mustache, "0") : text);
    } catch {
      return templated ? undefined : [{ name: "input", span: input.span, known: false }];
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
      return [{ name: "input", span: input.span, known: false }];
    return Object.entries(parsed).map(([name, value]) => ({
      name,
      span: input.span,
      known: !templated,
      ...(!templated && { value }),
    }));
  }
  return [{ name: "input", span: input.span, known: false }];
}

/** A literal given to an input as the runtime takes it: text stays text for a text input. */
function asGiven(type: InputType, value: unknown): unknown {
  if (typeof value !== "string") return value;
  const text =
    type.type === "string" ||
    (type.type === "enum" && type.values.every((v) => typeof v === "string"));
  if (text) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function checkState(ctx: CheckContext, state: StateDecl): void {
  const alias = state.workflowRef;
  if (!alias) return;
  const child = ctx.imports.get(alias.name)?.graph;
  // Not compiled here (looked up at run time, or reported elsewhere), or an import that
  // holds no workflow (a file that did not read: AEG507 says so).
  if (!child || child.getAttribute("inputSchema") === undefined) return;
  const input = state.statements.find((s) => s.kind === "input")?.value;
  const given = givenBy(input);
  if (!given) return;
  const inputs: InputSpec[] = child.getAttribute("inputs");
  const takesAny = child.getAttribute("inputSchema").additionalProperties === true;
  const names = inputs.map((i) => i.name);
  const theirs = names.length > 0 ? `its inputs: ${names.join(", ")}` : "it takes no inputs";
  const who = `'${state.name.name}'`;
  for (const g of given) {
    const declared = inputs.find((i) => i.name === g.name);
    if (!declared) {
      if (takesAny) continue;
      const text = g.name === "input" && input?.kind === "string";
      ctx.report({
        code: "AEG510",
        message: text
          ? `${who} gives subworkflow '${alias.name}' its text as the input 'input', which it does not take (${theirs})`
          : `${who} gives subworkflow '${alias.name}' an input it does not take: '${g.name}' (${theirs})`,
        span: g.span,
        hint: text
          ? `give its inputs by name: input { ${names[0] ?? "name"}: "…" } (AEGIS: a mapping, or a JSON object)`
          : (hintFor(g.name, names) ?? `the inputs of '${alias.name}' are declared in its file`),
      });
      continue;
    }
    if (!g.known) continue;
    const value = asGiven(declared.type, g.value);
    const problem = typeProblem(declared.type, value);
    if (problem) {
      ctx.report({
        code: "AEG510",
        message: `input '${g.name}' of subworkflow '${alias.name}' must be ${problem}; ${who} gives it ${JSON.stringify(value)}`,
        span: g.span,
      });
    }
  }
  for (const required of inputs) {
    if (!required.required || given.some((g) => g.name === required.name)) continue;
    ctx.report({
      code: "AEG510",
      message: `subworkflow '${alias.name}' requires the input '${required.name}', which ${who} does not give`,
      span: input?.span ?? alias.span,
      hint: `give it: input { ${required.name}: "…" }`,
    });
  }
}

export const checkSubworkflows: Check = (ctx) => {
  for (const state of ctx.ast.workflow?.states ?? []) {
    if (state.kind === "subworkflow") checkState(ctx, state);
  }
};
