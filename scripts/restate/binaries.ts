// Where the Restate binaries are. The npm package @restatedev/restate-server installs the
// server as a platform package (@restatedev/restate-server-linux-x64, …); its own `bin` is a
// Node wrapper, so spawning that would put a Node process between us and the server's PID
// (and signals sent to the PID would reach the wrapper). We run the platform binary itself.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

function packaged(name: "restate-server" | "restatectl"): string | undefined {
  try {
    return require.resolve(`@restatedev/${name}-${process.platform}-${process.arch}/bin/${name}`);
  } catch {
    return undefined;
  }
}

/** AEGIS_RESTATE_SERVER, else the binary npm installed, else `restate-server` on PATH. */
export function restateServerBinary(): string {
  return process.env.AEGIS_RESTATE_SERVER || packaged("restate-server") || "restate-server";
}

/** AEGIS_RESTATECTL, else the binary npm installed, else `restatectl` on PATH. */
export function restatectlBinary(): string {
  return process.env.AEGIS_RESTATECTL || packaged("restatectl") || "restatectl";
}
