// The `aegis` command line: a thin shell over the library. Each command is its own module,
// loaded only when it runs: `aegis compile` never loads the runtime, `aegis --help` loads
// nothing but this file and the help text. Exit codes: 0 clean, 1 findings at error level
// (or a failed run), 2 usage or I/O error, 130 interrupted.
import { didYouMean } from "../compiler/suggest.ts";
import { RuntimeError } from "../runtime/types.ts";
import { HelpRequested, UsageError } from "./errors.ts";
import { type Io, processIo, type RuntimeHooks } from "./io.ts";
import { aliases, commandUsage, overview, VERSION } from "./usage.ts";

export type { Io, RuntimeHooks };

type Command = (args: string[], io: Io, hooks: RuntimeHooks) => Promise<number>;

/** Each command's module, loaded when the command runs. */
const commands: Record<string, () => Promise<Command>> = {
  compile: async () => (await import("./commands/compile.ts")).compileCommand,
  graph: async () => (await import("./commands/graph.ts")).graphCommand,
  fmt: async () => (await import("./commands/fmt.ts")).fmtCommand,
  convert: async () => (await import("./commands/convert.ts")).convertCommand,
  run: async () => (await import("./commands/drive.ts")).runCommand,
  signal: async () => (await import("./commands/drive.ts")).signalCommand,
  resume: async () => (await import("./commands/drive.ts")).resumeCommand,
  cancel: async () => (await import("./commands/cancel.ts")).cancelCommand,
  status: async () => (await import("./commands/status.ts")).statusCommand,
  logs: async () => (await import("./commands/logs.ts")).logsCommand,
  list: async () => (await import("./commands/list.ts")).listCommand,
  serve: async () => (await import("./commands/serve.ts")).serveCommand,
  deploy: async () => (await import("./commands/deploy.ts")).deployCommand,
  workflows: async () => (await import("./commands/workflows.ts")).workflowsCommand,
  mcp: async () => (await import("./commands/mcp.ts")).mcpCommand,
  worker: async () => (await import("./commands/worker.ts")).workerCommand,
  lsp: async () => (await import("./commands/lsp.ts")).lspCommand,
};

export async function main(
  argv: string[],
  io: Io = processIo,
  hooks: RuntimeHooks = {},
): Promise<number> {
  const [word, ...rest] = argv;
  switch (word) {
    case "--version":
    case "-v":
      io.stdout(`${VERSION}\n`);
      return 0;
    case undefined:
      io.stderr(`${overview}\n`);
      return 2;
    case "--help":
    case "-h":
      io.stdout(`${overview}\n`);
      return 0;
    case "help":
      return help(rest, io);
  }
  const name = aliases[word] ?? word;
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  try {
    if (!load) {
      const near = didYouMean(word, [...Object.keys(commands), ...Object.keys(aliases)]);
      const option = word.startsWith("-");
      throw new UsageError(
        `unknown ${option ? "option" : "command"} '${word}'${near && !option ? `; did you mean '${near}'?` : ""}`,
      );
    }
    const command = await load();
    return await command(word === "check" ? ["--check", ...rest] : rest, io, hooks);
  } catch (error) {
    return failure(error, io, load ? name : undefined);
  }
}

/** `aegis help [COMMAND]`. */
function help(rest: string[], io: Io): number {
  if (rest.length === 0) {
    io.stdout(`${overview}\n`);
    return 0;
  }
  const name = aliases[rest[0]!] ?? rest[0]!;
  if (!Object.hasOwn(commandUsage, name)) {
    const near = didYouMean(rest[0]!, Object.keys(commandUsage));
    io.stderr(
      `aegis: no command '${rest[0]}'${near ? `; did you mean '${near}'?` : ""}\nRun 'aegis --help' for the list of commands.\n`,
    );
    return 2;
  }
  io.stdout(`${commandUsage[name]}\n`);
  return 0;
}

/** What a command's error says, and the exit code. */
function failure(error: unknown, io: Io, command: string | undefined): number {
  if (error instanceof HelpRequested) {
    io.stdout(`${commandUsage[error.command]}\n`);
    return 0;
  }
  if (error instanceof UsageError) {
    const about = error.command ?? command;
    const pointer = about ? `aegis ${about} --help` : "aegis --help";
    io.stderr(`aegis: ${error.message}\nRun '${pointer}' for usage.\n`);
    return 2;
  }
  // Errors that are the user's to fix (or the world's) carry a code: a message, no stack.
  if (error instanceof RuntimeError) {
    io.stderr(`aegis: error[${error.code}]: ${error.message}\n`);
    // A run in the wrong state for the command (cancel, signal, resume): 1, as the Temporal CLI.
    return ["not-cancellable", "not-waiting", "not-resumable"].includes(error.code) ? 1 : 2;
  }
  // compiler/graph.ts's GraphLoadError, known by its code (importing it would load graphology).
  if (error instanceof Error && (error as { code?: unknown }).code === "AEG-LOAD") {
    io.stderr(`aegis: error[graph-load]: ${error.message}\n`);
    return 2;
  }
  io.stderr(`aegis: internal error: ${(error as Error)?.stack ?? error}\n`);
  return 2;
}
