// aegis convert: an AEGIS manifest or AgentOS workflow (YAML) as aegis source.
import { writeFileSync } from "node:fs";
import { catalogue } from "../../compiler/diagnostics.ts";
import { PrintError, printAegis } from "../../compiler/emit/aegis.ts";
import { parse } from "../../compiler/parse.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { findingsText, readText, useColor } from "../files.ts";
import type { Io } from "../io.ts";

export async function convertCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("convert", {
    args,
    allowPositionals: true,
    options: {
      out: { type: "string" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("convert takes exactly one file");
  const file = positionals[0]!;
  const text = readText(file, io);
  if (text === undefined) return 2;
  // Loaded on demand: only convert needs the YAML front end (and the yaml package).
  const { parseYamlWorkflow } = await import("../../compiler/yaml/index.ts");
  const result = parseYamlWorkflow(text, file);
  const color = useColor(values, io);
  if (result.findings.length > 0)
    io.stderr(`${findingsText(result.findings, file, text, color)}\n`);
  const errors = result.findings.filter(
    (f) => (f.severity ?? catalogue[f.code].severity) === "error",
  );
  if (errors.length > 0) {
    io.stderr(
      `aegis: not converting ${file}: it has ${errors.length} error${errors.length === 1 ? "" : "s"}\n`,
    );
    return 1;
  }
  let source: string;
  try {
    source = printAegis(result.ast);
  } catch (error) {
    if (!(error instanceof PrintError)) throw error;
    io.stderr(`aegis: cannot convert ${file}: ${error.message}\n`);
    return 1;
  }
  // The printer's promise: what it writes parses. Check it rather than write a broken file.
  const check = parse(source, values.out ?? "<converted>");
  if (check.findings.some((f) => f.code === "AEG100" || f.code === "AEG101")) {
    throw new Error(`the converted text of ${file} does not parse: ${check.findings[0]!.message}`);
  }
  if (!values.out) {
    io.stdout(source);
    return 0;
  }
  try {
    writeFileSync(values.out, source);
  } catch (error) {
    io.stderr(`aegis: cannot write ${values.out}: ${(error as Error).message}\n`);
    return 2;
  }
  return 0;
}
