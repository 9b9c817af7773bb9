// What the run commands share: the store of runs (.aegis/runs, or --store), the options
// every run command takes, and how a run's status reads in a list. Light: no engine.
import { userInfo } from "node:os";
import { FileStore } from "../runtime/store/file.ts";
import type { RunSummary } from "../runtime/store/types.ts";
import { UsageError } from "./errors.ts";
import { DEFAULT_STORE } from "./usage.ts";

export const common = {
  store: { type: "string" },
  json: { type: "boolean", default: false },
  color: { type: "boolean" },
  "no-color": { type: "boolean" },
} as const;

export const driving = {
  ...common,
  agents: { type: "string" },
  verbose: { type: "boolean", default: false },
} as const;

export interface Common {
  store?: string;
  json?: boolean;
  color?: boolean;
  "no-color"?: boolean;
}

export function storeOf(values: Common): { store: FileStore; hint?: string } {
  const dir = values.store ?? DEFAULT_STORE;
  return { store: new FileStore(dir), ...(values.store !== undefined && { hint: values.store }) };
}

export function oneRun(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one run id`);
  return positionals[0]!;
}

export function userName(): string | undefined {
  try {
    return process.env.USER ?? userInfo().username;
  } catch {
    return undefined;
  }
}

/** Whether a run waits at a gate whose timeout has passed (nobody drives it). */
export function timeoutDue(r: Pick<RunSummary, "status" | "waiting">, now = Date.now()): boolean {
  const at = r.waiting?.timeoutAt;
  return r.status === "waiting" && at !== undefined && Date.parse(at) <= now;
}

export function describeStatus(r: RunSummary): string {
  if (r.problem) return `unreadable: ${r.problem.code}`;
  switch (r.status) {
    case "waiting":
      return `waiting at ${r.waiting?.state ?? r.current ?? "?"}${timeoutDue(r) ? ` (timeout due since ${r.waiting?.timeoutAt})` : ""}`;
    case "running":
      return r.owner ? `running ${r.current ?? ""}`.trim() : `interrupted at ${r.current ?? "?"}`;
    case "failed":
      return `failed${r.error?.state ? ` at ${r.error.state}` : ""}`;
    default:
      return r.status;
  }
}
