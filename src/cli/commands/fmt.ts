// aegis fmt: the canonical layout of .aegis files (comments are kept). Directories are
// walked for .aegis files; `-` formats stdin.
import { writeFileSync } from "node:fs";
import { formatSource, PrintError } from "../../compiler/emit/aegis.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { expandFiles, findingsText, readText, STDIN } from "../files.ts";
import { type Io, useColor } from "../io.ts";

export async function fmtCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("fmt", {
    args,
    allowPositionals: true,
    options: {
      check: { type: "boolean", default: false },
      write: { type: "boolean", default: false },
      "stdin-filename": { type: "string" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  if (values.check && values.write) throw new UsageError("use either --check or --write");
  if (positionals.length === 0) throw new UsageError("no files given");
  const files = await expandFiles(positionals, "aegis");
  const stdinName = values["stdin-filename"];
  if (stdinName !== undefined && !files.includes(STDIN))
    throw new UsageError("--stdin-filename names what '-' (stdin) reads; no '-' given");
  if (values.write && files.includes(STDIN))
    throw new UsageError("--write cannot rewrite stdin; the formatted text is printed without it");
  const print = !values.check && !values.write;
  if (print && files.length !== 1)
    throw new UsageError("fmt prints one file; use --write or --check for several");
  const color = useColor(values, io);
  let ioError = false;
  let failed = false;
  const unformatted: string[] = [];
  for (const path of files) {
    const file = path === STDIN ? (stdinName ?? "<stdin>") : path;
    const text = readText(path, io);
    if (text === undefined) {
      ioError = true;
      continue;
    }
    let result: ReturnType<typeof formatSource>;
    try {
      result = formatSource(text, file);
    } catch (error) {
      if (!(error instanceof PrintError)) throw error;
      io.stderr(`aegis: cannot format ${file}: ${error.message}\n`);
      failed = true;
      continue;
    }
    if (!result.ok) {
      io.stderr(`${findingsText(result.findings, file, text, color)}\n`);
      io.stderr(`aegis: not formatting ${file}: fix its syntax errors first\n`);
      failed = true;
      continue;
    }
    if (print) io.stdout(result.text);
    else if (result.changed) {
      unformatted.push(file);
      if (values.write) {
        try {
          writeFileSync(file, result.text);
        } catch (error) {
          io.stderr(`aegis: cannot write ${file}: ${(error as Error).message}\n`);
          ioError = true;
          continue;
        }
      }
      io.stdout(`${file}\n`);
    }
  }
  if (values.check && unformatted.length > 0) {
    const n = unformatted.length;
    io.stderr(
      `aegis: ${n} file${n === 1 ? " is" : "s are"} not formatted; run aegis fmt --write\n`,
    );
  }
  if (ioError) return 2;
  return failed || (values.check && unformatted.length > 0) ? 1 : 0;
}
