// The command `node scripts/restate/restate.ts start|status|stop`, with one real server:
// started, stopped by the PID it recorded, and started again from the same directory.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { isRunning } from "../../scripts/restate/processes.ts";
import type { RestateState } from "../../scripts/restate/restate.ts";

const script = join(import.meta.dirname, "../../scripts/restate/restate.ts");
const dir = mkdtempSync(join(tmpdir(), "aegis-restate-cli-"));

function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

afterAll(async () => {
  // Whatever a failed test left running, then the directory.
  if (existsSync(join(dir, "restate.json"))) await run("stop", "--dir", dir);
  rmSync(dir, { recursive: true, force: true });
});

it("prints its usage, and refuses a command without its directory", async () => {
  const help = await run("--help");
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("usage: node scripts/restate/restate.ts <command>");
  const stop = await run("stop");
  expect(stop.code).toBe(2);
  expect(stop.stderr).toContain("stop --dir DIR");
});

it("starts a server, reports it, stops it by PID, and starts it again from its directory", async () => {
  const started = await run("start", "--dir", dir);
  expect(started.stderr).toBe("");
  expect(started.code).toBe(0);
  const state = JSON.parse(started.stdout) as RestateState;
  expect(JSON.parse(readFileSync(join(dir, "restate.json"), "utf8"))).toEqual(state);
  const [node] = state.nodes;
  expect(node!.name).toBe("n1");
  expect(isRunning(node!.pid)).toBe(true);
  expect((await fetch(`${node!.ingressUrl}/restate/health`)).status).toBe(200);
  expect(readFileSync(node!.configFile, "utf8")).toContain(`base-dir = "${node!.baseDir}"`);

  const status = await run("status", "--dir", dir);
  const leaders = JSON.parse(status.stdout) as { running: string[]; leaders: object };
  expect(leaders.running).toEqual(["n1"]);
  expect(Object.values(leaders.leaders)).toEqual(Array(24).fill("n1"));

  // A second start of a running deployment is refused.
  const again = await run("start", "--dir", dir);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain("Restate already runs");

  expect(JSON.parse((await run("stop", "--dir", dir)).stdout)).toEqual({ stopped: ["n1"] });
  expect(isRunning(node!.pid)).toBe(false);

  // Started again: same configuration and ports, a new process.
  const restarted = JSON.parse((await run("start", "--dir", dir)).stdout) as RestateState;
  expect(restarted.nodes[0]!.ingressUrl).toBe(node!.ingressUrl);
  expect(restarted.nodes[0]!.pid).not.toBe(node!.pid);
  expect((await fetch(`${node!.adminUrl}/health`)).status).toBe(200);
  expect(JSON.parse((await run("stop", "--dir", dir)).stdout)).toEqual({ stopped: ["n1"] });
});
