// `containers`: several containers side by side (AEGIS ParallelContainerRun), each run as
// a `container` state's is (the state's options and resources apply to all). `results`
// holds each one's {stdout, stderr, exit_code, success} by name; `exit_code` is the worst
// (the highest non-zero code, else 0); `stdout` (and so `output`) is every container's
// stdout under a `==> NAME <==` header; `succeeded` and `failed` count them. The state
// succeeds when every container exits 0.
import type { Attempt, Outcome } from "./attempt.ts";
import { runContainer, unavailableOutcome } from "./container.ts";

export async function executeContainers(a: Attempt): Promise<Outcome> {
  const steps = a.state.containers ?? [];
  if (steps.length === 0)
    return {
      status: "failed",
      error: { code: "no-containers", message: `state '${a.state.name}' has no containers` },
    };
  const finished = a.fanOut(steps.length, steps.length === 1 ? "container" : "containers");
  const runs = await Promise.all(
    steps.map(async (step) => {
      const run = await runContainer(
        a,
        {
          image: step.image,
          ...(step.command && { command: step.command }),
          ...(step.env && { env: step.env }),
          ...(step.workdir && { workdir: step.workdir }),
          ...(step.volumes && { volumes: step.volumes }),
        },
        step.name,
      );
      const r = run.result;
      finished(r?.status === "exited" && r.exitCode === 0);
      return run;
    }),
  );
  const unavailable = runs.find((r) => r.unavailable);
  if (unavailable?.unavailable) return unavailableOutcome(unavailable.unavailable);
  if (a.signal.aborted) return a.interrupted();

  const results: Record<
    string,
    { stdout: string; stderr: string; exit_code: number; success: boolean }
  > = {};
  let worst = 0;
  let succeeded = 0;
  let timedOut = false;
  steps.forEach((step, i) => {
    const result = runs[i]!.result!;
    const exit =
      result.status === "exited"
        ? (result.exitCode ?? 1)
        : result.status === "spawn_failed"
          ? 127
          : 124;
    if (result.status === "timed_out") timedOut = true;
    const success = result.status === "exited" && exit === 0;
    if (success) succeeded += 1;
    if (exit !== 0) worst = Math.max(worst, exit);
    results[step.name] = { stdout: result.stdout, stderr: result.stderr, exit_code: exit, success };
  });
  const stdout = steps.map((s) => `==> ${s.name} <==\n${results[s.name]!.stdout}`).join("\n");
  const stderr = steps
    .filter((s) => results[s.name]!.stderr)
    .map((s) => `==> ${s.name} <==\n${results[s.name]!.stderr}`)
    .join("\n");
  const failed = steps.length - succeeded;
  const fields: Outcome = {
    status: "succeeded",
    output: stdout,
    stdout,
    stderr,
    exit_code: worst,
    results,
    succeeded,
    failed,
  };
  if (failed === 0) return fields;
  const names = steps
    .filter((s) => !results[s.name]!.success)
    .map((s) => `${s.name} (exit ${results[s.name]!.exit_code})`);
  return {
    ...fields,
    status: timedOut ? "timed_out" : "failed",
    error: {
      code: timedOut ? "timeout" : "exit-code",
      message: `${failed} of ${steps.length} containers failed: ${names.join(", ")}`,
    },
  };
}
