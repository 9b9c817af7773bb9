// Option values that are not written in workflow files: `env("NAME")` and `secret("NAME")`
// compile to {"$env": NAME} and {"$secret": NAME}; both are read from the environment of
// the runner when the agent is called.

/** The value an option stands for; objects and lists are resolved all the way down. */
export function resolveValue(value: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, env));
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (
      keys.length === 1 &&
      (keys[0] === "$env" || keys[0] === "$secret") &&
      typeof o[keys[0]] === "string"
    ) {
      return env[o[keys[0]] as string];
    }
    return Object.fromEntries(keys.map((k) => [k, resolveValue(o[k], env)]));
  }
  return value;
}

/** An option as text (undefined when absent or unset in the environment). */
export function stringOption(value: unknown): string | undefined {
  const resolved = resolveValue(value);
  if (resolved === undefined || resolved === null) return undefined;
  return typeof resolved === "string" ? resolved : String(resolved);
}

/** An option that is a map of names to text (env, headers). */
export function stringMap(value: unknown): Record<string, string> {
  const resolved = resolveValue(value);
  const out: Record<string, string> = {};
  if (!resolved || typeof resolved !== "object" || Array.isArray(resolved)) return out;
  for (const [k, v] of Object.entries(resolved)) {
    if (v !== undefined && v !== null) out[k] = typeof v === "string" ? v : JSON.stringify(v);
  }
  return out;
}

/** An option that is a list of words (extra command-line arguments). */
export function stringList(value: unknown): string[] {
  const resolved = resolveValue(value);
  if (!Array.isArray(resolved)) return [];
  return resolved
    .filter((v) => v !== undefined && v !== null)
    .map((v) => (typeof v === "string" ? v : String(v)));
}
