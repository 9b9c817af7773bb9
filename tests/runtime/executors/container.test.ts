// Container and containers states. This machine has a docker client but no engine: the
// real docker is run to show that path honestly (container-runtime-unavailable). The
// arguments given to docker, output handlers, several containers and timeouts are tested
// with a fake docker client (tests/fixtures/agents/bin/docker) that records what it got.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runProcess } from "../../../src/runtime/process.ts";
import type { AgentInvocation } from "../../../src/runtime/types.ts";
import { FAKE_BIN, harness, tempDir } from "./helpers.ts";

const FAKE_DOCKER = join(FAKE_BIN, "docker");

const lint = `workflow t {
  input repo: string = "aegis"
  agent explainer
  storage { cache: {} }
  start LINT
  state LINT = container "rust:{{input.repo}}-1.75" timeout 20s {
    command ["cargo", "clippy", "--", "-D", "warnings"]
    workdir "/workspace"
    volumes { workspace: "/workspace", cache: { path: "/cache", read_only: true } }
    resources { cpu: 2, memory: "4Gi" }
    env { RUST_BACKTRACE: "1", REPO: "{{input.repo}}" }
    options { network_mode: "none", run_as_user: 1000, read_only_root_filesystem: true }
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

function withFakeDocker(mode: string): { log: string; restore: () => void } {
  const log = join(tempDir(), "docker.log");
  const saved = {
    FAKE_DOCKER_LOG: process.env.FAKE_DOCKER_LOG,
    FAKE_DOCKER_MODE: process.env.FAKE_DOCKER_MODE,
  };
  process.env.FAKE_DOCKER_LOG = log;
  process.env.FAKE_DOCKER_MODE = mode;
  return {
    log,
    restore: () => {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

function calls(log: string): { args: string[]; env: Record<string, string> }[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe("container states", () => {
  it("fails with container-runtime-unavailable on this machine (docker without an engine, or no docker)", async () => {
    const docker = await runProcess({
      command: { argv: ["docker", "version", "--format", "{{.Server.Version}}"] },
      timeoutMs: 20_000,
    });
    const engine = docker.status === "exited" && docker.exitCode === 0;
    const result = await harness(lint, "LINT").run();
    if (engine) {
      // A machine with a working engine: nothing to assert about unavailability.
      expect(result.error?.code).not.toBe("container-runtime-unavailable");
      return;
    }
    expect(result.status).toBe("failed");
    expect(result.error?.code).toBe("container-runtime-unavailable");
    expect(result.error?.message).toMatch(/docker/i);
  });

  it("fails with container-runtime-unavailable when the runtime is not installed", async () => {
    const result = await harness(lint, "LINT").run({ containerRuntime: "/nonexistent/docker" });
    expect(result).toMatchObject({
      status: "failed",
      error: { code: "container-runtime-unavailable" },
    });
    expect(result.error?.message).toContain("not installed");
  });

  it("recognises a daemon that cannot be reached", async () => {
    const fake = withFakeDocker("daemon");
    try {
      const result = await harness(lint, "LINT").run({ containerRuntime: FAKE_DOCKER });
      expect(result).toMatchObject({
        status: "failed",
        error: { code: "container-runtime-unavailable" },
      });
      expect(result.error?.message).toContain("Cannot connect to the Docker daemon");
    } finally {
      fake.restore();
    }
  });

  it("runs docker run --rm with the image, workdir, env, volumes, resources, options and command", async () => {
    const fake = withFakeDocker("ok");
    const workspace = tempDir();
    try {
      const result = await harness(lint, "LINT").run({ containerRuntime: FAKE_DOCKER, workspace });
      expect(result).toMatchObject({
        status: "succeeded",
        exit_code: 0,
        stdout: "hello from aegis-run-1-LINT-1\n",
      });
      const [call] = calls(fake.log);
      expect(call!.args).toEqual([
        "run",
        "--rm",
        "--name",
        "aegis-run-1-LINT-1",
        "--network",
        "none",
        "--user",
        "1000",
        "--read-only",
        "--cpus",
        "2",
        "--memory",
        "4g",
        "-w",
        "/workspace",
        "-e",
        "RUST_BACKTRACE",
        "-e",
        "REPO",
        "-v",
        `${workspace}:/workspace`,
        "-v",
        "aegis-run-1-cache:/cache:ro",
        "rust:aegis-1.75",
        "cargo",
        "clippy",
        "--",
        "-D",
        "warnings",
      ]);
      // env values travel in docker's environment, never on its command line
      expect(call!.env).toEqual({ RUST_BACKTRACE: "1", REPO: "aegis" });
    } finally {
      fake.restore();
    }
  });

  it("runs a command line with the image's shell (or options.shell)", async () => {
    const fake = withFakeDocker("ok");
    try {
      const source = (options: string) => `workflow t {
  start C
  state C = container "alpine" timeout 10s {
    command "echo $HOME && ls"
    ${options}
    on exit 0 -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
      await harness(source(""), "C").run({ containerRuntime: FAKE_DOCKER });
      await harness(source('options { shell: "bash -lc", name: "fixed" }'), "C").run({
        containerRuntime: FAKE_DOCKER,
      });
      const [plain, custom] = calls(fake.log);
      expect(plain!.args.slice(-4)).toEqual(["alpine", "sh", "-c", "echo $HOME && ls"]);
      expect(custom!.args.slice(0, 4)).toEqual(["run", "--rm", "--name", "fixed"]);
      expect(custom!.args.slice(-4)).toEqual(["alpine", "bash", "-lc", "echo $HOME && ls"]);
    } finally {
      fake.restore();
    }
  });

  it("fails on a non-zero exit, and the handler explains the output", async () => {
    const fake = withFakeDocker("fail");
    try {
      const source = `workflow t {
  agent explainer = function("explain")
  start LINT
  state LINT = container "rust:1.75" timeout 10s {
    command ["cargo", "clippy"]
    handler { agent: "explainer", prompt: "Explain these lints: {{output}}", timeout: 5s, required: true }
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
      const prompts: string[] = [];
      const result = await harness(source, "LINT", {
        functions: {
          explain: (inv: AgentInvocation) => {
            prompts.push(inv.prompt);
            return "two lints: unused variable, needless borrow";
          },
        },
      }).run({ containerRuntime: FAKE_DOCKER });
      expect(result).toMatchObject({
        status: "failed",
        exit_code: 3,
        stdout: "hello from aegis-run-1-LINT-1\n",
        output: "two lints: unused variable, needless borrow",
        agentCalls: 1,
        error: { code: "exit-code" },
      });
      expect(prompts).toEqual(["Explain these lints: hello from aegis-run-1-LINT-1\n"]);
    } finally {
      fake.restore();
    }
  });

  it("a required handler that fails fails the state", async () => {
    const fake = withFakeDocker("ok");
    try {
      const source = `workflow t {
  agent explainer = function("explain")
  start C
  state C = container "alpine" timeout 10s {
    handler { agent: "explainer", required: true }
    on exit 0 -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
      const result = await harness(source, "C", {
        functions: {
          explain: () => {
            throw new Error("no tokens left");
          },
        },
      }).run({ containerRuntime: FAKE_DOCKER });
      expect(result).toMatchObject({
        status: "failed",
        exit_code: 0,
        error: { code: "handler-failed" },
      });
      expect(result.error?.message).toContain("no tokens left");
    } finally {
      fake.restore();
    }
  });

  it("times out, and removes the container", async () => {
    const fake = withFakeDocker("hang");
    try {
      const source = `workflow t {
  start C
  state C = container "alpine" timeout 400ms {
    command ["sleep", "100"]
    on exit 0 -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
      const result = await harness(source, "C").run({
        containerRuntime: FAKE_DOCKER,
        killGraceMs: 300,
      });
      expect(result).toMatchObject({ status: "timed_out", error: { code: "timeout" } });
      const log = calls(fake.log);
      expect(log.at(-1)!.args).toEqual(["rm", "-f", "aegis-run-1-C-1"]);
    } finally {
      fake.restore();
    }
  });
});

describe("containers states", () => {
  const source = `workflow t {
  start MULTI
  state MULTI = containers timeout 10s {
    container build "rust:1.75" { command: ["cargo", "build"], env: { A: "1" }, workdir: "/w" }
    container lint "rust:1.75" { command: ["cargo", "clippy"] }
    container test "rust:1.75"
    options { network_mode: "none" }
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;

  it("runs every container; results by name; exit_code is the worst", async () => {
    const fake = withFakeDocker("fail-lint");
    try {
      const result = await harness(source, "MULTI").run({ containerRuntime: FAKE_DOCKER });
      expect(result.status).toBe("failed");
      expect(result.exit_code).toBe(3);
      expect(result.failed).toBe(1);
      expect((result as { succeeded?: number }).succeeded).toBe(2);
      expect(result.results).toEqual({
        build: {
          stdout: "hello from aegis-run-1-MULTI-1-build\n",
          stderr: "",
          exit_code: 0,
          success: true,
        },
        lint: {
          stdout: "hello from aegis-run-1-MULTI-1-lint\n",
          stderr: "",
          exit_code: 3,
          success: false,
        },
        test: {
          stdout: "hello from aegis-run-1-MULTI-1-test\n",
          stderr: "",
          exit_code: 0,
          success: true,
        },
      });
      expect(result.stdout).toContain("==> lint <==\nhello from aegis-run-1-MULTI-1-lint");
      expect(result.error?.message).toContain("lint (exit 3)");
      const log = calls(fake.log);
      expect(log).toHaveLength(3);
      const build = log.find((c) => c.args.includes("aegis-run-1-MULTI-1-build"))!;
      expect(build.args).toEqual([
        "run",
        "--rm",
        "--name",
        "aegis-run-1-MULTI-1-build",
        "--network",
        "none",
        "-w",
        "/w",
        "-e",
        "A",
        "rust:1.75",
        "cargo",
        "build",
      ]);
    } finally {
      fake.restore();
    }
  });

  it("succeeds when every container exits 0", async () => {
    const fake = withFakeDocker("ok");
    try {
      const result = await harness(source, "MULTI").run({ containerRuntime: FAKE_DOCKER });
      expect(result).toMatchObject({ status: "succeeded", exit_code: 0, failed: 0 });
    } finally {
      fake.restore();
    }
  });

  it("fails with container-runtime-unavailable without a runtime", async () => {
    const result = await harness(source, "MULTI").run({ containerRuntime: "/nonexistent/docker" });
    expect(result).toMatchObject({
      status: "failed",
      error: { code: "container-runtime-unavailable" },
    });
  });
});
