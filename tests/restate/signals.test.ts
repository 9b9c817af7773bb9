// A program that started Restate servers (startRestate) and is then interrupted or
// terminated takes its servers with it: they run in process groups of their own, and would
// otherwise outlive a test run stopped with Ctrl-C.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { isRunning } from "../../scripts/restate/processes.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const projectNode = join(root, "node_modules/.bin/node");
const node = existsSync(projectNode) ? projectNode : process.execPath;

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  it(`stops its servers on ${signal}`, async () => {
    const script = `
      const { startRestate } = await import(${JSON.stringify(join(root, "scripts/restate/restate.ts"))});
      const restate = await startRestate({});
      console.log(JSON.stringify({ pid: restate.nodes[0].pid, dir: restate.dir }));
      setInterval(() => {}, 1000);`;
    const child = spawn(node, ["--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const started = await new Promise<{ pid: number; dir: string }>((resolve, reject) => {
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        const line = text.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve(JSON.parse(line));
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} before starting: ${text}`)));
    });
    expect(isRunning(started.pid)).toBe(true);
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once("exit", (_code, how) => resolve(how)),
    );
    child.kill(signal);
    expect(await exited).toBe(signal);
    // Killed before the child ended; gone (not even a zombie) within a generous deadline.
    const deadline = Date.now() + 60_000;
    while (isRunning(started.pid) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(isRunning(started.pid)).toBe(false);
    // Its temporary directory went with it.
    expect(existsSync(started.dir)).toBe(false);
  });
}
