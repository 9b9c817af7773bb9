// What a value must be to have a declared input type: one wording for every place that
// checks a value against an input's type (defaults in lowering, subworkflow inputs).
import type { InputType } from "./graph.ts";

/** What `value` must be to have `type` ("a string", "one of …"), or undefined when it has it. */
export function expected(type: InputType, value: unknown): string | undefined {
  switch (type.type) {
    case "any":
      return undefined;
    case "string":
      return typeof value === "string" ? undefined : "a string";
    case "number":
      return typeof value === "number" ? undefined : "a number";
    case "integer":
      return Number.isInteger(value) ? undefined : "a whole number";
    case "boolean":
      return typeof value === "boolean" ? undefined : "true or false";
    case "object":
      return value && typeof value === "object" && !Array.isArray(value) ? undefined : "an object";
    case "list": {
      if (!Array.isArray(value)) return "a list";
      const bad = value.findIndex((item) => expected(type.items, item));
      return bad < 0 ? undefined : `a list whose items are ${expected(type.items, value[bad])}`;
    }
    case "enum":
      return type.values.includes(value as string | number)
        ? undefined
        : `one of ${type.values.map((v) => JSON.stringify(v)).join(", ")}`;
  }
}
