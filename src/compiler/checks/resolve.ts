// Name resolution for templates and expressions: what `REVIEW.output`, `input.task` or
// `iteration` mean at a given place in the workflow, with their type and whether their
// text can come from someone untrusted (an agent, a human, a pull request, a caller).
import type { Span } from "../ast.ts";
import { article, type Code, hintFor } from "../diagnostics.ts";
import type { InputType, StateNode, TransitionEdge, WorkflowGraph } from "../graph.ts";
import { type FieldType, isInertField, resultFields } from "../vocabulary.ts";
import type { GraphFacts, Moment } from "./context.ts";
import { Skips, statusFields } from "./skips.ts";

export type Trust = "trusted" | "untrusted" | "caller";

export interface Resolved {
  type: FieldType;
  trust: Trust;
  /** The state whose result this reads, if any. */
  state?: string;
}

export interface ResolveProblem {
  code: Code;
  message: string;
  hint?: string;
  /** Index of the path part the problem is about. */
  part: number;
  related?: { span: Span; message: string }[];
}

export interface Place {
  /** The state whose template or expression this is (absent: the workflow's output). */
  state?: string;
  moment: Moment;
  /** Expressions may name the current state's fields bare (`score >= 0.8`). */
  bareFields: boolean;
  /** States tested by an enclosing {{#if}}: reading them is safe even if they did not run. */
  guards?: readonly string[];
  /** Names local to this template (a container handler's `output`). */
  locals?: Readonly<Record<string, FieldType>>;
  /** States with `errors skip` that cannot have been skipped here (see skips.ts). */
  skipGuards?: readonly string[];
  /** The transition whose feedback this is (a state's own result may be skipped there). */
  edge?: TransitionEdge;
  /** false: do not report reads of states that may have been skipped (AEG406). */
  skips?: boolean;
}

const roots = [
  "blackboard",
  "input",
  "context",
  "secrets",
  "state",
  "human",
  "run",
  "workflow",
  "github",
  "intent",
  "iteration",
  "max_iterations",
  "previous",
  "index",
];

function inputFieldType(t: InputType): FieldType {
  switch (t.type) {
    case "string":
    case "enum":
      return t.type === "enum" && t.values.every((v) => typeof v === "number")
        ? "number"
        : "string";
    case "number":
    case "integer":
      return "number";
    case "boolean":
      return "boolean";
    case "list":
      return "list";
    default:
      return "any";
  }
}

function jsonType(value: unknown): FieldType {
  if (typeof value === "string") return "string";
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  if (Array.isArray(value)) return "list";
  if (value && typeof value === "object") {
    return { object: Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonType(v)])) };
  }
  return "any";
}

export class Resolver {
  private readonly inputs: Map<string, { type: FieldType; trust: Trust }>;
  private readonly graph: WorkflowGraph;
  private readonly facts: GraphFacts;
  private skipFacts?: Skips;

  constructor(graph: WorkflowGraph, facts: GraphFacts) {
    this.graph = graph;
    this.facts = facts;
    this.inputs = new Map(
      graph.getAttribute("inputs").map((i) => {
        const type = inputFieldType(i.type);
        return [
          i.name,
          {
            type,
            trust:
              type === "number" || type === "boolean" || i.type.type === "enum"
                ? "trusted"
                : "caller",
          },
        ];
      }),
    );
  }

  private node(state: string | undefined): StateNode | undefined {
    const i = state ? this.facts.indexOf.get(state) : undefined;
    return i === undefined ? undefined : this.facts.nodes[i];
  }

  private readonly fieldsOf = new Map<StateNode, Record<string, FieldType>>();
  /** A state's result fields (read only: shared between lookups). */
  private fields(node: StateNode): Record<string, FieldType> {
    let fields = this.fieldsOf.get(node);
    if (!fields) {
      fields = resultFields(node);
      this.fieldsOf.set(node, fields);
    }
    return fields;
  }

  resolve(parts: string[], place: Place): Resolved | ResolveProblem {
    const [head, ...rest] = parts;
    if (head === undefined || head === "") return { type: "any", trust: "trusted" };
    const here = this.node(place.state);

    if (place.locals && Object.hasOwn(place.locals, head)) {
      return this.walk({ type: place.locals[head]!, trust: "untrusted" }, rest, 1, parts);
    }
    // AEGIS manifests: the blackboard holds every state's output so far, by state name.
    if (head === "blackboard") {
      // Typed like the state's own result, but readable before it ran (it is then empty).
      const target = this.node(rest[0]);
      if (!target || rest.length < 2) return { type: "any", trust: "untrusted" };
      const fields = this.fields(target);
      const field = rest[1]!;
      if (!Object.hasOwn(fields, field)) return { type: "any", trust: "untrusted" };
      const type = fields[field]!;
      return this.walk(
        { type, trust: isInertField(type) ? "trusted" : "untrusted" },
        rest.slice(2),
        3,
        parts,
      );
    }
    // AEGIS custom conditions name the state's own result `state_output`.
    if (head === "state_output" && here && place.moment === "after") {
      return this.walk({ type: { object: this.fields(here) }, trust: "untrusted" }, rest, 1, parts);
    }
    // Variables local to a kind of state.
    if (here?.foreach && head === here.foreach.item && place.moment === "before") {
      return this.walk({ type: "any", trust: "untrusted" }, rest, 1, parts);
    }
    if (head === "index") {
      if (!here?.foreach)
        return { code: "AEG409", message: "'index' exists only in foreach states", part: 0 };
      return this.walk({ type: "number", trust: "trusted" }, rest, 1, parts);
    }
    if (head === "iteration" || head === "max_iterations" || head === "previous") {
      if (!(here && (here.kind === "loop" || here.iterations))) {
        return { code: "AEG409", message: `'${head}' exists only in loop states`, part: 0 };
      }
      return head === "previous"
        ? this.walk({ type: "any", trust: "untrusted" }, rest, 1, parts)
        : this.walk({ type: "number", trust: "trusted" }, rest, 1, parts);
    }
    switch (head) {
      case "input": {
        if (rest.length === 0) return { type: "any", trust: "caller" };
        const input = this.inputs.get(rest[0]!);
        // `input *`: an input it does not declare is any value the caller gives.
        if (!input && this.graph.getAttribute("inputSchema").additionalProperties === true)
          return this.walk({ type: "any", trust: "caller" }, rest.slice(1), 2, parts);
        if (!input) {
          return {
            code: "AEG402",
            message: `'${rest[0]}' is not an input of this workflow`,
            part: 1,
            ...withHint(rest[0]!, this.inputs.keys(), "declare it with `input NAME: TYPE`"),
          };
        }
        return this.walk({ type: input.type, trust: input.trust }, rest.slice(1), 2, parts);
      }
      case "context":
        return this.context(rest, 1, parts);
      case "workflow":
        if (rest[0] === "context") return this.context(rest.slice(1), 2, parts);
        return this.walk(
          {
            type: { object: { name: "string", version: "string", description: "string" } },
            trust: "trusted",
          },
          rest,
          1,
          parts,
        );
      case "secrets": {
        const secrets = this.graph.getAttribute("secrets");
        if (rest[0] !== undefined && !secrets.includes(rest[0])) {
          return {
            code: "AEG408",
            message: `'${rest[0]}' is not a declared secret`,
            part: 1,
            ...withHint(rest[0], secrets, "declare it with `secret NAME`"),
          };
        }
        return { type: "string", trust: "trusted" };
      }
      case "state":
        if (!here)
          return { code: "AEG409", message: "'state' exists only inside a state", part: 0 };
        return this.walk(
          {
            type: {
              object: { feedback: "string", visits: "number", name: "string", iteration: "number" },
            },
            trust: "untrusted",
          },
          rest,
          1,
          parts,
          (f) => f !== "feedback",
        );
      case "human":
        if (!(here?.kind === "human" && place.moment === "after")) {
          return {
            code: "AEG409",
            message: "'human' exists only in a human state's transitions",
            part: 0,
            hint: "elsewhere, name the gate: GATE.response, GATE.feedback",
          };
        }
        return this.walk(
          {
            type: this.fields(here).feedback ? { object: this.fields(here) } : "any",
            trust: "untrusted",
          },
          rest,
          1,
          parts,
          (f) => isInertField(this.fields(here)[f]),
        );
      case "run":
        return this.walk(
          {
            type: { object: { id: "string", started_at: "string", attempt: "number" } },
            trust: "trusted",
          },
          rest,
          1,
          parts,
        );
      case "github":
        return this.walk({ type: "any", trust: "untrusted" }, rest, 1, parts);
      case "intent":
        return this.walk({ type: "string", trust: "caller" }, rest, 1, parts);
    }
    // A state's result.
    const target = this.node(head);
    if (target) return this.stateResult(head, target, rest, parts, place);
    // A bare field of the current state, in its own conditions.
    if (place.bareFields && here) {
      const fields = this.fields(here);
      if (Object.hasOwn(fields, head) || head === "always" || head === "consensus") {
        return this.stateResult(here.name, here, parts, parts, place, 0);
      }
    }
    const candidates = [
      ...roots,
      ...this.graph.nodes(),
      ...(place.bareFields && here ? Object.keys(this.fields(here)) : []),
    ];
    if (place.bareFields && here && parts.length === 1) {
      // In a condition, a bare name is most likely meant as a field of the state itself.
      const fields = Object.keys(this.fields(here));
      return {
        code: "AEG404",
        message: `'${head}' is not defined, and ${article(here.kind)} state has no field '${head}'`,
        part: 0,
        ...withHint(head, candidates, `fields are ${fields.join(", ")}`),
      };
    }
    return {
      code: "AEG401",
      message: `'${head}' is not defined`,
      part: 0,
      ...withHint(
        head,
        candidates,
        "templates can name input.*, context.*, secrets.*, state.*, and STATE.field of earlier states",
      ),
    };
  }

  private context(rest: string[], offset: number, parts: string[]): Resolved | ResolveProblem {
    const context = this.graph.getAttribute("context");
    if (rest.length === 0) return { type: "any", trust: "trusted" };
    if (!Object.hasOwn(context, rest[0]!)) {
      return {
        code: "AEG403",
        message: `'${rest[0]}' is not a context key`,
        part: offset,
        ...withHint(rest[0]!, Object.keys(context), "add it to `context { … }`"),
      };
    }
    return this.walk(
      { type: jsonType(context[rest[0]!]), trust: "trusted" },
      rest.slice(1),
      offset + 1,
      parts,
    );
  }

  private stateResult(
    name: string,
    target: StateNode,
    rest: string[],
    parts: string[],
    place: Place,
    fieldIndex = 1,
  ): Resolved | ResolveProblem {
    const fieldParts = rest;
    const field = fieldParts[0];
    if (field === "always") return { type: "boolean", trust: "trusted", state: name };
    // Where may this state's result be read? After it has certainly run.
    const here = place.state;
    if (here === undefined) {
      // The workflow's output: rendered when the run ends well, at a success final state.
      const finals = this.graph.filterNodes(
        (s, n) => n.final === "success" && this.facts.reachable.has(s),
      );
      const missed = finals.find((f) => f !== name && !this.facts.mustHaveRun(f, name));
      if (missed && !place.guards?.includes(name)) {
        const path = this.facts.pathAvoiding(missed, name);
        return {
          code: "AEG406",
          message: `the workflow's output uses '${name}', which may not have run${path ? `: on the path ${path.join(" → ")}, '${name}' is skipped` : ""}`,
          part: 0,
          hint: `guard it with {{#if ${name}.output}}…{{/if}}, or use only states every successful run passes through`,
        };
      }
    }
    const ran =
      here !== undefined &&
      ((here === name && place.moment === "after") || this.facts.mustHaveRun(here, name));
    if (
      !ran &&
      here !== undefined &&
      this.facts.reachable.has(here) &&
      !place.guards?.includes(name)
    ) {
      const path = this.facts.pathAvoiding(here, name);
      const pathText = path ? path.join(" → ") : "";
      return {
        code: "AEG406",
        message:
          here === name
            ? `'${name}' reads its own result before it has run${pathText ? ` (first entered by ${pathText})` : ""}`
            : path && path.length === 1
              ? `'${name}' has not run when the workflow starts at '${here}'`
              : `'${name}' may not have run when '${here}' uses it${pathText ? `: on the path ${pathText}, '${name}' is skipped` : ""}`,
        part: 0,
        hint:
          here === name
            ? "use state.feedback, or `previous` in a loop state"
            : `read it only where every path has passed through '${name}', guard it with {{#if ${name}.output}}…{{/if}}, or carry the value along as feedback`,
      };
    }
    if (field === undefined) {
      return {
        code: "AEG404",
        message: `'${name}' is a state; name one of its fields, e.g. ${name}.output`,
        part: 0,
      };
    }
    const fields = this.fields(target);
    if (!Object.hasOwn(fields, field)) {
      return {
        code: "AEG404",
        message: `${article(target.kind)} state has no field '${field}'`,
        part: fieldIndex,
        ...withHint(field, Object.keys(fields), `fields are ${Object.keys(fields).join(", ")}`),
      };
    }
    if (
      target.errorMode === "skip" &&
      !statusFields.has(field) &&
      place.skips !== false &&
      !place.skipGuards?.includes(name)
    ) {
      const problem = this.skipped(name, field, place);
      if (problem) return problem;
    }
    const type = fields[field]!;
    const trust: Trust = isInertField(type) ? "trusted" : "untrusted";
    const resolved = this.walk(
      { type, trust, state: name },
      fieldParts.slice(1),
      fieldIndex + 1,
      parts,
    );
    return resolved;
  }

  /** The skip analysis, made when a state with `errors skip` is first read. */
  get skips(): Skips {
    this.skipFacts ??= new Skips(this.facts);
    return this.skipFacts;
  }

  /** AEG406 for a read of `name` (errors skip) where it may have been skipped. */
  private skipped(name: string, field: string, place: Place): ResolveProblem | undefined {
    const here = place.state;
    const hint = `read it under {{#if ${name}.${field}}}…{{/if}}, or take the skipped case first in '${name}' with \`on skipped -> …\` (a skipped state counts as a success: \`on success\` is taken too)`;
    const how = `'${name}' fails and \`errors skip\` goes on without its result`;
    if (here === undefined) {
      const path = this.skips.finalPath(name);
      if (!path) return undefined;
      return {
        code: "AEG406",
        message: `the workflow's output uses '${name}', which may have been skipped: on the path ${path.join(" → ")}, ${how}`,
        part: 0,
        hint,
      };
    }
    if (here === name) {
      if (place.moment !== "after" || !place.edge || !this.skips.edgeMayFire(name, place.edge))
        return undefined;
      return {
        code: "AEG406",
        message: `'${name}' may have been skipped when its transition '${place.edge.label}' is taken: a failure is skipped (\`errors skip\`) and counts as a success, and the result is then empty`,
        part: 0,
        hint: `put \`on skipped -> …\` before it, or read it under {{#if ${name}.${field}}}…{{/if}}`,
      };
    }
    if (!this.facts.reachable.has(here)) return undefined;
    const path = this.skips.path(name, here);
    if (!path) return undefined;
    return {
      code: "AEG406",
      message: `'${name}' may have been skipped when '${here}' uses it: on the path ${path.join(" → ")}, ${how}`,
      part: 0,
      hint,
    };
  }

  /** Descends into fields of a typed value. */
  private walk(
    base: Resolved,
    rest: string[],
    offset: number,
    parts: string[],
    inert?: (field: string) => boolean,
  ): Resolved | ResolveProblem {
    let current: Resolved | ResolveProblem = base;
    rest.forEach((part, i) => {
      if ("code" in current) return;
      const t: FieldType = current.type;
      if (t === "any") return;
      if (t === "list") {
        current =
          part === "length" || /^\d+$/.test(part)
            ? { ...current, type: part === "length" ? "number" : "any" }
            : {
                code: "AEG404",
                message: `'${parts.slice(0, offset + i).join(".")}' is a list; use an index or .length`,
                part: offset + i,
              };
        return;
      }
      if (typeof t === "object") {
        if (Object.hasOwn(t.object, part)) {
          const type = t.object[part]!;
          current = {
            ...current,
            type,
            trust: inert?.(part) || isInertField(type) ? "trusted" : current.trust,
          };
          return;
        }
        if (t.open) {
          current = { ...current, type: "any" };
          return;
        }
        current = {
          code: "AEG404",
          message: `'${parts.slice(0, offset + i).join(".")}' has no field '${part}'`,
          part: offset + i,
          ...withHint(
            part,
            Object.keys(t.object),
            Object.keys(t.object).length
              ? `fields are ${Object.keys(t.object).join(", ")}`
              : undefined,
          ),
        } as ResolveProblem;
        return;
      }
      if (part === "length" && t === "string") {
        current = { ...current, type: "number", trust: "trusted" };
        return;
      }
      current = {
        code: "AEG404",
        message: `'${parts.slice(0, offset + i).join(".")}' is a ${t} and has no field '${part}'`,
        part: offset + i,
      };
    });
    return current;
  }
}

function withHint(
  word: string,
  candidates: Iterable<string>,
  fallback?: string,
): { hint?: string } {
  const hint = hintFor(word, candidates) ?? fallback;
  return hint ? { hint } : {};
}
