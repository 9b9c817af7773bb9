// aegis lsp: the language server (src/lsp/) on stdio, for editors: VS Code (editors/vscode),
// Neovim, Helix (docs/editors.md). `--stdio` is accepted, as editors' clients pass it.
// stdout carries nothing but the protocol; it ends when the client says exit or closes stdin.
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";

export async function lspCommand(args: string[], _io: Io): Promise<number> {
  const { positionals } = parseCommandArgs("lsp", {
    args,
    allowPositionals: true,
    options: { stdio: { type: "boolean", default: true } },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const [{ createConnection }, { startLanguageServer }] = await Promise.all([
    import("vscode-languageserver/node"),
    import("../../lsp/server.ts"),
  ]);
  const { connection } = startLanguageServer(createConnection(process.stdin, process.stdout));
  // The protocol's `exit` ends the process (vscode-languageserver); a closed stdin too.
  await new Promise<void>((done) => {
    process.stdin.once("end", () => done());
    process.stdin.once("close", () => done());
    connection.onExit(() => done());
  });
  return 0;
}
