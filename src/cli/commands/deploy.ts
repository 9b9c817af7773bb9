// aegis deploy: compiles workflows here (printing the findings as `aegis compile` does),
// refuses those with errors, and sends the others' compiled documents to the server.

import type { DeployResponse } from "../../api/workflows.ts";
import { compileWorkflowModule, isWorkflowModule } from "../../builder/module.ts";
import type { CompileResult } from "../../compiler/compile.ts";
import { compileFiles } from "../../compiler/compile.ts";
import { formatText } from "../../compiler/report/text.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import { allSources, expandFiles } from "../files.ts";
import { type Io, useColor } from "../io.ts";
import { terminalSafe } from "../progress.ts";
import { remoteOf, serverOption } from "../remote.ts";

export async function deployCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("deploy", {
    args,
    allowPositionals: true,
    options: {
      ...serverOption,
      json: { type: "boolean", default: false },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
    },
  });
  if (positionals.length === 0) throw new UsageError("no files given");
  if ((positionals as string[]).includes("-"))
    throw new UsageError("deploy reads files, not stdin");
  const remote = remoteOf(values, "deploy", true)!;
  const files = await expandFiles(positionals);
  // Modules that build a workflow (aegis-workflows/builder) are imported and compiled; the
  // others are compiled together (sharing their imports).
  const results: CompileResult[] = [];
  const cache = new Map<string, CompileResult>();
  for (const file of files) {
    if (!isWorkflowModule(file)) {
      results.push(...compileFiles([file], { cache }));
      continue;
    }
    const compiled = await compileWorkflowModule(file, cache);
    if ("error" in compiled) {
      io.stderr(`aegis: ${compiled.error}\n`);
      return 2;
    }
    if (Object.keys(compiled.functions).length > 0)
      io.stderr(
        `aegis: ${file}'s function agents (${Object.keys(compiled.functions).join(", ")}) run only where the module is loaded: start the server with --module ${file}\n`,
      );
    results.push(compiled.result);
  }
  const found = results.flatMap((r) => r.diagnostics);
  const text = formatText(found, allSources(results), { color: useColor(values, io) });
  if (text) io.stdout(`${text}\n\n`);
  let exit = 0;
  const deployed: DeployResponse[] = [];
  for (const result of results) {
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) {
      const unreadable = result.diagnostics.some((d) => d.code === "AEG002");
      io.stderr(
        `aegis: not deploying ${result.file}: it has ${errors.length} error${errors.length === 1 ? "" : "s"}\n`,
      );
      exit = Math.max(exit, unreadable ? 2 : 1);
      continue;
    }
    const { body } = await remote.request<DeployResponse>("POST", "/v1/workflows", result.document);
    deployed.push(body);
    if (values.json) continue;
    const declared = body.declaredVersion !== undefined ? ` (version ${body.declaredVersion})` : "";
    // An older version deployed again is made current again: "restored".
    const what = body.created ? "deployed" : body.previous ? "restored" : "unchanged";
    io.stdout(
      terminalSafe(
        `${what} ${body.name} ${body.version.slice(0, 12)}${declared} from ${result.file}`,
      ) + "\n",
    );
  }
  if (values.json) io.stdout(`${JSON.stringify(deployed, null, 2)}\n`);
  return exit;
}
