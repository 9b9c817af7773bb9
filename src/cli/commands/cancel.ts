// aegis cancel RUN: stops a run where it is, for good.
import { type RunRecord, RuntimeError } from "../../runtime/types.ts";
import { parseCommandArgs } from "../args.ts";
import type { Io } from "../io.ts";
import { cancelledText, terminalSafe } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";
import { common, oneRun, storeOf, userName } from "../run-store.ts";

export async function cancelCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("cancel", {
    args,
    allowPositionals: true,
    options: { ...common, ...serverOption, reason: { type: "string" } },
  });
  const id = oneRun(positionals, "cancel");
  const record = await cancelled(id, values);
  if (record.status !== "cancelled") {
    // It ended otherwise while the request was on its way to the process driving it.
    throw new RuntimeError(
      "not-cancellable",
      `run '${id}' ${record.status === "waiting" ? "waits for a human" : `has ${record.status}`}; it was not cancelled`,
    );
  }
  if (values.json) io.stdout(`${JSON.stringify(record, null, 2)}\n`);
  else {
    const where = record.current ? ` (it was at ${record.current})` : "";
    io.stdout(`${terminalSafe(`run ${id} ${cancelledText(record.error?.message)}${where}`)}\n`);
  }
  return 0;
}

/** Cancels the run here, or on the server (which says who cancelled it, unless --reason does). */
async function cancelled(
  id: string,
  values: { store?: string; server?: string; reason?: string },
): Promise<RunRecord> {
  const remote = remoteOf(values, "cancel");
  if (remote) {
    const { refuseLocal, remoteCancel } = await import("../remote-runs.ts");
    refuseLocal(values, "cancel", remote);
    return remoteCancel(remote, id, values.reason);
  }
  const { store } = storeOf(values);
  const { createEngine } = await import("../../runtime/engine.ts");
  const engine = createEngine({ store });
  return engine.cancel(id, values.reason ?? `cancelled by ${userName() ?? "a user"}`);
}
