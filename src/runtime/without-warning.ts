// Runs something with one of Node's process warnings left out (the others still print):
// warnings that say a feature aegis relies on is experimental, where the user can do
// nothing about them (node:sqlite on Node 22.13–24.14, import() from a vm script).

/** Runs `fn` (to the end of its promise, if it returns one) without warnings `unwanted` matches. */
export function withoutWarning<T>(unwanted: (text: string) => boolean, fn: () => T): T {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning?.message;
    if (typeof text === "string" && unwanted(text)) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  const restore = () => {
    process.emitWarning = emit;
  };
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
