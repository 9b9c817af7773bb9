// Request bodies checked against the OpenAPI document's own schemas (components.schemas),
// compiled once each with Ajv (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
import type { ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openapi, type SchemaName } from "../api/openapi.ts";
import type { ProblemError } from "../api/problem.ts";

const DOCUMENT_ID = "aegis:openapi";
let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let validate = compiled.get(name);
  if (validate) return validate;
  if (!ajv) {
    // strict: false: the document holds OpenAPI keywords (paths, info …) beside the schemas.
    ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
    ajv.addSchema({ ...openapi, $id: DOCUMENT_ID });
  }
  validate = ajv.compile({ $ref: `${DOCUMENT_ID}#/components/schemas/${name}` });
  compiled.set(name, validate);
  return validate;
}

/** What is wrong with `value` as a `name` (empty when it is one), at most `max` reasons. */
export function validationErrors(name: SchemaName, value: unknown, max = 20): ProblemError[] {
  const validate = validator(name);
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, max).map((e) => ({
    pointer: e.instancePath || "/",
    message: e.message ?? "is not valid",
  }));
}
