// aegis mcp: an MCP server on stdio, for agents (Claude Code, Codex, Gemini CLI …). A thin
// client of an aegis server: --server URL or $AEGIS_SERVER (token $AEGIS_TOKEN), else the
// default local one. The tools are src/mcp/'s, over the server's HTTP API; the server
// validates, authorizes and records each call. stdout carries nothing but the protocol:
// everything said to a person goes to stderr. With no server running, it says so in one
// line on stderr at start, and every tool call answers isError server-unreachable.
import { randomUUID } from "node:crypto";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { remoteOf, serverOption } from "../remote.ts";
import { VERSION } from "../usage.ts";

export async function mcpCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommandArgs("mcp", {
    args,
    allowPositionals: true,
    options: { ...serverOption },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const remote = remoteOf(values, "mcp", true)!;
  const [{ serveStdio }, { createAegisMcp }, { httpService }] = await Promise.all([
    import("@modelcontextprotocol/server/stdio"),
    import("../../mcp/tools.ts"),
    import("../../mcp/http-service.ts"),
  ]);
  const log = (line: string) => io.stderr(`${line}\n`);
  try {
    await remote.request("GET", "/v1/health");
  } catch (error) {
    log(`aegis mcp: ${(error as Error).message}`);
  }
  const service = httpService(remote);
  // One connection is one agent session: its id is recorded with the runs it starts.
  const session = randomUUID();
  const ended = new Promise<string>((done) => {
    process.stdin.once("end", () => done("end"));
    process.stdin.once("close", () => done("close"));
    process.once("SIGINT", () => done("SIGINT"));
    process.once("SIGTERM", () => done("SIGTERM"));
  });
  const handle = serveStdio(() => createAegisMcp(service, { version: VERSION, session, log }), {
    onerror: (error) => log(`aegis mcp: ${error.message}`),
  });
  await ended;
  await handle.close();
  return 0;
}
