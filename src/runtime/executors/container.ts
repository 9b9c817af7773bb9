// `container`: `docker run --rm` of the rendered image, with the state's workdir (-w), env
// (-e NAME, the values passed through docker's own environment so they never appear on a
// command line), volumes (`workspace` is the run's working copy, bind-mounted; other names
// are the run's named volumes aegis-RUN-NAME; `:ro` when read_only), resources (cpu →
// --cpus, memory → --memory), options (network_mode → --network, run_as_user → --user,
// read_only_root_filesystem → --read-only, name → --name, shell → the program that runs a
// command line, default `sh -c`), then the command. The container gets a name, so that a
// timeout or a cancellation can remove it (`docker rm -f`): killing the docker client
// alone would leave it running. When docker is not installed or its daemon cannot be
// reached, the state fails with "container-runtime-unavailable". A `handler` agent is
// then called with {{output}} = the container's stdout; its answer is the state's output
// (a failing handler fails the state only with `required: true`).
import type { CommandSpec, StateNode, TemplateRef } from "../../compiler/graph.ts";
import { type ProcessResult, runProcess } from "../process.ts";
import { shellCommand } from "../render.ts";
import { type Attempt, type Outcome, replyFields } from "./attempt.ts";
import { processOutcome, workspace } from "./run.ts";

export interface ContainerSpec {
  image: TemplateRef;
  command?: CommandSpec;
  env?: Record<string, TemplateRef>;
  workdir?: TemplateRef;
  volumes?: StateNode["volumes"];
}

export interface ContainerRun {
  result?: ProcessResult;
  /** Set when the container runtime cannot run containers here. */
  unavailable?: string;
  runtime: string;
}

const daemonDown =
  /cannot connect to the docker daemon|is the docker daemon running|error during connect|permission denied while trying to connect to the docker daemon|cannot connect to podman|unable to connect to podman/i;

export function containerRuntime(a: Attempt): string {
  return a.options.containerRuntime ?? process.env.AEGIS_CONTAINER_RUNTIME ?? "docker";
}

/** docker accepts b, k, m, g: "4Gi" → "4g", "512Mi" → "512m". */
function memory(value: unknown): string {
  const text = String(value).trim();
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT])i?B?$/i.exec(text);
  return m ? `${m[1]}${m[2]!.toLowerCase()}` : text;
}

function safeName(text: string): string {
  return (
    text
      .replace(/[^a-zA-Z0-9_.-]/g, "-")
      .replace(/^[^a-zA-Z0-9]+/, "")
      .slice(0, 120) || "aegis"
  );
}

/** The arguments of `docker run` and the environment that carries the env values. */
export function dockerArgs(
  a: Attempt,
  spec: ContainerSpec,
  name: string,
): { args: string[]; env: Record<string, string> } {
  const node = a.state;
  const options = node.options ?? {};
  const args = ["run", "--rm", "--name", name];
  const env: Record<string, string> = {};
  if (options.network_mode !== undefined) args.push("--network", String(options.network_mode));
  if (options.run_as_user !== undefined) args.push("--user", String(options.run_as_user));
  if (options.read_only_root_filesystem === true) args.push("--read-only");
  const resources = node.resources ?? {};
  if (resources.cpu !== undefined) args.push("--cpus", String(resources.cpu));
  if (resources.memory !== undefined) args.push("--memory", memory(resources.memory));
  if (spec.workdir) args.push("-w", a.ctx.render(spec.workdir));
  for (const [key, template] of Object.entries(spec.env ?? {})) {
    env[key] = a.ctx.render(template);
    args.push("-e", key);
  }
  for (const [volume, mount] of Object.entries(spec.volumes ?? {})) {
    const source =
      volume === "workspace" ? workspace(a) : safeName(`aegis-${a.ctx.run.id}-${volume}`);
    args.push("-v", `${source}:${mount.path}${mount.readOnly ? ":ro" : ""}`);
  }
  args.push(a.ctx.render(spec.image));
  if (spec.command) {
    if ("argv" in spec.command) args.push(...spec.command.argv.map((t) => a.ctx.render(t)));
    else {
      const shell =
        typeof options.shell === "string" && options.shell.trim()
          ? options.shell.trim().split(/\s+/)
          : ["sh"];
      args.push(
        ...shell,
        ...(shell.length === 1 ? ["-c"] : []),
        a.ctx.render(shellCommand(spec.command.shell)),
      );
    }
  }
  return { args, env };
}

/** Runs one container to its end; never throws. */
export async function runContainer(
  a: Attempt,
  spec: ContainerSpec,
  suffix = "",
): Promise<ContainerRun> {
  const runtime = containerRuntime(a);
  const options = a.state.options ?? {};
  const name =
    typeof options.name === "string" && !suffix
      ? options.name
      : safeName(
          `aegis-${a.ctx.run.id}-${a.state.name}-${a.ctx.attempt}${suffix ? `-${suffix}` : ""}`,
        );
  const { args, env } = dockerArgs(a, spec, name);
  const result = await runProcess({
    command: { argv: [runtime, ...args] },
    env,
    ...(a.environment && { baseEnv: a.environment }),
    signal: a.signal,
    killGraceMs: a.killGraceMs,
    onOutput: (stream, text) => a.emit(stream, text),
  });
  if (result.status === "spawn_failed") {
    const why =
      result.errorCode === "ENOENT"
        ? `the container runtime '${runtime}' is not installed (${result.error})`
        : `the container runtime '${runtime}' could not be started: ${result.error}`;
    return {
      runtime,
      unavailable: `${why}; container states need Docker (or set AEGIS_CONTAINER_RUNTIME)`,
    };
  }
  if (result.status === "exited" && result.exitCode === 125 && daemonDown.test(result.stderr)) {
    const line =
      result.stderr
        .split("\n")
        .find((l) => daemonDown.test(l))
        ?.trim() ?? result.stderr.trim();
    return { runtime, result, unavailable: `'${runtime}' cannot reach its daemon: ${line}` };
  }
  if (result.status === "timed_out" || result.status === "cancelled") {
    // The client is gone; the container may not be. Remove it (best effort).
    await runProcess({
      command: { argv: [runtime, "rm", "-f", name] },
      ...(a.environment && { baseEnv: a.environment }),
      timeoutMs: 10_000,
      killGraceMs: 1000,
    });
  }
  return { runtime, result };
}

export function unavailableOutcome(message: string): Outcome {
  return { status: "failed", error: { code: "container-runtime-unavailable", message } };
}

export async function executeContainer(a: Attempt): Promise<Outcome> {
  const node = a.state;
  if (!node.image)
    return {
      status: "failed",
      error: { code: "no-image", message: `state '${node.name}' has no image` },
    };
  const run = await runContainer(a, {
    image: node.image,
    ...(node.command && { command: node.command }),
    ...(node.env && { env: node.env }),
    ...(node.workdir && { workdir: node.workdir }),
    ...(node.volumes && { volumes: node.volumes }),
  });
  if (run.unavailable || !run.result)
    return unavailableOutcome(run.unavailable ?? "the container did not run");
  const outcome = processOutcome(a, run.result, `the container of '${node.name}'`);
  const handler = node.handler;
  if (!handler?.agent || run.result.status !== "exited") return outcome;

  const timeout = handler.options.timeout;
  const call = await a.callAgent({
    agent: handler.agent,
    prompt: a.render(handler.prompt ?? { text: "{{output}}" }, { output: run.result.stdout }),
    ...(typeof timeout === "number" && { timeoutMs: timeout }),
    key: "handler",
  });
  if (call.status === "succeeded") {
    const { output, score, confidence, reasoning } = replyFields(call.reply);
    return {
      ...outcome,
      output,
      ...(score !== undefined && { score }),
      ...(confidence !== undefined && { confidence }),
      ...(reasoning !== undefined && { reasoning }),
    };
  }
  if (handler.options.required === true && outcome.status === "succeeded") {
    return {
      ...outcome,
      status: call.status === "timed_out" ? "timed_out" : "failed",
      error: {
        code: "handler-failed",
        message: `the output handler failed: ${call.error?.message ?? call.status}`,
      },
    };
  }
  return outcome;
}
