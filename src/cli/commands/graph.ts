// aegis graph: a workflow (or a compiled graph) as Mermaid, DOT or JSON.

import { compileWorkflowModule, isWorkflowModule } from "../../builder/module.ts";
import { compile } from "../../compiler/compile.ts";
import { toDot } from "../../compiler/emit/dot.ts";
import { toMermaid } from "../../compiler/emit/mermaid.ts";
import { exportGraph, loadGraph } from "../../compiler/graph.ts";
import { formatText } from "../../compiler/report/text.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { readText } from "../files.ts";
import type { Io } from "../io.ts";

export async function graphCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("graph", {
    args,
    allowPositionals: true,
    options: { format: { type: "string", default: "mermaid" } },
  });
  const format = values.format!;
  if (!["mermaid", "dot", "json"].includes(format))
    throw new UsageError(`unknown graph format '${format}' (mermaid, dot, json)`);
  if (positionals.length !== 1) throw new UsageError("graph takes exactly one file");
  const path = positionals[0]!;
  // A compiled graph (from `compile --out`) is loaded as it is, without re-parsing.
  if (path.endsWith(".json")) return printLoadedGraph(path, format, io);
  let result: ReturnType<typeof compile>;
  if (path !== "-" && isWorkflowModule(path)) {
    const compiled = await compileWorkflowModule(path);
    if ("error" in compiled) {
      io.stderr(`aegis: ${compiled.error}\n`);
      return 2;
    }
    result = compiled.result;
  } else {
    const text = readText(path, io);
    if (text === undefined) return 2;
    result = compile(text, { filename: path === "-" ? "<stdin>" : path });
  }
  if (!result.ok) {
    io.stderr(`${formatText(result.diagnostics, result.sources, { color: false })}\n`);
    return 1;
  }
  const output =
    format === "dot"
      ? toDot(result.graph)
      : format === "json"
        ? `${JSON.stringify(result.document, null, 2)}\n`
        : toMermaid(result.graph);
  io.stdout(output);
  return 0;
}

function printLoadedGraph(path: string, format: string, io: Io): number {
  const text = readText(path, io);
  if (text === undefined) return 2;
  let loaded: ReturnType<typeof loadGraph>;
  try {
    loaded = loadGraph(JSON.parse(text));
  } catch (error) {
    io.stderr(`aegis: cannot load ${path}: ${(error as Error).message}\n`);
    return 2;
  }
  const output =
    format === "dot"
      ? toDot(loaded.graph)
      : format === "json"
        ? `${JSON.stringify(exportGraph(loaded.graph, loaded.subworkflows), null, 2)}\n`
        : toMermaid(loaded.graph);
  io.stdout(output);
  return 0;
}
