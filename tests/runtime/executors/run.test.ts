// Run states: shell lines and argument vectors with rendered templates, env, workdir,
// exit codes, streamed output, timeouts that kill the tree, and what earlier states left.
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { agentPath, alive, eventually, harness, q, tempDir } from "./helpers.ts";

function workflow(state: string, body = ""): string {
  return `workflow t {
  input name: string = "world"
  input count: integer = 2
  start R
  state R = ${state} {
${body}
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
}

describe("run states", () => {
  it("runs a shell line with rendered templates and env", async () => {
    const source = workflow(
      'run "echo hello {{quote input.name}} $GREETING {{input.count}}" timeout 5s',
      '    env { GREETING: "hi {{input.name}}" }',
    );
    const h = harness(source, "R", { inputs: { name: "O'Brien; rm -rf /" } });
    const result = await h.run();
    expect(result).toMatchObject({
      status: "succeeded",
      exit_code: 0,
      stdout: "hello O'Brien; rm -rf / hi O'Brien; rm -rf / 2\n",
      output: "hello O'Brien; rm -rf / hi O'Brien; rm -rf / 2\n",
      stderr: "",
      agentCalls: 0,
    });
    expect(
      h.observations
        .filter((o) => o.type === "state-output")
        .map((o) => o.type === "state-output" && o.stream),
    ).toEqual(["stdout"]);
  });

  it("runs an argument vector without a shell, in workdir, with the run's ids in the environment", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "sub"));
    const source = workflow(
      `run [${q(agentPath("env-agent.js"))}, "{{input.name}}", "$HOME"] timeout 5s`,
      '    workdir "sub"\n    env { TEST_V: "v" }',
    );
    const result = await harness(source, "R", { inputs: { name: "a b" } }).run({ workspace: dir });
    expect(result.status).toBe("succeeded");
    const seen = JSON.parse(String(result.stdout)) as {
      args: string[];
      cwd: string;
      env: Record<string, string>;
    };
    expect(seen.args).toEqual(["a b", "$HOME"]);
    expect(seen.cwd).toBe(join(dir, "sub"));
    expect(seen.env).toMatchObject({
      TEST_V: "v",
      AEGIS_RUN_ID: "run-1",
      AEGIS_STATE: "R",
      AEGIS_IDEMPOTENCY_KEY: "run-1:R:1:1",
    });
  });

  it("fails on a non-zero exit, keeping stdout, stderr and exit_code", async () => {
    const result = await harness(
      workflow('run "echo out; echo err >&2; exit 7" timeout 5s'),
      "R",
    ).run();
    expect(result).toMatchObject({
      status: "failed",
      exit_code: 7,
      stdout: "out\n",
      stderr: "err\n",
      error: { code: "exit-code" },
    });
  });

  it("fails with exit code 127 when the program does not exist", async () => {
    const shell = await harness(workflow('run "no-such-program-xyz" timeout 5s'), "R").run();
    expect(shell).toMatchObject({ status: "failed", exit_code: 127 });
    const argv = await harness(workflow('run ["/no/such/program"] timeout 5s'), "R").run();
    expect(argv).toMatchObject({
      status: "failed",
      exit_code: 127,
      error: { code: "spawn-failed" },
    });
  });

  it("reads the results of earlier states", async () => {
    const source = `workflow t {
  start A
  state A = run "true" timeout 5s {
    on exit 0 -> B
    otherwise -> B
  }
  state B = run "echo {{quote A.stdout}} {{A.exit_code}}" timeout 5s {
    on exit 0 -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
    const result = await harness(source, "B", {
      results: { A: { stdout: "it's fine", exit_code: 0, output: "it's fine" } },
    }).run();
    expect(result.stdout).toBe("it's fine 0\n");
  });

  it("times out and kills the process tree", async () => {
    const pidFile = join(tempDir(), "pid");
    const source = workflow(
      // 20 s: a generous deadline for the agent and its grandchild to start, even on a
      // machine running two suites at once (3 s was not always enough).
      `run [${q(agentPath("grandchild-agent.js"))}] timeout 20s`,
      `    env { PID_FILE: ${q(pidFile)} }`,
    );
    const result = await harness(source, "R").run({ killGraceMs: 400 });
    expect(result).toMatchObject({
      status: "timed_out",
      error: { code: "timeout" },
      stdout: "waiting with a grandchild\n",
    });
    const grandchild = Number(readFileSync(pidFile, "utf8"));
    expect(await eventually(() => !alive(grandchild))).toBe(true);
  });

  it("is cancelled with the run", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await harness(workflow('run "sleep 300" timeout 10m'), "R", {
      signal: controller.signal,
    }).run({ killGraceMs: 300 });
    expect(result).toMatchObject({ status: "failed", error: { code: "cancelled" } });
    // Long before `sleep 300` would have ended by itself, however loaded the machine.
    expect(result.duration).toBeLessThan(150_000);
  });
});

describe("branch and final states", () => {
  it("a branch does nothing and succeeds", async () => {
    const source = `workflow t {
  input n: integer = 1
  start B
  state B = branch {
    on input.n > 0 -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
    expect(await harness(source, "B").run()).toMatchObject({
      status: "succeeded",
      agentCalls: 0,
      attempts: 1,
    });
  });

  it("a final state with an action runs it", async () => {
    const source = `workflow t {
  start F
  final F failure = run "echo reported" timeout 5s
}`;
    expect(await harness(source, "F").run()).toMatchObject({
      status: "succeeded",
      stdout: "reported\n",
    });
  });
});
