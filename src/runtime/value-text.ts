// How a value reads as text, wherever the runtime needs text of it: templates (render.ts)
// and the text functions and operators of conditions (evaluate.ts) — never "[object Object]".

/**
 * A value as a template writes it: text as it is, nothing for null and undefined, lists and
 * objects as JSON (an agent's JSON answer, the whole `input`, a foreach's `results`), and
 * text with fields (a process's output, scope.ts) as its text.
 */
export function valueText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined || value === null) return "";
  if (typeof value !== "object") return String(value);
  const own = (value as { toString?: unknown }).toString;
  const hasText =
    !Array.isArray(value) && typeof own === "function" && own !== Object.prototype.toString;
  return hasText ? String(value) : JSON.stringify(value);
}
