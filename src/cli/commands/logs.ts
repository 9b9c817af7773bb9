// aegis logs RUN: what a run did, from its log; --follow while it runs.
import { followLog } from "../../runtime/events.ts";
import type { RunObservation } from "../../runtime/types.ts";
import { parseCommandArgs } from "../args.ts";
import type { Io } from "../io.ts";
import { logPrinter } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";
import { common, oneRun, storeOf } from "../run-store.ts";

export async function logsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("logs", {
    args,
    allowPositionals: true,
    options: {
      ...common,
      ...serverOption,
      follow: { type: "boolean", short: "f", default: false },
    },
  });
  const id = oneRun(positionals, "logs");
  const remote = remoteOf(values, "logs");
  if (remote) {
    const { refuseLocal, remoteLogs } = await import("../remote-runs.ts");
    refuseLocal(values, "logs", remote);
    return remoteLogs(remote, id, values, io);
  }
  const { store } = storeOf(values);
  const printer = logPrinter(id, values.json, io.stdout);
  if (!values.follow) {
    for (const o of await store.readLog(id)) printer.observe(o);
    return 0;
  }
  await store.load(id); // a clear error for an unknown or damaged run
  const ended = async (seen: RunObservation[]) => {
    if (seen.some((o) => o.type === "run-finished" && o.run === id)) return true;
    const { record } = await store.load(id);
    return record.status !== "running" && record.status !== "waiting" && !(await store.owner(id));
  };
  for await (const o of followLog(store, id, { until: ended, intervalMs: 200 })) printer.observe(o);
  return 0;
}
