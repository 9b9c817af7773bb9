// Parsing a command's arguments: node:util's parseArgs, with `--help` answered by the
// command's usage and its errors said in one line with a "did you mean".
import { type ParseArgsConfig, parseArgs } from "node:util";
import { didYouMean } from "../compiler/suggest.ts";
import { HelpRequested, UsageError } from "./errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandArgs<const O extends Options>(
  command: string,
  config: { args: string[]; options: O; allowPositionals?: boolean },
) {
  const options = { ...config.options, help: { type: "boolean", short: "h" } } as const;
  // `--help` anywhere before `--` asks for help, even beside a mistake.
  const end = config.args.indexOf("--");
  const own = end === -1 ? config.args : config.args.slice(0, end);
  if (own.includes("--help") || own.includes("-h")) throw new HelpRequested(command);
  try {
    return parseArgs({ ...config, options, allowPositionals: config.allowPositionals ?? false });
  } catch (error) {
    throw new UsageError(explain(error as Error & { code?: string }, options), command);
  }
}

/** parseArgs's message, said as the rest of aegis says things. */
function explain(error: Error & { code?: string }, options: Options): string {
  const quoted = /'(-[^']*)'/.exec(error.message)?.[1];
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION": {
      const name = quoted?.replace(/^-+/, "").split("=")[0] ?? "";
      const names = Object.keys(options);
      const near = didYouMean(name, names);
      return `unknown option '${quoted}'${near ? `; did you mean '--${near}'?` : ""}`;
    }
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = /--([\w-]+)/.exec(error.message)?.[1];
      if (name && options[name]?.type === "string") return `--${name} needs a value`;
      if (name) return `--${name} takes no value`;
      return error.message;
    }
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${/'([^']*)'/.exec(error.message)?.[1] ?? "?"}'`;
    default:
      return error.message;
  }
}
