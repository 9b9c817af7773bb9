// Restate server processes: each in its own process group (so a signal reaches the server
// and nothing else), its output appended to a log file, found again later by PID.
import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { restateServerBinary } from "./binaries.ts";

/** The environment of a server: no RESTATE_* variables (they override the TOML), no telemetry. */
function serverEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("RESTATE_")) env[key] = value;
  }
  env.DO_NOT_TRACK = "1";
  return env;
}

/** Starts a server with the given configuration; returns its PID once it is spawned. */
export async function spawnServer(configFile: string, logFile: string): Promise<number> {
  const log = openSync(logFile, "a");
  try {
    const child = spawn(restateServerBinary(), ["--no-logo", "--config-file", configFile], {
      detached: true,
      stdio: ["ignore", log, log],
      env: serverEnvironment(),
    });
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    // The server outlives this handle (the CLI exits after a start); Node still reaps it.
    child.unref();
    return child.pid!;
  } finally {
    closeSync(log);
  }
}

/** Whether the process runs (a zombie, exited but not yet reaped, does not). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    // The state follows the command name, which is in parentheses.
    const text = readFileSync(stat, "utf8");
    return text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is still the server started with `configFile` (and not an unrelated process
 * that got the PID since). Where /proc does not exist, only whether the PID runs.
 */
export function isServer(pid: number, configFile: string): boolean {
  if (!isRunning(pid)) return false;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync("/proc/self/cmdline")) return true;
  try {
    return readFileSync(cmdline, "utf8").split("\0").includes(configFile);
  } catch {
    return false;
  }
}

/** Sends `signal` to the server's process group; false if it is gone. */
export function signalServer(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of the PIDs runs; false if some still run at the deadline. */
export async function waitForExit(pids: number[], deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (!pids.some(isRunning)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Stops servers: SIGTERM (Restate shuts down cleanly in a second or two), then SIGKILL for
 * any still running after `graceMs`.
 */
export async function stopServers(pids: number[], graceMs = 20_000): Promise<void> {
  for (const pid of pids) signalServer(pid, "SIGTERM");
  if (await waitForExit(pids, graceMs)) return;
  for (const pid of pids) if (isRunning(pid)) signalServer(pid, "SIGKILL");
  await waitForExit(pids, 10_000);
}

/** The last lines of a log file, for error messages. */
export function logTail(logFile: string, lines = 20): string {
  try {
    return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
