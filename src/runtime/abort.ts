// Cheap abort callbacks. An AbortSignal listener costs microseconds to add and remove, and
// a run takes several per state (the engine, the attempt, each agent call): each signal
// gets one real listener, and callbacks are kept in a set behind it.
const callbacks = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `callback` once when `signal` aborts (at once if it has). Returns a remover. */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return noop;
  }
  let set = callbacks.get(signal);
  if (!set) {
    const own = new Set<() => void>();
    set = own;
    callbacks.set(signal, own);
    signal.addEventListener(
      "abort",
      () => {
        const pending = [...own];
        own.clear();
        for (const f of pending) f();
      },
      { once: true },
    );
  }
  set.add(callback);
  return () => set.delete(callback);
}

function noop(): void {}

/** `work`'s value, or "interrupted" as soon as `signal` aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | "interrupted"> {
  return new Promise((resolve, reject) => {
    const off = onAbort(signal, () => resolve("interrupted"));
    work.then(
      (value) => {
        off();
        resolve(value);
      },
      (error: unknown) => {
        off();
        reject(error);
      },
    );
  });
}
