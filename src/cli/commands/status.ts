// aegis status RUN: where a run is, what it has done, and what it costs.
import type { RunMeta } from "../../runtime/store/types.ts";
import type { RunRecord } from "../../runtime/types.ts";
import { parseCommandArgs } from "../args.ts";
import { type Io, useColor } from "../io.ts";
import { cancelledText, formatElapsed, jsonSafe, outcomeText, terminalSafe } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";
import { common, oneRun, storeOf } from "../run-store.ts";

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("status", {
    args,
    allowPositionals: true,
    options: { ...common, ...serverOption },
  });
  const id = oneRun(positionals, "status");
  const remote = remoteOf(values, "status");
  if (remote) {
    const { refuseLocal, remoteStatus } = await import("../remote-runs.ts");
    refuseLocal(values, "status", remote);
    return remoteStatus(remote, id, values, io);
  }
  const { store, hint } = storeOf(values);
  const loaded = await store.load(id);
  const owner = await store.owner(id);
  if (values.json) {
    io.stdout(`${jsonSafe({ ...loaded.record, ...(owner && { owner }) }, 2)}\n`);
    return 0;
  }
  io.stdout(
    statusText(loaded, values, io, {
      ...(owner && { driver: `process ${owner.pid}` }),
      due: (at) =>
        `its timeout is due since ${at}: aegis resume --due${hint ? ` --store ${hint}` : ""} takes it`,
      ...(hint && { args: ` --store ${hint}` }),
    }),
  );
  return 0;
}

/** How a status reads where the run is kept (a local store, or a server). */
export interface StatusWhere {
  /** Who drives the run now ("process 123", "the server"), if anyone does. */
  driver?: string;
  /** The server has the run queued: nothing has driven it yet. */
  queued?: boolean;
  /** What is said of a gate timeout that is due. */
  due: (at: string) => string;
  /** What the suggested commands need after the run id (" --store DIR"). */
  args?: string;
}

/** `aegis status`'s text for a run (local or on a server). */
export function statusText(
  loaded: {
    record: RunRecord;
    meta: RunMeta;
    recovery?: { rebuilt?: string | undefined; truncatedLine?: number | undefined } | undefined;
  },
  values: { color?: boolean; "no-color"?: boolean },
  io: Io,
  how: StatusWhere,
): string {
  const record = loaded.record;
  const color = useColor(values, io);
  const now = Date.now();
  const ago = (iso: string) => `${iso} (${formatElapsed(now - Date.parse(iso))} ago)`;
  const lines = [`run ${record.id} (${record.workflow})`];
  let status: string = record.status;
  if (record.status === "waiting" && record.waiting) {
    status = `waiting for a human at ${record.waiting.state} since ${record.waiting.since}`;
    if (record.waiting.timeoutAt) {
      status +=
        Date.parse(record.waiting.timeoutAt) <= now
          ? ` (${how.due(record.waiting.timeoutAt)})`
          : ` (times out at ${record.waiting.timeoutAt})`;
    }
  } else if (how.queued) {
    status = "queued (the server starts it when it has a free slot)";
  } else if (record.status === "running") {
    status = how.driver
      ? `running ${record.current ?? ""} (${how.driver} drives it)`
      : `interrupted at ${record.current ?? "?"}: continue it with aegis resume ${record.id}${how.args ?? ""}`;
  } else if (record.status === "cancelled") status = cancelledText(record.error?.message);
  else if (record.error) status += `: ${record.error.message} [${record.error.code}]`;
  lines.push(`  status    ${status}`);
  lines.push(`  started   ${ago(record.startedAt)}`);
  lines.push(`  updated   ${ago(record.updatedAt)}`);
  lines.push(`  inputs    ${JSON.stringify(record.inputs)}`);
  if (record.intent !== undefined) lines.push(`  intent    ${JSON.stringify(record.intent)}`);
  lines.push(
    `  usage     ${record.transitions} transitions, ${record.agentCalls} agent calls${record.costUsd > 0 ? `, $${record.costUsd.toFixed(4)}` : ""}`,
  );
  if (loaded.meta.parent) {
    lines.push(`  parent    run ${loaded.meta.parent.run}, state ${loaded.meta.parent.state}`);
  }
  // The id its agent knows the conversation by: `claude --resume ID` opens it, for one.
  for (const [name, session] of Object.entries(record.sessions ?? {})) {
    const turns = `${session.turns} turn${session.turns === 1 ? "" : "s"}`;
    const id = session.providerId ?? session.id;
    const unsettled = session.unsettled ? "; the last call's answer was not recorded" : "";
    lines.push(`  session   ${name}: agent ${session.agent}, ${turns}, id ${id}${unsettled}`);
  }
  if (loaded.recovery?.rebuilt)
    lines.push(`  note      record rebuilt from the journal (${loaded.recovery.rebuilt})`);
  if (loaded.recovery?.truncatedLine) {
    lines.push(
      `  note      the journal's line ${loaded.recovery.truncatedLine} was cut short by a crash and is ignored`,
    );
  }
  lines.push("", "  STATE            STATUS       TIME");
  for (const row of stateRows(record, !!how.driver)) {
    lines.push(`  ${row.state.padEnd(16)} ${row.status.padEnd(12)} ${row.time}`);
  }
  let text = `${terminalSafe(lines.join("\n"))}\n\n`;
  if (record.status !== "running" && !how.queued)
    text += outcomeText(record, { color, ...(how.args && { args: how.args }) });
  return text;
}

function stateRows(
  record: RunRecord,
  driven: boolean,
): { state: string; status: string; time: string }[] {
  const rows: { state: string; status: string; time: string; at: string }[] = [];
  for (const h of record.history) {
    if (h.status === "entered") {
      rows.push({ state: h.state, status: "entered", time: "", at: h.at });
      continue;
    }
    const row = [...rows].reverse().find((r) => r.state === h.state);
    if (!row || h.to !== undefined) continue;
    row.status = h.status;
    if (h.status !== "waiting") row.time = formatElapsed(Date.parse(h.at) - Date.parse(row.at));
  }
  // A gate's last answer: approved or rejected, and by whom.
  for (const [state, result] of Object.entries(record.results)) {
    if (result.approver === undefined && result.response === undefined) continue;
    const row = rows.findLast((r) => r.state === state);
    if (row?.status !== "succeeded") continue;
    if (result.approved || result.rejected) row.status = result.approved ? "approved" : "rejected";
    if (result.approver !== undefined) row.time += `  by ${result.approver}`;
  }
  // Where a cancelled run was (running, or waiting for a human) is where it was cancelled.
  if (record.status === "cancelled") {
    const last = rows.findLast((r) => r.state === record.current);
    if (last && (last.status === "entered" || last.status === "waiting")) {
      last.status = "cancelled";
      last.time = formatElapsed(Date.parse(record.updatedAt) - Date.parse(last.at));
    }
  }
  for (const row of rows) {
    if (row.status !== "entered") continue;
    const final = record.current === row.state && record.status !== "running";
    row.status = final
      ? "final"
      : driven
        ? "running"
        : record.status === "running"
          ? "interrupted"
          : "entered";
  }
  return rows.map(({ at: _at, ...row }) => row);
}
