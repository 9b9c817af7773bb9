// Waiting for something that another process will make true: asked again until it gives a
// value, within a generous deadline that says nothing of how fast the machine is (a process
// to start, a cluster to elect a leader). An attempt that throws is asked again; the last
// error is in the message if the deadline passes.
export async function eventually<T>(
  what: string,
  attempt: () => Promise<T | undefined> | T | undefined,
  options: { deadlineMs?: number; everyMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? 120_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within the deadline${last ? ` (${(last as Error).message})` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 100));
  }
}
