// aegis cancel RUN: stops a run where it is, for good.
import { createEngine } from "../../runtime/engine.ts";
import { RuntimeError } from "../../runtime/types.ts";
import { parseCommandArgs } from "../args.ts";
import type { Io } from "../io.ts";
import { cancelledText, terminalSafe } from "../progress.ts";
import { common, oneRun, storeOf, userName } from "../run-store.ts";

export async function cancelCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("cancel", {
    args,
    allowPositionals: true,
    options: { ...common, reason: { type: "string" } },
  });
  const id = oneRun(positionals, "cancel");
  const { store } = storeOf(values);
  const engine = createEngine({ store });
  const record = await engine.cancel(id, values.reason ?? `cancelled by ${userName() ?? "a user"}`);
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
