// Progress of a run on the command line. Three forms:
//   - a terminal: one line per state; finished ones are printed once, the running ones
//     (state, elapsed time, its latest output, what waits for whom) are redrawn in place;
//   - plain lines when the output is not a terminal (CI logs, pipes);
//   - JSON lines of the observations (--json), for machines.
import type { RunObservation, RunRecord } from "../runtime/types.ts";

export type ProgressMode = "tty" | "plain" | "json";

export interface ProgressOptions {
  mode: ProgressMode;
  write: (text: string) => void;
  /** The run shown (a subworkflow's observations are shown under its parent's state). */
  run: string;
  color?: boolean;
  /** Plain mode: print the states' output too. */
  verbose?: boolean;
  /** Plain mode: begin each line with the time it happened (`aegis logs`). */
  timestamps?: boolean;
  columns?: () => number;
  now?: () => number;
}

/**
 * Text from a run (agents' and commands' output, error messages, prompts) made safe for a
 * terminal: control characters but newline and tab — escape sequences that recolour, move
 * the cursor, rewrite earlier lines, set the window title or write to the clipboard — and
 * bidirectional overrides are printed as visible escapes ("\x1b", "\u202e"). A CR before
 * a newline (CRLF output) is dropped.
 */
export function terminalSafe(text: string): string {
  return text.replace(unsafeForTerminal, (c, at: number) => {
    if (c === "\r" && text[at + 1] === "\n") return "";
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`;
  });
}

/** JSON text with the characters JSON leaves raw but terminals act on (C1, bidi) escaped. */
export function jsonSafe(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    /[\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const unsafeForTerminal = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g;

const spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.floor(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(s / 3600);
  if (h < 48) return `${h}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${h % 24}h`;
}

interface Row {
  label: string;
  visit: number;
  started: number;
  status:
    | "running"
    | "waiting"
    | "retrying"
    | "final"
    | "succeeded"
    | "failed"
    | "timed_out"
    | "skipped";
  duration?: number;
  note?: string;
  next?: string;
  /** A fan-out's count: "2/4 judges". */
  count?: string;
}

export class Progress {
  private readonly o: ProgressOptions;
  private readonly live = new Map<string, Row>();
  /** A finished row, printed when what follows it (its transition) is known. */
  private pending: Row | undefined;
  private drawn = 0;
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly startedAt: number;
  /** Gates answered whose completion is yet to come: what the answer was, by label. */
  private readonly answers = new Map<string, string>();

  constructor(options: ProgressOptions) {
    this.o = options;
    this.startedAt = this.now();
    if (options.mode === "tty") {
      this.timer = setInterval(() => this.redraw(), 120);
      this.timer.unref?.();
    }
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private paint(code: string, text: string): string {
    return this.o.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }

  /** Where an observation belongs: the run's own states, or a child's under its parent state. */
  private label(o: { run: string; state: string }): string | undefined {
    if (o.run === this.o.run) return o.state;
    if (o.run.startsWith(`${this.o.run}.`)) {
      const parent = o.run.slice(this.o.run.length + 1).split(".")[0];
      return `${parent} › ${o.state}`;
    }
    return undefined;
  }

  observe(o: RunObservation): void {
    if (this.o.mode === "json") {
      this.o.write(`${jsonSafe(o)}\n`);
      return;
    }
    if (this.o.mode === "plain") {
      const line = this.plainLine(o);
      if (line === undefined) return;
      const stamp = this.o.timestamps ? `${terminalSafe(o.at)}  ` : "";
      this.o.write(`${stamp ? line.replace(/^/gm, stamp) : line}\n`);
      return;
    }
    this.ttyObserve(o);
  }

  /** One observation as a plain line (also what `aegis logs` prints), safe for a terminal. */
  plainLine(o: RunObservation): string | undefined {
    const line = this.rawLine(o);
    return line === undefined ? undefined : terminalSafe(line);
  }

  private rawLine(o: RunObservation): string | undefined {
    const main = o.run === this.o.run;
    switch (o.type) {
      case "run-started":
        return main
          ? `run ${o.run} (${o.workflow}) started`
          : `  subworkflow run ${o.run} (${o.workflow}) started`;
      case "state-entered": {
        const label = this.label(o) ?? `${o.run}/${o.state}`;
        return `${label} started${o.visit > 1 ? ` (visit ${o.visit})` : ""}`;
      }
      case "state-output": {
        if (!this.o.verbose) return undefined;
        const label = this.label(o) ?? o.state;
        const text = o.text.replace(/\n$/, "");
        return text
          .split("\n")
          .map((l) => `  ${label} │ ${l}`)
          .join("\n");
      }
      case "state-completed": {
        const label = this.label(o) ?? o.state;
        // A gate's answer said it all (who, when, what).
        if (this.answers.delete(label) && o.status === "succeeded") return undefined;
        return `${label} ${o.status.replace("_", " ")} in ${formatElapsed(o.duration)}${o.error ? `: ${o.error.message} [${o.error.code}]` : ""}`;
      }
      case "human-answered": {
        const label = this.label(o) ?? o.state;
        this.answers.set(label, answerText(o));
        return `${label} ${answerText(o)} at ${o.at} (after ${formatElapsed(o.waited)})${o.feedback ? `: ${o.feedback}` : ""}`;
      }
      case "state-progress": {
        // At most about ten lines for a fan-out, however many calls it makes.
        const every = Math.max(1, Math.ceil(o.total / 10));
        if (o.done === 0 || (o.done !== o.total && o.done % every !== 0)) return undefined;
        return `${this.label(o) ?? o.state} ${fanOutCount(o)}`;
      }
      case "retry":
        return `${this.label(o) ?? o.state} failed (${o.error}); attempt ${o.attempt} in ${formatElapsed(o.delayMs)}`;
      case "specialist-failed":
        return `${this.label(o) ?? o.state}: specialist ${o.agent} failed at step ${o.step}: ${o.error.message} [${o.error.code}]; the router decides what follows`;
      case "transition":
        return `  → ${o.to}${o.label ? ` (${o.label})` : ""}`;
      case "waiting-for-human":
        return `${this.label(o) ?? o.state} waits for a human${o.timeoutAt ? ` (until ${o.timeoutAt})` : ""}`;
      case "run-finished":
        if (!main) return `  subworkflow run ${o.run} ${o.status}`;
        if (o.status === "cancelled") return `run ${o.run} ${cancelledText(o.error?.message)}`;
        return `run ${o.run} ${o.status}${o.error ? `: ${o.error.message}` : ""}`;
    }
  }

  // ---------------------------------------------------------------- terminal

  private ttyObserve(o: RunObservation): void {
    if (
      o.type === "transition" &&
      this.pending &&
      this.label({ run: o.run, state: o.from }) === this.pending.label
    ) {
      this.pending.next = o.to;
      this.flushPending();
      this.redraw();
      return;
    }
    this.flushPending();
    switch (o.type) {
      case "run-started":
        if (o.run === this.o.run)
          this.print(`${this.paint("1", `▶ run ${o.run}`)} ${this.paint("2", `(${o.workflow})`)}`);
        break;
      case "state-entered": {
        const label = this.label(o);
        if (label)
          this.live.set(label, { label, visit: o.visit, started: this.now(), status: "running" });
        break;
      }
      case "state-output": {
        const row = this.live.get(this.label(o) ?? "");
        const last = o.text
          .split("\n")
          .filter((l) => l.trim())
          .pop();
        if (row && last) row.note = terminalSafe(last.trim());
        break;
      }
      case "retry": {
        const row = this.live.get(this.label(o) ?? "");
        if (row) {
          row.status = "retrying";
          row.note = terminalSafe(
            `attempt ${o.attempt} in ${formatElapsed(o.delayMs)}: ${o.error}`,
          );
          row.started = this.now();
        }
        break;
      }
      case "specialist-failed": {
        const row = this.live.get(this.label(o) ?? "");
        if (row) row.note = terminalSafe(`${o.agent} failed: ${o.error.message}`);
        break;
      }
      case "state-progress": {
        const row = this.live.get(this.label(o) ?? "");
        if (row) row.count = fanOutCount(o);
        break;
      }
      case "human-answered":
        this.answers.set(this.label(o) ?? "", terminalSafe(answerText(o)));
        break;
      case "waiting-for-human": {
        const row = this.live.get(this.label(o) ?? "");
        if (row) {
          row.status = "waiting";
          row.note = "waits for a human: aegis signal";
        }
        break;
      }
      case "state-completed": {
        const label = this.label(o) ?? "";
        const row = this.live.get(label) ?? {
          label,
          visit: 1,
          started: this.now(),
          status: "running",
        };
        this.live.delete(label);
        row.status = o.status;
        row.duration = o.duration;
        // Why it failed stays on its line (or how its gate was answered); its output so far does not.
        const answer = this.answers.get(label);
        this.answers.delete(label);
        row.note = o.error ? terminalSafe(o.error.message) : answer;
        this.pending = row;
        break;
      }
      case "run-finished":
        if (o.run !== this.o.run) break;
        // The final state the run ended at: entered, never completed.
        for (const [label, row] of this.live) {
          if (label.includes(" › ")) continue;
          this.live.delete(label);
          row.status = "final";
          row.note = o.status;
          this.print(this.rowText(row));
        }
        break;
      case "transition":
        break;
    }
    this.redraw();
  }

  private flushPending(): void {
    const row = this.pending;
    if (!row) return;
    this.pending = undefined;
    this.print(this.rowText(row));
  }

  private rowText(row: Row): string {
    const width = this.o.columns?.() ?? 100;
    const name = row.label.padEnd(14);
    const visit = row.visit > 1 ? this.paint("2", ` #${row.visit}`) : "";
    let mark: string;
    let rest: string;
    switch (row.status) {
      case "running":
        mark = this.paint("36", spinner[this.frame % spinner.length]!);
        rest = `${formatElapsed(this.now() - row.started)}${row.count ? `  ${row.count}` : ""}${row.note ? this.paint("2", `  ${row.note}`) : ""}`;
        break;
      case "retrying":
        mark = this.paint("33", "↻");
        rest = this.paint("33", row.note ?? "");
        break;
      case "waiting":
        mark = this.paint("35", "⏸");
        rest = this.paint("35", "waiting for a human");
        break;
      case "final":
        mark = this.paint(row.note === "succeeded" ? "32" : "31", "●");
        rest = this.paint("2", `final: the run ${row.note ?? "ended"}`);
        break;
      case "succeeded":
        mark = this.paint("32", "✓");
        rest = `${formatElapsed(row.duration ?? 0)}${row.count ? `  ${row.count}` : ""}${row.note ? this.paint("2", `  ${row.note}`) : ""}`;
        break;
      case "skipped":
        mark = this.paint("2", "–");
        rest = `skipped ${formatElapsed(row.duration ?? 0)}`;
        break;
      default:
        mark = this.paint("31", "✗");
        rest = this.paint(
          "31",
          `${String(row.status).replace("_", " ")} ${formatElapsed(row.duration ?? 0)}${row.note ? `: ${row.note}` : ""}`,
        );
    }
    const next = row.next ? this.paint("2", `  → ${row.next}`) : "";
    return truncate(`  ${mark} ${name}${visit} ${rest}${next}`, width, !!this.o.color);
  }

  private print(line: string): void {
    this.erase();
    this.o.write(`${line}\n`);
  }

  private erase(): void {
    if (this.drawn > 0) this.o.write(`\x1b[${this.drawn}A\r\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (this.o.mode !== "tty") return;
    this.frame += 1;
    this.erase();
    const lines = [...this.live.values()].map((row) => this.rowText(row));
    if (lines.length === 0 && !this.timer) return;
    if (lines.length > 0 || this.pending === undefined) {
      const elapsed = this.paint("2", `  ${formatElapsed(this.now() - this.startedAt)} elapsed`);
      if (this.timer) lines.push(elapsed);
    }
    if (lines.length === 0) return;
    this.o.write(`${lines.join("\n")}\n`);
    this.drawn = lines.length;
  }

  /** Stops redrawing and leaves what was printed. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.flushPending();
    this.erase();
    if (this.o.mode === "tty") {
      // What is still live (a gate) stays on screen, once.
      for (const row of this.live.values()) this.o.write(`${this.rowText(row)}\n`);
    }
    this.live.clear();
  }
}

/** Cuts a line to the terminal's width (counting what is visible, not colour codes). */
function truncate(line: string, width: number, color: boolean): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes start with ESC
  const visible = color ? line.replace(/\x1b\[[0-9;]*m/g, "") : line;
  if (visible.length <= width) return line;
  if (!color) return `${line.slice(0, Math.max(0, width - 1))}…`;
  // With colours, cut by visible characters and close any open colour.
  let out = "";
  let count = 0;
  for (let i = 0; i < line.length && count < width - 1; i++) {
    if (line[i] === "\x1b") {
      const end = line.indexOf("m", i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    out += line[i];
    count += 1;
  }
  return `${out}…\x1b[0m`;
}

/** "2/4 judges", "17/100 items (1 failed)". */
function fanOutCount(o: { done: number; total: number; failed: number; unit: string }): string {
  return `${o.done}/${o.total} ${o.unit}${o.failed > 0 ? ` (${o.failed} failed)` : ""}`;
}

/** How a gate was answered: "approved by alice", "rejected", "answered \"blue\" by bob". */
export function answerText(o: Extract<RunObservation, { type: "human-answered" }>): string {
  const verdict = o.approved
    ? "approved"
    : o.rejected
      ? "rejected"
      : `answered ${JSON.stringify(o.response)}`;
  if (o.timedOut) return `${verdict} by its default answer "${o.response}" (it timed out)`;
  return `${verdict}${o.approver ? ` by ${o.approver}` : ""}`;
}

/** A cancelled run's reason, said once: "cancelled: testing", "cancelled by alice". */
export function cancelledText(message: string | undefined): string {
  const reason = (message ?? "").replace(/^cancelled(: |$)/, "").trim();
  if (!reason) return "cancelled";
  return /^cancelled\b/.test(reason) ? reason : `cancelled: ${reason}`;
}

/** How a run ended, for the last lines of `run`, `signal` and `resume`. */
export function outcomeText(
  record: RunRecord,
  options: { store?: string; args?: string; color?: boolean } = {},
): string {
  const paint = (code: string, text: string) =>
    options.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  // What the suggested commands need after the run id: the store, or the server.
  const store = options.args ?? (options.store ? ` --store ${options.store}` : "");
  const took = formatElapsed(Date.parse(record.updatedAt) - Date.parse(record.startedAt));
  const states = Object.values(record.visits ?? {}).reduce((sum, n) => sum + n, 0);
  const stats = `${states} state${states === 1 ? "" : "s"}, ${record.agentCalls} agent call${record.agentCalls === 1 ? "" : "s"}${record.costUsd > 0 ? `, $${record.costUsd.toFixed(4)}` : ""}`;
  switch (record.status) {
    case "succeeded":
      return `${paint("32", `✓ run ${record.id} succeeded`)} in ${took} (${stats})${outputLines(record)}\n`;
    case "waiting": {
      const w = record.waiting!;
      const prompt = indent(terminalSafe(`\n${w.prompt}`.replace(/\n*$/, "")));
      const timeout = w.timeoutAt
        ? ` (until ${w.timeoutAt}${w.default !== undefined ? `, then "${w.default}"` : ""})`
        : "";
      return (
        `${paint("35", `⏸ run ${record.id} is waiting for a human at ${w.state}`)}${timeout}:${prompt}\n` +
        `answer with \`aegis signal ${record.id}${store} --approve\` or \`aegis signal ${record.id}${store} --reject --feedback "…"\`\n`
      );
    }
    case "running":
      return `run ${record.id} stopped at ${record.current ?? "?"}; continue it with \`aegis resume ${record.id}${store}\`\n`;
    case "cancelled":
      return `${paint("31", `✗ run ${record.id} ${terminalSafe(cancelledText(record.error?.message))}`)}${outputLines(record)}\n`;
    default: {
      const error = record.error;
      const where = error?.state ? ` at ${error.state}` : "";
      const detail = error?.state ? stateError(record, error.state) : "";
      return `${paint("31", `✗ run ${record.id} ${record.status}${where}`)}: ${terminalSafe(`${error?.message ?? record.status}${error ? ` [${error.code}]` : ""}${detail}`)}${outputLines(record)}\n`;
    }
  }
}

/** The run's output (a failure final's too), indented under "output:"; nothing if it has none. */
function outputLines(record: RunRecord): string {
  if (record.output === undefined) return "";
  const text =
    typeof record.output === "string" ? record.output : JSON.stringify(record.output, null, 2);
  const output = terminalSafe(`\n${text}`.replace(/\n*$/, ""));
  return output ? `\noutput:${indent(output)}` : "";
}

function stateError(record: RunRecord, state: string): string {
  let failed = state;
  // A failure state has no result: what failed is the state whose transition led there.
  if (!record.results[state]?.error) {
    const into = record.history.findLast((h) => h.to === state && h.state !== state);
    if (into && record.results[into.state]?.error) failed = into.state;
  }
  const result = record.results[failed];
  if (!result?.error || record.error?.message.includes(result.error.message)) return "";
  return `\n  ${failed}: ${result.error.message} [${result.error.code}]`;
}

function indent(text: string): string {
  return text.replace(/\n/g, "\n  ").replace(/ +$/gm, "");
}

/** How `aegis logs` prints a run's log (from a store or a server): every line, timed. */
export function logPrinter(run: string, json: boolean | undefined, write: (text: string) => void) {
  return new Progress({
    mode: json ? "json" : "plain",
    write,
    run,
    verbose: true,
    timestamps: true,
  });
}

/** Rows under a header, in columns two spaces apart, run data made safe for the terminal. */
export function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${terminalSafe([line(header), ...rows.map(line)].join("\n"))}\n`;
}
