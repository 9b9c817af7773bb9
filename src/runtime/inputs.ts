// Run inputs: validated against the workflow's input schema (JSON Schema, from its `input`
// declarations) before a run starts, with the declared defaults filled in. Every problem is
// reported at once, each with the input it concerns.
import type { ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { InputError, problemsOf, typeName } from "./inputs-check.ts";

export {
  InputError,
  type InputProblem,
  inputsFromText,
  parseParam,
} from "./inputs-check.ts";

let ajv: Ajv2020 | undefined;
/** Compiled validators by schema text: runs of one workflow share one (compiling is slow). */
const compiled = new Map<string, ValidateFunction>();

function validator(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    ajv ??= (() => {
      // validateSchema: false — the schema is the compiler's (lower.ts inputSchema, from a
      // closed set of types), not a user's: checking it against the 2020-12 meta-schema first
      // would compile that meta-schema (~80 ms, the most of a first run's start) to prove what
      // the compiler already guarantees. Ajv still rejects an unknown type when it compiles.
      const instance = new Ajv2020({
        allErrors: true,
        useDefaults: true,
        strict: false,
        validateSchema: false,
      });
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
  throw new InputError(workflow, problemsOf(validate.errors ?? [], schema, data));
}
