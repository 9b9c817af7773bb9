// Node binaries of a given version, for the tests that run aegis under the Node versions
// it supports (the oldest its "engines" allow, 22.13; 24) and under one it does not (20). Found on PATH (the machine's
// own Node is 20; the project's, node_modules/.bin/node, is 24); else installed once from
// the npm registry (the `node-<platform>-<arch>` package that the `node` package itself
// installs) into node_modules/.cache/aegis-tests/, where later runs find it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
const cache = join(root, "node_modules", ".cache", "aegis-tests");

function versionOf(node: string): string | undefined {
  const r = spawnSync(node, ["--version"], { encoding: "utf8", timeout: 60_000 });
  return r.status === 0 ? r.stdout.trim().replace(/^v/, "") : undefined;
}

/**
 * A Node binary whose version is `wanted` ("24": any 24.x; "22.13": any 22.13.x), and its
 * full version.
 */
export function nodeOf(wanted: string): { node: string; version: string } {
  const fits = (version: string | undefined): version is string =>
    version?.startsWith(`${wanted}.`) === true;
  const candidates = [
    join(root, "node_modules", ".bin", "node"),
    process.execPath,
    ...(process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, "node")),
    join(
      cache,
      `node-${wanted}`,
      "node_modules",
      `node-${process.platform}-${process.arch}`,
      "bin",
      "node",
    ),
  ];
  for (const node of candidates) {
    if (!existsSync(node)) continue;
    const version = versionOf(node);
    if (fits(version)) return { node, version };
  }
  install(wanted);
  const node = candidates.at(-1)!;
  const version = versionOf(node);
  if (!fits(version)) throw new Error(`installing Node ${wanted} gave ${version}`);
  return { node, version };
}

/** Installs Node `wanted` into the cache: in a directory of its own, then renamed into place. */
function install(wanted: string): void {
  mkdirSync(cache, { recursive: true });
  const staging = mkdtempSync(join(cache, `.node-${wanted}-`));
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(
    npm,
    [
      "install",
      "--prefix",
      staging,
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      `node-${process.platform}-${process.arch}@${wanted}`,
    ],
    { encoding: "utf8", timeout: 300_000 },
  );
  if (r.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`npm could not install Node ${wanted}: ${r.error ?? r.stderr}`);
  }
  try {
    renameSync(staging, join(cache, `node-${wanted}`));
  } catch {
    // Another run installed it first.
    rmSync(staging, { recursive: true, force: true });
  }
}
