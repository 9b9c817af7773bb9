// Where a command writes, and what an embedding (or a test) may give the commands that
// drive runs. Types only, and the process's own streams.
import { fstatSync, writeSync } from "node:fs";
import type { Executor } from "../runtime/engine.ts";
import type { AgentFunction } from "../runtime/types.ts";

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
}

export interface RuntimeHooks {
  executor?: Executor;
  functions?: Record<string, AgentFunction>;
}

/**
 * Writes to file descriptor 1 or 2 directly, in order and at once. Node's process.stdout is
 * a stream whose creation loads the stream (and, for a pipe, the net) modules: a few
 * milliseconds of every `aegis compile --check`. A descriptor that would block (one its
 * reader made non-blocking) hands the rest, and all later writes, to the stream; Windows'
 * console wants the stream throughout. A closed pipe (`aegis … | head`) ends the command
 * quietly, as other command-line tools do.
 */
export function descriptorWriter(
  fd: number,
  stream: () => NodeJS.WritableStream,
  write: (fd: number, bytes: Uint8Array) => number = writeSync,
): (text: string) => void {
  let streaming = process.platform === "win32";
  const closed = (error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== "EPIPE") return false;
    process.exit(process.exitCode ?? 0);
  };
  const toStream = (text: string | Uint8Array) => {
    if (!streaming) {
      streaming = true;
      stream().on("error", (error) => {
        if (!closed(error)) throw error;
      });
    }
    stream().write(text);
  };
  return (text) => {
    if (streaming) return toStream(text);
    let bytes = Buffer.from(text);
    try {
      while (bytes.length > 0) bytes = bytes.subarray(write(fd, bytes));
    } catch (error) {
      if (closed(error)) return;
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") throw error;
      toStream(bytes);
    }
  };
}

/**
 * Whether stdout is a terminal, without creating process.stdout when it cannot be: only a
 * character device can be one (a file or a pipe, as in scripts and hooks, is not).
 */
function stdoutIsTTY(): boolean {
  try {
    if (!fstatSync(1).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  return !!process.stdout.isTTY;
}

export const processIo: Io = {
  stdout: descriptorWriter(1, () => process.stdout),
  stderr: descriptorWriter(2, () => process.stderr),
  isTTY: stdoutIsTTY(),
};

/** Whether to colour text output: --color / --no-color, else when stdout is a terminal
 * and NO_COLOR is not set. */
export function useColor(values: { color?: boolean; "no-color"?: boolean }, io: Io): boolean {
  return values["no-color"] ? false : (values.color ?? (io.isTTY && !process.env.NO_COLOR));
}
