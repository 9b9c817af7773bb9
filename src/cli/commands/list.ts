// aegis list: the runs of the store, one line each.
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { jsonSafe, textTable } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";
import { common, describeStatus, storeOf } from "../run-store.ts";

export async function listCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("list", {
    args,
    allowPositionals: true,
    options: { ...common, ...serverOption, ...listFilters },
  });
  if (positionals.length > 0) throw new UsageError("list takes no arguments");
  const status = statusFilter(values.status);
  const remote = remoteOf(values, "list");
  if (remote) {
    const { refuseLocal, remoteList } = await import("../remote-runs.ts");
    refuseLocal(values, "list", remote);
    return remoteList(remote, values, io);
  }
  const { store } = storeOf(values);
  // Read only: a due gate timeout is shown as due, and taken by `aegis resume --due`.
  const runs = (await store.list()).filter(
    (r) =>
      (values.workflow === undefined || r.workflow === values.workflow) &&
      (status === undefined || r.status === status),
  );
  if (values.json) {
    io.stdout(`${jsonSafe(runs, 2)}\n`);
    return 0;
  }
  if (runs.length === 0) {
    const filtered = values.workflow !== undefined || status !== undefined;
    io.stdout(`no runs${filtered ? " of that kind" : ""} in ${store.location}\n`);
    return 0;
  }
  io.stdout(runTable(runs.map((r) => [r.id, r.workflow, describeStatus(r), r.updatedAt])));
  return 0;
}

/** --workflow and --status, for the local store and a server alike. */
const listFilters = { workflow: { type: "string" }, status: { type: "string" } } as const;

const statuses = ["queued", "running", "waiting", "succeeded", "failed", "cancelled"];

/** --status, checked. */
export function statusFilter(status: string | undefined): string | undefined {
  if (status !== undefined && !statuses.includes(status))
    throw new UsageError(`unknown status '${status}' (${statuses.join(", ")})`, "list");
  return status;
}

/** The runs' lines: RUN, WORKFLOW, STATUS, UPDATED. */
export function runTable(rows: string[][]): string {
  return textTable(["RUN", "WORKFLOW", "STATUS", "UPDATED"], rows);
}
