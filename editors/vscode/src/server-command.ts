// Which aegis the extension starts as its language server, always with `lsp --stdio`:
//   1. the workspace's own: aegis-workflows installed in a folder's node_modules (the version
//      the project pins, so the editor reports what its builds report), or the folder being
//      aegis's checkout itself;
//   2. else the `aegis.server.path` setting;
//   3. else the copy of aegis's command line bundled in the extension (server/bin/aegis.js).
// No vscode import here, so that the tests can run it.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";

export const serverArgs = ["lsp", "--stdio"];

export interface ServerCommand {
  command: string;
  args: string[];
  /** Run through a shell: on Windows only an .exe spawns directly (not aegis.cmd, nor a bare name). */
  shell: boolean;
  /** For the output channel: which server this is, and where it was found. */
  description: string;
}

export interface ServerSearch {
  /** The workspace folders' paths, in order. */
  folders: readonly string[];
  /** The `aegis.server.path` setting ("" when not set). */
  configuredPath: string;
  /** The extension's own directory (its server/ holds the bundled aegis). */
  extensionPath: string;
  /** The program that runs aegis's JavaScript entry: node, from the PATH. */
  node?: string;
  platform?: NodeJS.Platform;
}

const scriptExtension = /\.(?:js|cjs|mjs)$/;

export function findServer(search: ServerSearch): ServerCommand {
  const node = search.node ?? "node";
  const platform = search.platform ?? process.platform;
  const withNode = (script: string, description: string): ServerCommand => ({
    command: node,
    args: [script, ...serverArgs],
    shell: false,
    description: `${description}: ${node} ${script} ${serverArgs.join(" ")}`,
  });

  for (const folder of search.folders) {
    const installed = join(folder, "node_modules", "aegis-workflows", "bin", "aegis.js");
    if (existsSync(installed)) return withNode(installed, "the workspace's aegis-workflows");
    const linked = join(
      folder,
      "node_modules",
      ".bin",
      platform === "win32" ? "aegis.cmd" : "aegis",
    );
    if (existsSync(linked))
      return direct(linked, "the workspace's node_modules/.bin/aegis", platform);
    if (isAegisCheckout(folder))
      return withNode(join(folder, "bin", "aegis.js"), "the workspace's aegis checkout");
  }

  const configured = search.configuredPath.trim();
  if (configured) {
    const path = expandPath(configured, search.folders[0]);
    return scriptExtension.test(path)
      ? withNode(path, "aegis.server.path")
      : direct(path, "aegis.server.path", platform);
  }

  return withNode(
    join(search.extensionPath, "server", "bin", "aegis.js"),
    "the aegis bundled with the extension",
  );
}

function direct(path: string, description: string, platform: NodeJS.Platform): ServerCommand {
  return {
    command: path,
    args: [...serverArgs],
    shell: platform === "win32" && !/\.exe$/i.test(path),
    description: `${description}: ${path} ${serverArgs.join(" ")}`,
  };
}

/** A folder that is aegis's own repository (package.json named aegis-workflows, bin/aegis.js). */
function isAegisCheckout(folder: string): boolean {
  if (!existsSync(join(folder, "bin", "aegis.js"))) return false;
  try {
    const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
    return manifest?.name === "aegis-workflows";
  } catch {
    return false;
  }
}

/**
 * `~/…` from the home directory, a relative path from the first workspace folder; a bare name
 * (`aegis`) is left to the PATH.
 */
function expandPath(path: string, folder: string | undefined): string {
  if (path === "~" || path.startsWith("~/")) return join(homedir(), path.slice(1));
  if (isAbsolute(path) || !folder || !/[\\/]/.test(path)) return path;
  return resolve(folder, path);
}
