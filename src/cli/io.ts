// Where a command writes, and what an embedding (or a test) may give the commands that
// drive runs. Types only, and the process's own streams.
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

export const processIo: Io = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  isTTY: !!process.stdout.isTTY,
};

/** Whether to colour text output: --color / --no-color, else when stdout is a terminal
 * and NO_COLOR is not set. */
export function useColor(values: { color?: boolean; "no-color"?: boolean }, io: Io): boolean {
  return values["no-color"] ? false : (values.color ?? (io.isTTY && !process.env.NO_COLOR));
}
