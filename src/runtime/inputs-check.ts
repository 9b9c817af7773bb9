// What the engine checks a run's inputs with: a workflow that declares no inputs is checked
// here; any other loads the JSON Schema validator (inputs.ts, Ajv: a seventh of the bundled
// Action) when a run of it first starts, not when the runtime is imported.
import type { ErrorObject } from "ajv";
import { RuntimeError } from "./types.ts";

export interface InputProblem {
  /** Where: `task`, `files/0`, or `` for the inputs as a whole. */
  path: string;
  message: string;
}

/** Inputs that do not match the workflow's schema; `problems` lists each one. */
export class InputError extends RuntimeError {
  readonly problems: InputProblem[];
  constructor(workflow: string, problems: InputProblem[]) {
    const lines = problems.map((p) => `  - ${p.path ? `${p.path}: ` : ""}${p.message}`);
    const n = problems.length;
    super(
      "invalid-inputs",
      `invalid inputs for workflow '${workflow}' (${n} problem${n === 1 ? "" : "s"}):\n${lines.join("\n")}`,
    );
    this.problems = problems;
  }
}

/**
 * What `validateInputs` (inputs.ts) checks, for the engine: the same answers, with the
 * validator loaded only for a schema that declares inputs. A schema that declares none (no
 * properties, nothing required) takes every input (`input *`) or none, each extra one a
 * problem as Ajv would report it.
 */
export async function checkInputs(
  schema: Record<string, unknown> | undefined,
  inputs: unknown,
  workflow = "workflow",
): Promise<Record<string, unknown>> {
  if (!declaresNone(schema))
    return (await import("./inputs.ts")).validateInputs(schema, inputs, workflow);
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) {
    throw new InputError(workflow, [
      { path: "", message: `must be an object of named inputs (got ${typeName(inputs)})` },
    ]);
  }
  const data = structuredClone(inputs) as Record<string, unknown>;
  if (schema?.additionalProperties !== false) return data;
  const extra = Object.keys(data);
  if (extra.length === 0) return data;
  throw new InputError(
    workflow,
    extra.map((path) => ({
      path,
      message: "is not an input of this workflow (it takes no inputs)",
    })),
  );
}

/** The schema's keys `declaresNone` reads (the compiler's inputSchema writes these only). */
const plainKeys = new Set([
  "$schema",
  "$id",
  "type",
  "properties",
  "required",
  "additionalProperties",
]);

/** A schema (as the compiler writes them) of a workflow that declares no named inputs. */
function declaresNone(schema: Record<string, unknown> | undefined): boolean {
  if (!schema || Object.keys(schema).length === 0) return true;
  if (!Object.keys(schema).every((k) => plainKeys.has(k))) return false;
  if (
    schema.$schema !== undefined &&
    schema.$schema !== "https://json-schema.org/draft/2020-12/schema"
  )
    return false;
  const { type, properties, required, additionalProperties } = schema;
  return (
    type === "object" &&
    (properties === undefined || (isRecord(properties) && Object.keys(properties).length === 0)) &&
    (required === undefined || (Array.isArray(required) && required.length === 0)) &&
    (additionalProperties === undefined || typeof additionalProperties === "boolean")
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Ajv's errors as problems: one per input and message (wrappers that repeat them left out). */
export function problemsOf(
  errors: ErrorObject[],
  schema: Record<string, unknown>,
  data: unknown,
): InputProblem[] {
  const seen = new Set<string>();
  const problems: InputProblem[] = [];
  for (const error of errors) {
    // `if`/`anyOf` wrappers repeat what their branches say.
    if (error.keyword === "if" || error.keyword === "anyOf" || error.keyword === "oneOf") continue;
    const problem = { path: pathOf(error), message: describe(error, schema, data) };
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

function pathOf(error: ErrorObject): string {
  const base = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (error.keyword === "required") base.push(String(error.params.missingProperty));
  if (error.keyword === "additionalProperties") base.push(String(error.params.additionalProperty));
  return base.join(".");
}

function describe(error: ErrorObject, schema: Record<string, unknown>, data: unknown): string {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return "is required";
    case "additionalProperties": {
      const known = Object.keys(properties);
      return `is not an input of this workflow (${known.length > 0 ? `its inputs: ${known.join(", ")}` : "it takes no inputs"})`;
    }
    case "enum": {
      const allowed = (error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      return `must be one of ${allowed.join(", ")} (got ${JSON.stringify(valueAt(data, error.instancePath))})`;
    }
    case "type":
      return `must be ${article(String(error.params.type))} (got ${typeName(valueAt(data, error.instancePath))})`;
    default:
      return error.message ?? `fails the '${error.keyword}' rule`;
  }
}

function article(type: string): string {
  const names = type.split(",").map((t) => (t === "integer" ? "an integer" : `a ${t}`));
  return names.join(" or ");
}

export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `the string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function valueAt(data: unknown, pointer: string): unknown {
  let value = data;
  for (const segment of pointer.split("/").slice(1)) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[segment.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return value;
}

/**
 * One `--param name=value` of the command line as an input: the value is JSON when the
 * input is declared with another type than string (`count=3`, `flags=["a"]`), else text.
 */
export function parseParam(
  schema: Record<string, unknown> | undefined,
  text: string,
): [string, unknown] {
  const eq = text.indexOf("=");
  if (eq <= 0) {
    throw new RuntimeError("invalid-inputs", `--param takes name=value (got '${text}')`);
  }
  const name = text.slice(0, eq);
  return [name, fromText(schema, name, text.slice(eq + 1))];
}

/** Text given to an input: itself for a text input, else JSON when it is JSON. */
function fromText(schema: Record<string, unknown> | undefined, name: string, raw: string): unknown {
  const declared = ((schema?.properties ?? {}) as Record<string, Record<string, unknown>>)[name];
  const wantsText =
    declared?.type === "string" ||
    (Array.isArray(declared?.enum) && declared.enum.every((v) => typeof v === "string"));
  if (wantsText) return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * A subworkflow's inputs as its parent's templates render them (text), read as `--param`
 * reads them: JSON for an input the child declares with another type than text. Inputs it
 * does not declare are left as they are.
 */
export function inputsFromText(
  schema: Record<string, unknown> | undefined,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  const declared = (schema?.properties ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [
      name,
      typeof value === "string" && Object.hasOwn(declared, name)
        ? fromText(schema, name, value)
        : value,
    ]),
  );
}
