// Which aegis the VS Code extension starts (editors/vscode/src/server-command.ts): the
// workspace's own, else the aegis.server.path setting, else the bundled copy; always with
// `lsp --stdio`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findServer } from "../../editors/vscode/src/server-command.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-vscode-server-"));
const extensionPath = join(dir, "extension");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string> = {}): string {
  const path = join(dir, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(path, file)), { recursive: true });
    writeFileSync(join(path, file), text);
  }
  mkdirSync(path, { recursive: true });
  return path;
}

const search = { extensionPath, node: "node", platform: "linux" as const };

describe("findServer", () => {
  it("starts the workspace's installed aegis-workflows with node", () => {
    const plain = folder("plain");
    const project = folder("project", { "node_modules/aegis-workflows/bin/aegis.js": "" });
    const server = findServer({ ...search, folders: [plain, project], configuredPath: "/x/aegis" });
    expect(server).toMatchObject({
      command: "node",
      args: [join(project, "node_modules/aegis-workflows/bin/aegis.js"), "lsp", "--stdio"],
      shell: false,
    });
    expect(server.description).toContain("the workspace's aegis-workflows");
  });

  it("starts node_modules/.bin/aegis directly (through a shell on Windows: aegis.cmd)", () => {
    const linked = folder("linked", {
      "node_modules/.bin/aegis": "",
      "node_modules/.bin/aegis.cmd": "",
    });
    expect(findServer({ ...search, folders: [linked], configuredPath: "" })).toMatchObject({
      command: join(linked, "node_modules/.bin/aegis"),
      args: ["lsp", "--stdio"],
      shell: false,
    });
    expect(
      findServer({ ...search, platform: "win32", folders: [linked], configuredPath: "" }),
    ).toMatchObject({ command: join(linked, "node_modules/.bin/aegis.cmd"), shell: true });
  });

  it("starts aegis's own checkout from its bin/aegis.js", () => {
    const checkout = folder("checkout", {
      "package.json": JSON.stringify({ name: "aegis-workflows" }),
      "bin/aegis.js": "",
    });
    const other = folder("other", {
      "package.json": JSON.stringify({ name: "something-else" }),
      "bin/aegis.js": "",
    });
    expect(findServer({ ...search, folders: [other, checkout], configuredPath: "" }).args).toEqual([
      join(checkout, "bin/aegis.js"),
      "lsp",
      "--stdio",
    ]);
  });

  it("else starts aegis.server.path: an executable directly, a script with node", () => {
    const plain = folder("plain");
    const folders = [plain];
    expect(
      findServer({ ...search, folders, configuredPath: "/opt/aegis/bin/aegis" }),
    ).toMatchObject({ command: "/opt/aegis/bin/aegis", args: ["lsp", "--stdio"], shell: false });
    expect(findServer({ ...search, folders, configuredPath: "tools/aegis.js" })).toMatchObject({
      command: "node",
      args: [join(plain, "tools/aegis.js"), "lsp", "--stdio"],
    });
    expect(findServer({ ...search, folders, configuredPath: "~/bin/aegis" }).command).toBe(
      join(homedir(), "bin/aegis"),
    );
    // A bare name is the PATH's.
    expect(findServer({ ...search, folders, configuredPath: " aegis " }).command).toBe("aegis");
    const server = findServer({ ...search, folders, configuredPath: "/opt/aegis/bin/aegis" });
    expect(server.description).toContain("aegis.server.path");
  });

  it("else starts the aegis bundled in the extension, with node", () => {
    const server = findServer({ ...search, folders: [folder("plain")], configuredPath: "" });
    expect(server).toMatchObject({
      command: "node",
      args: [join(extensionPath, "server/bin/aegis.js"), "lsp", "--stdio"],
      shell: false,
    });
    expect(server.description).toContain("bundled");
    expect(findServer({ ...search, folders: [], configuredPath: "" }).args[0]).toBe(
      join(extensionPath, "server/bin/aegis.js"),
    );
  });
});
