// Run inputs: validated against the workflow's input schema (JSON Schema, from its `input`
// declarations) before a run starts, with the declared defaults filled in. Every problem is
// reported at once, each with the input it concerns.
import type { ErrorObject, ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
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

let ajv: Ajv2020 | undefined;
/** Compiled validators by schema text: runs of one workflow share one (compiling is slow). */
const compiled = new Map<string, ValidateFunction>();

function validator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    ajv ??= (() => {
      const instance = new Ajv2020({ allErrors: true, useDefaults: true, strict: false });
      (addFormats as unknown as (a: Ajv2020) => void)(instance);
      return instance;
    })();
    // The schema's own $id (if any) must not clash between workflows: compile a copy without it.
    const { $id: _id, ...rest } = schema;
    validate = ajv.compile(rest);
    if (compiled.size > 500) compiled.clear();
    compiled.set(key, validate);
  }
  return validate;
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

function typeName(value: unknown): string {
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
 * Checks `inputs` against the workflow's input schema and returns them with the declared
 * defaults filled in (a copy: the argument is not modified). Throws an InputError listing
 * every problem.
 */
export function validateInputs(
  schema: Record<string, unknown> | undefined,
  inputs: unknown,
  workflow = "workflow",
): Record<string, unknown> {
  if (inputs === null || typeof inputs !== "object" || Array.isArray(inputs)) {
    throw new InputError(workflow, [
      { path: "", message: `must be an object of named inputs (got ${typeName(inputs)})` },
    ]);
  }
  const data = structuredClone(inputs) as Record<string, unknown>;
  if (!schema || Object.keys(schema).length === 0) return data;
  const validate = validator(schema);
  if (validate(data)) return data;
  const seen = new Set<string>();
  const problems: InputProblem[] = [];
  for (const error of validate.errors ?? []) {
    // `if`/`anyOf` wrappers repeat what their branches say.
    if (error.keyword === "if" || error.keyword === "anyOf" || error.keyword === "oneOf") continue;
    const problem = { path: pathOf(error), message: describe(error, schema, data) };
    const key = `${problem.path}\u0000${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  throw new InputError(workflow, problems);
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
