// A tool's arguments schema: the JSON Schema the client is shown (tools/list), checked by
// the SDK's own validator (fromJsonSchema) — but a refusal is handed to the tool as an
// InvalidArguments value rather than said by the SDK, so that the client gets the same
// isError result with a code (invalid-request, as the HTTP API says it) as every other
// refusal.
import {
  fromJsonSchema,
  type JsonSchemaType,
  type StandardSchemaWithJSON,
} from "@modelcontextprotocol/server";

/** Arguments that do not match the tool's schema: the first reasons, `path: message`. */
export class InvalidArguments {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

export function argumentsSchema<T>(json: object): StandardSchemaWithJSON<T, T> {
  const checked = fromJsonSchema<T>(json as JsonSchemaType);
  const standard = checked["~standard"];
  return {
    "~standard": {
      ...standard,
      validate: async (value: unknown) => {
        const result = await standard.validate(value);
        if (!result.issues) return result;
        const reasons = result.issues.slice(0, 5).map((issue) => {
          const path = (issue.path ?? [])
            .map((p) => String(typeof p === "object" ? p.key : p))
            .join("/");
          return path ? `/${path}: ${issue.message}` : issue.message;
        });
        return { value: new InvalidArguments(reasons.join("; ")) as T };
      },
    },
  };
}
