// A deep copy of run data. Records, events and results are JSON-like (the file store keeps
// them as JSON): plain objects and arrays are copied directly, three to five times faster
// than structuredClone; anything else (a Date an embedding program's function returned …)
// goes through structuredClone.
export function copyValue<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyValue(value[i]);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = proto === null ? Object.create(null) : {};
  for (const key of Object.keys(value)) {
    const v = copyValue((value as Record<string, unknown>)[key]);
    // An own "__proto__" key (JSON.parse makes one) must stay a key, not become a prototype.
    if (key === "__proto__")
      Object.defineProperty(out, key, {
        value: v,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[key] = v;
  }
  return out as T;
}
