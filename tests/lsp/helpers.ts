// An editor's side of the language server: `aegis lsp --stdio` in a child process, driven by
// the protocol's own client (vscode-languageserver-protocol over vscode-jsonrpc streams), as
// VS Code's language client does.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";

export const ROOT = join(import.meta.dirname, "../..");

export interface Editor {
  connection: ProtocolConnection;
  child: ChildProcess;
  /** The next diagnostics published for `uri` (after the given document version, if any). */
  diagnostics(uri: string, version?: number): Promise<PublishDiagnosticsParams>;
  stop(): Promise<void>;
}

/** The server started in `cwd`, with `workspace` (a folder) as the editor's workspace. */
export async function startEditor(cwd = ROOT, workspace?: string): Promise<Editor> {
  const child = spawn(process.execPath, [join(ROOT, "bin/aegis.js"), "lsp", "--stdio"], {
    cwd,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const connection = createProtocolConnection(
    new StreamMessageReader(child.stdout!),
    new StreamMessageWriter(child.stdin!),
  );
  const published: PublishDiagnosticsParams[] = [];
  const waiting: {
    uri: string;
    version?: number;
    done: (p: PublishDiagnosticsParams) => void;
    fail: (e: Error) => void;
  }[] = [];
  // A server that dies fails whoever waits for it.
  child.once("exit", (code) => {
    for (const w of waiting.splice(0)) w.fail(new Error(`aegis lsp exited (${code}): ${stderr}`));
  });
  connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) => {
    const i = waiting.findIndex(
      (w) => w.uri === p.uri && (w.version === undefined || p.version === w.version),
    );
    if (i >= 0) waiting.splice(i, 1)[0]!.done(p);
    else published.push(p);
  });
  connection.listen();
  await connection.sendRequest("initialize", {
    processId: process.pid,
    rootUri: workspace ? pathToFileURL(workspace).href : null,
    capabilities: {},
  });
  await connection.sendNotification("initialized", {});
  return {
    connection,
    child,
    diagnostics(uri, version) {
      const i = published.findIndex(
        (p) => p.uri === uri && (version === undefined || p.version === version),
      );
      if (i >= 0) return Promise.resolve(published.splice(i, 1)[0]!);
      if (child.exitCode !== null)
        return Promise.reject(new Error(`aegis lsp exited (${child.exitCode}): ${stderr}`));
      return new Promise((done, fail) => {
        waiting.push({ uri, ...(version !== undefined && { version }), done, fail });
      });
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once("exit", done));
      await connection.sendRequest("shutdown");
      await connection.sendNotification("exit");
      await exited;
      connection.dispose();
    },
  };
}
