// Runs one command — a shell line (`sh -c`) or an argument vector — and reports how it
// ended. The command runs in a process group of its own (spawned detached), so that a
// timeout or a cancellation stops everything it started, grandchildren included: the group
// gets SIGTERM, then SIGKILL after a grace period. When the command exits by itself, what
// it left running in its group is stopped the same way, so no stray process outlives the
// state that started it (and holds its output pipes open). Output is decoded as UTF-8
// (invalid bytes become U+FFFD), streamed to a callback up to `maxStreamed` characters of
// each stream (then one notice: a flood must not fill the run's log), and the last
// `maxOutput` characters of each stream are kept: whatever a command prints, memory stays
// bounded. Never throws for what the command does: a non-zero exit, a timeout, a
// cancellation or a program that cannot be started are all results.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { startTimer } from "./timer.ts";

export type CommandLine = { shell: string } | { argv: string[] };

export interface ProcessOptions {
  command: CommandLine;
  /** Written to standard input (then closed); without it, stdin is empty. */
  input?: string;
  /** Added to the environment (the runner's own, unless `extendEnv` is false or `baseEnv` is given). */
  env?: Record<string, string | undefined>;
  extendEnv?: boolean;
  /**
   * The environment the process starts from, instead of this process's own: a host that
   * holds credentials (the GitHub Action) passes only what states may see.
   */
  baseEnv?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Milliseconds; then the whole process group is stopped and the status is timed_out. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL, in milliseconds (default 2000). */
  killGraceMs?: number;
  /** Aborting it stops the process group; the status is then cancelled. */
  signal?: AbortSignal;
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  /** Characters kept of each stream, its last ones (default 1 MiB). */
  maxOutput?: number;
  /** Characters of each stream passed to `onOutput` (default 1 MiB); then one notice. */
  maxStreamed?: number;
}

export interface ProcessResult {
  /** exited: it ended by itself (see exitCode); spawn_failed: it never started. */
  status: "exited" | "timed_out" | "cancelled" | "spawn_failed";
  /** Set when it exited; a process killed by a signal has 128 + the signal's number. */
  exitCode?: number;
  /** The signal that ended it, if one did. */
  signal?: string;
  stdout: string;
  stderr: string;
  /** Whether output was cut to its last `maxOutput` characters. */
  truncated: boolean;
  /** Characters each stream printed in all, kept or not. */
  printed: { stdout: number; stderr: number };
  durationMs: number;
  /** Why it could not start (spawn_failed), e.g. "ENOENT". */
  errorCode?: string;
  error?: string;
}

const DEFAULT_MAX_OUTPUT = 1024 * 1024;
const DEFAULT_MAX_STREAMED = 1024 * 1024;
const DEFAULT_GRACE_MS = 2000;

const hasProc = process.platform === "linux" && existsSync("/proc/self/stat");

const signalNumbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Keeps the last `max` characters of a stream. */
class Tail {
  private parts: string[] = [];
  private length = 0;
  truncated = false;
  /** Characters pushed in all. */
  total = 0;
  private readonly max: number;
  constructor(max: number) {
    this.max = max;
  }
  push(text: string): void {
    this.parts.push(text);
    this.length += text.length;
    this.total += text.length;
    if (this.length > this.max * 2) this.compact();
  }
  private compact(): void {
    const all = this.parts.join("");
    if (all.length > this.max) {
      this.truncated = true;
      this.parts = [all.slice(all.length - this.max)];
    } else this.parts = [all];
    this.length = this.parts[0]!.length;
  }
  text(): string {
    this.compact();
    return this.parts.join("");
  }
}

/** Sends a signal to a whole process group; false when the group is gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any live process is left in a group. On Linux, /proc tells, and a zombie (dead,
 * not yet reaped — orphans whose new parent does not reap promptly) does not count;
 * elsewhere, signal 0 to the group.
 */
function groupAlive(pid: number): boolean {
  if (hasProc) {
    try {
      for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
          stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
          continue;
        }
        // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses.
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(fields[2]) === pid && fields[0] !== "Z") return true;
      }
      return false;
    } catch {}
  }
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SIGTERM to the group, then SIGKILL to whatever is left after the grace period. */
function stopGroup(pid: number, graceMs: number): Promise<void> {
  if (!signalGroup(pid, "SIGTERM")) return Promise.resolve();
  return new Promise((resolve) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (!groupAlive(pid)) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started >= graceMs) {
        clearInterval(poll);
        signalGroup(pid, "SIGKILL");
        resolve();
      }
    }, 25);
  });
}

export async function runProcess(options: ProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_OUTPUT;
  const graceMs = options.killGraceMs ?? DEFAULT_GRACE_MS;
  const stdout = new Tail(maxOutput);
  const stderr = new Tail(maxOutput);
  const finish = (
    result: Omit<ProcessResult, "stdout" | "stderr" | "truncated" | "printed" | "durationMs">,
  ): ProcessResult => ({
    ...result,
    stdout: stdout.text(),
    stderr: stderr.text(),
    truncated: stdout.truncated || stderr.truncated,
    printed: { stdout: stdout.total, stderr: stderr.total },
    durationMs: Date.now() - started,
  });

  if (options.signal?.aborted) return finish({ status: "cancelled" });
  if (options.cwd !== undefined) {
    let isDirectory = false;
    try {
      isDirectory = statSync(options.cwd).isDirectory();
    } catch {}
    if (!isDirectory) {
      return finish({
        status: "spawn_failed",
        errorCode: "ENOENT",
        error: `the working directory ${options.cwd} does not exist`,
      });
    }
  }
  const [file, args] =
    "shell" in options.command
      ? ["sh", ["-c", options.command.shell]]
      : [options.command.argv[0] ?? "", options.command.argv.slice(1)];
  if (!file)
    return finish({ status: "spawn_failed", errorCode: "EINVAL", error: "the command is empty" });

  const env: Record<string, string> = { ...options.baseEnv };
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  // execa (and its ~280 modules) is loaded by the first command a run starts, not by
  // importing the runtime: a program that only drives functions never loads it.
  const { execa } = await import("execa");
  if (options.signal?.aborted) return finish({ status: "cancelled" });
  const subprocess = execa(file, args, {
    reject: false,
    buffer: false,
    detached: true,
    env,
    extendEnv: options.baseEnv ? false : (options.extendEnv ?? true),
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
  });

  const maxStreamed = options.maxStreamed ?? DEFAULT_MAX_STREAMED;
  for (const [name, stream, tail] of [
    ["stdout", subprocess.stdout, stdout],
    ["stderr", subprocess.stderr, stderr],
  ] as const) {
    let streamed = 0;
    let noticed = false;
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      tail.push(chunk);
      if (!options.onOutput) return;
      if (streamed < maxStreamed) {
        const part = chunk.slice(0, maxStreamed - streamed);
        streamed += part.length;
        options.onOutput(name, part);
      }
      if (!noticed && tail.total > maxStreamed) {
        noticed = true;
        options.onOutput(
          name,
          `\n[aegis: ${name} passed ${maxStreamed} characters; the rest is not shown as it comes, and the last ${maxOutput} characters are kept]\n`,
        );
      }
    });
  }

  let ending: "timed_out" | "cancelled" | undefined;
  let stopping: Promise<void> | undefined;
  let exited = false;
  const stop = (why: "timed_out" | "cancelled") => {
    if (ending || exited || subprocess.pid === undefined) return;
    ending = why;
    stopping = stopGroup(subprocess.pid, graceMs);
  };
  const cancelTimer =
    options.timeoutMs !== undefined
      ? startTimer(options.timeoutMs, () => stop("timed_out"))
      : undefined;
  const onAbort = () => stop("cancelled");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // The command ended: stop what it left running in its group (which may hold its pipes).
  subprocess.on("exit", () => {
    exited = true;
    if (subprocess.pid !== undefined && !stopping) stopping = stopGroup(subprocess.pid, graceMs);
  });

  try {
    const result = await subprocess;
    await stopping;
    if (result.code && result.exitCode === undefined && !result.signal && !ending) {
      // It never started (ENOENT, EACCES …).
      return finish({
        status: "spawn_failed",
        errorCode: result.code,
        error:
          result.code === "ENOENT"
            ? `command not found: ${file}`
            : result.code === "EACCES"
              ? `permission denied: ${file} is not executable`
              : (result.originalMessage ?? result.message),
      });
    }
    const signal = result.signal ?? undefined;
    const exitCode = result.exitCode ?? (signal ? 128 + (signalNumbers[signal] ?? 0) : undefined);
    if (ending)
      return finish({
        status: ending,
        ...(exitCode !== undefined && { exitCode }),
        ...(signal && { signal }),
      });
    return finish({
      status: "exited",
      ...(exitCode !== undefined && { exitCode }),
      ...(signal && { signal }),
    });
  } finally {
    cancelTimer?.();
    options.signal?.removeEventListener("abort", onAbort);
  }
}
