// runProcess: shell lines and argument vectors, stdin, env, cwd, exit codes, streamed and
// bounded output, and stopping whole process trees on a timeout, a cancellation, or when
// the command exits leaving processes behind.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProcess } from "../../../src/runtime/process.ts";
import { agentPath, alive, eventually, tempDir } from "./helpers.ts";

describe("runProcess", () => {
  it("runs a shell line with stdin, env and cwd", async () => {
    const dir = tempDir();
    const result = await runProcess({
      command: { shell: 'read line; echo "$line/$TEST_X/$(pwd)"; echo oops >&2; exit 3' },
      input: "from stdin\n",
      env: { TEST_X: "env value" },
      cwd: dir,
    });
    expect(result.status).toBe("exited");
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toBe(`from stdin/env value/${dir}\n`);
    expect(result.stderr).toBe("oops\n");
  });

  it("runs an argument vector without a shell", async () => {
    const result = await runProcess({
      command: { argv: ["node", "-e", "console.log(process.argv[1])", "$HOME; echo no"] },
    });
    expect(result).toMatchObject({ status: "exited", exitCode: 0, stdout: "$HOME; echo no\n" });
  });

  it("gives an empty stdin when there is no input", async () => {
    const result = await runProcess({ command: { shell: "cat; echo done" } });
    expect(result.stdout).toBe("done\n");
  });

  it("streams output to the callback", async () => {
    const seen: string[] = [];
    const result = await runProcess({
      command: { shell: "echo one; echo two >&2" },
      onOutput: (stream, text) => seen.push(`${stream}:${text}`),
    });
    expect(result.status).toBe("exited");
    expect(seen.sort()).toEqual(["stderr:two\n", "stdout:one\n"]);
  });

  it("keeps only the last characters of a long output", async () => {
    const result = await runProcess({
      command: { argv: ["node", "-e", "process.stdout.write('a'.repeat(50000) + 'END')"] },
      maxOutput: 1000,
    });
    expect(result.truncated).toBe(true);
    expect(result.stdout).toHaveLength(1000);
    expect(result.stdout.endsWith("aEND")).toBe(true);
  });

  it("reports a program that cannot start, without throwing", async () => {
    const missing = await runProcess({ command: { argv: ["/no/such/program"] } });
    expect(missing).toMatchObject({ status: "spawn_failed", errorCode: "ENOENT" });
    expect(missing.error).toContain("/no/such/program");
    const noDir = await runProcess({ command: { shell: "true" }, cwd: "/no/such/dir" });
    expect(noDir.status).toBe("spawn_failed");
    expect(noDir.error).toContain("/no/such/dir");
  });

  it("kills the whole process tree on a timeout", async () => {
    const pidFile = join(tempDir(), "grandchild.pid");
    // The agent never ends by itself: that the call returns shows the timeout stopped it.
    // 3 s: time enough for the agent and its grandchild to start on a loaded machine.
    const result = await runProcess({
      command: { argv: [agentPath("grandchild-agent.js")] },
      env: { PID_FILE: pidFile },
      timeoutMs: 3000,
      killGraceMs: 500,
    });
    expect(result.status).toBe("timed_out");
    expect(result.stdout).toBe("waiting with a grandchild\n");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => !alive(grandchild))).toBe(true);
  });

  it("escalates to SIGKILL when SIGTERM is ignored", async () => {
    const pidFile = join(tempDir(), "hang.pid");
    const result = await runProcess({
      command: { argv: [agentPath("hang-agent.js"), "--ignore-term"] },
      env: { PID_FILE: pidFile },
      // Time enough for the agent to start and set its SIGTERM handler on a loaded machine.
      timeoutMs: 3000,
      killGraceMs: 300,
    });
    expect(result.status).toBe("timed_out");
    expect(result.signal).toBe("SIGKILL");
    expect(alive(Number(readFileSync(pidFile, "utf8")))).toBe(false);
  });

  it("stops the tree when the signal is aborted", async () => {
    const pidFile = join(tempDir(), "grandchild.pid");
    const controller = new AbortController();
    // Aborted once the grandchild exists (an event, not a delay that a loaded machine outlasts).
    void eventually(() => existsSync(pidFile)).then(() => controller.abort());
    const result = await runProcess({
      command: { shell: `${agentPath("grandchild-agent.js")}` },
      env: { PID_FILE: pidFile },
      signal: controller.signal,
      killGraceMs: 500,
    });
    expect(result.status).toBe("cancelled");
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => !alive(grandchild))).toBe(true);
  });

  it("does not start when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runProcess({
      command: { shell: "echo never" },
      signal: controller.signal,
    });
    expect(result).toMatchObject({ status: "cancelled", stdout: "" });
  });

  it("stops what a command leaves running when it exits", async () => {
    const pidFile = join(tempDir(), "grandchild.pid");
    const result = await runProcess({
      command: { argv: [agentPath("grandchild-agent.js"), "--exit"] },
      env: { PID_FILE: pidFile },
      killGraceMs: 500,
    });
    expect(result).toMatchObject({
      status: "exited",
      exitCode: 0,
      stdout: "left a grandchild behind\n",
    });
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => !alive(grandchild))).toBe(true);
  });

  it("does not wait for a background process holding its output open", async () => {
    const result = await runProcess({
      command: { shell: "sleep 300 & echo $!" },
      killGraceMs: 500,
    });
    expect(result).toMatchObject({ status: "exited", exitCode: 0 });
    // It returned without waiting the 300 s (a wait is a hang, which the test's deadline
    // catches: no clock is read here), and stopped what was left in the background.
    const background = Number(result.stdout.trim());
    expect(background).toBeGreaterThan(0);
    expect(await eventually(() => !alive(background))).toBe(true);
  });
});
