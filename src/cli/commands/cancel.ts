// aegis cancel RUN: stops a run where it is, for good.
import { createEngine } from "../../runtime/engine.ts";
import { parseCommandArgs } from "../args.ts";
import type { Io } from "../io.ts";
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
  if (values.json) io.stdout(`${JSON.stringify(record, null, 2)}\n`);
  else io.stdout(`cancelled run ${id}${record.current ? ` (it was at ${record.current})` : ""}\n`);
  return 0;
}
