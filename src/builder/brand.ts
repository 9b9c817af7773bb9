// What marks a workflow built with `workflow(…)`: a symbol of the global registry, so that
// a host loading a module tells a built workflow from anything else even when the module
// imported another copy of this library (a project's own, the Action's dist/builder.js).
export const workflowBrand = Symbol.for("aegis-workflows.workflow");

export function hasWorkflowBrand(value: unknown): boolean {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<symbol, unknown>)[workflowBrand] === true
  );
}
