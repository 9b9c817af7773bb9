// Timers for durations longer than Node's own can hold. setTimeout takes at most
// 2^31-1 ms (about 24.8 days) and fires after 1 ms when given more: a `timeout 30d` would
// end its state at once. Long delays are waited for in steps.
const MAX_DELAY = 2 ** 31 - 1;

/** Calls `callback` after `ms`. Returns the function that cancels it. */
export function startTimer(ms: number, callback: () => void): () => void {
  let timer: NodeJS.Timeout;
  const due = Date.now() + ms;
  const arm = (wait: number) => {
    timer = setTimeout(
      () => {
        const left = due - Date.now();
        if (left > 0) arm(left);
        else callback();
      },
      Math.max(0, Math.min(wait, MAX_DELAY)),
    );
  };
  arm(ms);
  return () => clearTimeout(timer);
}
