// Where a builder call was made: the first frame of the stack outside the builder's own
// files. Read from the stack's text, which the host has already mapped to the original
// source (Node strips TypeScript's types in place; --enable-source-maps, tsx and vitest map
// transpiled code back), so a finding points at the line and column the user wrote.
import { dirname, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface CallSite {
  /** Absolute path of the file (or the URL, for code not loaded from a file). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
}

const builderDir = dirname(fileURLToPath(import.meta.url)) + sep;
const builderUrl = new URL(".", import.meta.url).href;

/** `at fn (FILE:LINE:COL)` or `at FILE:LINE:COL`, FILE a path or a file: URL. */
const frame = /\(?((?:file:\/\/|\/|[A-Za-z]:[\\/])[^()]*?):(\d+):(\d+)\)?\s*$/;

/** The call site of the builder function that is running now; undefined if unknown. */
export function callerSite(): CallSite | undefined {
  const limit = Error.stackTraceLimit;
  // A few frames of the builder itself, then the caller's.
  Error.stackTraceLimit = 8;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = frame.exec(line);
    if (!m) continue;
    if (m[1]!.startsWith(builderUrl) || m[1]!.startsWith(builderDir)) continue;
    const file = m[1]!.startsWith("file://") ? fileURLToPath(m[1]!) : m[1]!;
    return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return undefined;
}
