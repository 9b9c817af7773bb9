// aegis list: the runs of the store, one line each.
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { jsonSafe, terminalSafe } from "../progress.ts";
import { common, describeStatus, storeOf } from "../run-store.ts";

export async function listCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("list", {
    args,
    allowPositionals: true,
    options: common,
  });
  if (positionals.length > 0) throw new UsageError("list takes no arguments");
  const { store } = storeOf(values);
  // Read only: a due gate timeout is shown as due, and taken by `aegis resume --due`.
  const runs = await store.list();
  if (values.json) {
    io.stdout(`${jsonSafe(runs, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    io.stdout(`no runs in ${store.location}\n`);
    return 0;
  }
  const rows = runs.map((r) => [r.id, r.workflow, describeStatus(r), r.updatedAt]);
  const header = ["RUN", "WORKFLOW", "STATUS", "UPDATED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  io.stdout(`${terminalSafe([line(header), ...rows.map(line)].join("\n"))}\n`);
  return 0;
}
