// Pieces the views share: status badges, who started a run, version labels.
import type { RunSummary } from "../api.ts";
import { h } from "../dom.ts";

const RUN_STATUS_TEXT: Record<string, string> = {
  queued: "◌ queued",
  running: "▶ running",
  waiting: "‖ waiting",
  succeeded: "✓ succeeded",
  failed: "✗ failed",
  cancelled: "■ cancelled",
};

export const RUN_STATUSES = ["queued", "running", "waiting", "succeeded", "failed", "cancelled"];

/** A run's status as a badge: a symbol and a word, coloured. */
export function statusBadge(status: string, testid = "status"): HTMLSpanElement {
  return h(
    "span",
    { class: `badge status-${status}`, "data-testid": testid, "data-status": status },
    RUN_STATUS_TEXT[status] ?? status,
  );
}

/** Who (or what) started a run. */
export function callerText(caller: RunSummary["caller"] | undefined): string {
  if (!caller) return "—";
  const who = caller.user ?? caller.client ?? caller.session;
  return who ? `${who} (${caller.via})` : caller.via;
}
