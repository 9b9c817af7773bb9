// The aegis extension's client: starts `aegis lsp --stdio` (the server chosen by
// server-command.ts) for .aegis files and YAML workflows, and says in the Aegis output
// channel which aegis it started.
import * as vscode from "vscode";
import {
  type Executable,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import { findServer } from "./server-command.ts";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel | undefined;
let watcher: vscode.FileSystemWatcher | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("Aegis", { log: true });
  // A workflow's subworkflows and imports live in other files.
  watcher = vscode.workspace.createFileSystemWatcher("**/*.{aegis,yaml,yml}");
  context.subscriptions.push(
    output,
    watcher,
    vscode.commands.registerCommand("aegis.restartServer", () => restart(context)),
    vscode.commands.registerCommand("aegis.showOutput", () => output?.show(true)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("aegis.server.path")) void restart(context);
    }),
    // Another folder may bring its own aegis-workflows.
    vscode.workspace.onDidChangeWorkspaceFolders(() => restart(context)),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const channel = output!;
  const folders = (vscode.workspace.workspaceFolders ?? [])
    .filter((folder) => folder.uri.scheme === "file")
    .map((folder) => folder.uri.fsPath);
  const server = findServer({
    folders,
    configuredPath: vscode.workspace.getConfiguration("aegis").get<string>("server.path", ""),
    extensionPath: context.extensionPath,
  });
  channel.info(`Starting the aegis language server from ${server.description}`);

  const run: Executable = {
    command: server.command,
    args: server.args,
    options: { shell: server.shell, ...(folders[0] && { cwd: folders[0] }) },
  };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "aegis" },
      { scheme: "untitled", language: "aegis" },
      // The server reads the YAML files that are workflows (an AEGIS manifest, an AgentOS
      // workflow) and leaves the others alone.
      { scheme: "file", language: "yaml" },
      { scheme: "untitled", language: "yaml" },
    ],
    synchronize: { fileEvents: watcher! },
    outputChannel: channel,
  };

  // The id "aegis" makes the client follow the `aegis.trace.server` setting.
  client = new LanguageClient("aegis", "Aegis Language Server", serverOptions, clientOptions);
  try {
    await client.start();
    const info = client.initializeResult?.serverInfo;
    channel.info(
      `The aegis language server is running${info ? ` (${info.name}${info.version ? ` ${info.version}` : ""})` : ""}.`,
    );
  } catch (error) {
    channel.error(`The aegis language server did not start: ${String(error)}`);
    channel.show(true);
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  try {
    if (running?.isRunning()) await running.stop();
    else await running?.dispose();
  } catch (error) {
    // A server that already died cannot be asked to stop; it is gone either way.
    output?.warn(`Stopping the aegis language server: ${String(error)}`);
  }
}

/** Restarts one after another (a setting and a folder may change at once). */
let restarting: Promise<void> = Promise.resolve();
function restart(context: vscode.ExtensionContext): Promise<void> {
  restarting = restarting.then(stop).then(() => start(context));
  return restarting;
}
