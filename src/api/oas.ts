// Small builders for the OpenAPI document's parts, shared by each area's paths
// (workflows.ts now; runs next). Plain data: the document is a const the server serves
// and validates requests with.
import { PROBLEM_MEDIA_TYPE, type ProblemCode, problemCodes } from "./problem.ts";

/** A reference to a schema of components.schemas. */
export function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

/** A JSON response with a schema. */
export function json(description: string, schema: object): object {
  return { description, content: { "application/json": { schema } } };
}

/** Problem responses, one per status that the codes given are sent with. */
export function problems(...codes: ProblemCode[]): Record<string, object> {
  const byStatus = new Map<number, string[]>();
  for (const code of codes) {
    const { status } = problemCodes[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      {
        description: `Problem: ${list.join(", ")}`,
        content: { [PROBLEM_MEDIA_TYPE]: { schema: ref("Problem") } },
      },
    ]),
  );
}

/** A path parameter (a string). */
export function pathParameter(name: string, description: string): object {
  return { name, in: "path", required: true, description, schema: { type: "string" } };
}

/** The problems any authenticated request may meet. */
export const common: ProblemCode[] = ["unauthorized", "forbidden-host", "internal"];
/** …and any request with a JSON body. */
export const withBody: ProblemCode[] = [
  ...common,
  "malformed-json",
  "invalid-request",
  "body-too-large",
  "unsupported-media-type",
];
