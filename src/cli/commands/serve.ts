// aegis serve: the server's process. Starts it (src/server/, loaded only here), prints the
// URL it listens on in one line, and stops cleanly on SIGINT or SIGTERM.
import { DEFAULT_PORT } from "../../api/openapi.ts";
import { compileWorkflowModule } from "../../builder/module.ts";
import { formatText } from "../../compiler/report/text.ts";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { VERSION } from "../usage.ts";

export async function serveCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("serve", {
    args,
    allowPositionals: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: String(DEFAULT_PORT) },
      data: { type: "string" },
      config: { type: "string" },
      concurrency: { type: "string", default: "8" },
      workdir: { type: "string" },
      restate: { type: "string" },
      module: { type: "string", multiple: true },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port!) || port > 65535) {
    throw new UsageError(`--port must be a port number (0 picks a free one), not '${values.port}'`);
  }
  const concurrency = Number(values.concurrency);
  if (!/^\d+$/.test(values.concurrency!) || concurrency < 1 || concurrency > 10_000) {
    throw new UsageError(
      `--concurrency must be how many runs to drive at once (1 or more), not '${values.concurrency}'`,
    );
  }
  // Workflows built in TypeScript: compiled here, deployed by the server as it starts, their
  // function agents run by this process.
  const builtWorkflows = [];
  for (const module of values.module ?? []) {
    const compiled = await compileWorkflowModule(module);
    if ("error" in compiled) {
      io.stderr(`aegis: ${compiled.error}\n`);
      return 2;
    }
    const { result, functions } = compiled;
    if (result.diagnostics.length > 0)
      io.stderr(`${formatText(result.diagnostics, result.sources, { color: false })}\n\n`);
    if (!result.ok) {
      io.stderr(`aegis: not serving ${module}: it has errors\n`);
      return 1;
    }
    // On a cluster the workers run the states: they load the module for its functions.
    if (values.restate !== undefined && Object.keys(functions).length > 0)
      io.stderr(
        `aegis serve: ${module}'s function agents run in the workers: start them with --module ${module}\n`,
      );
    builtWorkflows.push({ document: result.document, functions });
  }
  const { start, DEFAULT_DATA_DIR } = await import("../../server/server.ts");
  const data = values.data ?? DEFAULT_DATA_DIR;
  const server = await start({
    host: values.host!,
    port,
    data,
    ...(values.config !== undefined && { config: values.config }),
    concurrency,
    ...(values.workdir !== undefined && { workdir: values.workdir }),
    ...(values.restate !== undefined && { restate: values.restate }),
    builtWorkflows,
    version: VERSION,
    log: (line) => io.stderr(`${line}\n`),
  });
  // One write: whoever waits for the first line has the second too.
  io.stdout(
    `aegis serve: listening on ${server.url} (data in ${data})\n` +
      `aegis serve: the web viewer is at ${server.url}/ui/\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once("SIGINT", done);
    process.once("SIGTERM", done);
  });
  io.stderr(`aegis serve: ${signal}: stopping\n`);
  await server.close();
  return 0;
}
