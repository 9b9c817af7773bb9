// `aegis serve` as a child process (bin/aegis.js under the project's Node), for the tests of
// the server and of the CLI against it: started with --port 0, known by the URL it prints.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const bin = join(root, "bin", "aegis.js");
const projectNode = join(root, "node_modules", ".bin", "node");
export const node = existsSync(projectNode) ? projectNode : process.execPath;

/** The environment of a child: no colour, and no server or token from the caller's. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const key of ["NO_COLOR", "FORCE_COLOR", "AEGIS_SERVER", "AEGIS_TOKEN"]) {
    if (!(key in extra)) delete env[key];
  }
  return env;
}

export interface Served {
  url: string;
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Sends `signal` and waits for the exit: its code and signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `aegis serve --port 0 ARGS…` in `cwd`; resolves with its URL once it prints it. */
export function serve(cwd: string, args: string[] = []): Promise<Served> {
  const child = spawn(node, [bin, "serve", "--port", "0", ...args], { cwd, env: childEnv() });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once("exit", (code, signal) => done({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`aegis serve printed no URL in 120 s:\n${out}\n${err}`));
    }, 120_000);
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) {
        clearTimeout(deadline);
        resolve({
          url,
          process: child,
          stdout: () => out,
          stderr: () => err,
          stop: (signal = "SIGTERM") => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.stderr.on("data", (chunk: string) => {
      err += chunk;
    });
    void exited.then(({ code }) => {
      clearTimeout(deadline);
      reject(new Error(`aegis serve exited (${code}) before listening:\n${out}\n${err}`));
    });
  });
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** One `aegis` command, run to its end. */
export function aegis(cwd: string, args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(node, [bin, ...args], {
    cwd,
    encoding: "utf8",
    env: childEnv(env),
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asynchronous, so that a server in this process's event loop could answer it. */
export function aegisAsync(cwd: string, args: string[], env: Record<string, string> = {}) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(node, [bin, ...args], { cwd, env: childEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/**
 * The server tests' workflow: a release behind a human gate, its shell steps appending to
 * trace.txt in the server's working directory. `gate` adds lines to the gate (a default),
 * `inputs` declarations after `version`.
 */
export function releaseWorkflow(
  options: { timeout?: string; gate?: string; inputs?: string[] } = {},
): string {
  const inputs = ["version: string", ...(options.inputs ?? [])].map((i) => `  input ${i}\n`);
  return `workflow release {
${inputs.join("")}  start PREPARE
  state PREPARE = run "echo prepared {{quote input.version}} >> trace.txt" timeout 1m {
    on exit 0 -> APPROVE
    otherwise -> FAILED
  }
  state APPROVE = human timeout ${options.timeout ?? "1h"} {
    prompt "Ship {{input.version}}?"
${options.gate ? `    ${options.gate}\n` : ""}    on approved -> SHIP
    on rejected -> FAILED
  }
  state SHIP = run "echo shipped >> trace.txt" timeout 1m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
}

export interface Sse {
  id: number;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a run's SSE stream until `until` holds for an event (or the stream ends). */
export async function watch(
  url: string,
  until: (e: Sse) => boolean,
  headers: Record<string, string> = {},
  /** Called once the stream is open (its headers arrived). */
  opened?: () => void,
): Promise<Sse[]> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: "text/event-stream", ...headers },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toContain("text/event-stream");
  opened?.();
  const events: Sse[] = [];
  const decoder = new TextDecoder();
  let buffer = "";
  const reader = response.body!.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return events;
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf("\n\n");
        const field = (name: string) =>
          block
            .split("\n")
            .filter((l) => l.startsWith(`${name}:`))
            .map((l) => l.slice(name.length + 1).trimStart())
            .join("\n");
        if (!field("data")) continue; // a keep-alive comment
        const event = {
          id: Number(field("id")),
          event: field("event"),
          data: JSON.parse(field("data")),
        };
        events.push(event);
        if (until(event)) return events;
      }
    }
  } finally {
    controller.abort();
  }
}

export async function api(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown>; type: string }> {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined && { "content-type": "application/json" }),
      ...(token && { authorization: `Bearer ${token}` }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? JSON.parse(text) : {},
    type: response.headers.get("content-type") ?? "",
  };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * A server config (--config) with two tokens: alice (role "release"), who may answer the
 * release workflow's gates, and bob, who may not.
 */
export const releaseTeamConfig = {
  tokens: [
    { user: "alice", roles: ["release"], sha256: sha256("alice-token") },
    { user: "bob", roles: [], sha256: sha256("bob-token") },
  ],
  gates: { release: { roles: ["release"] } },
};
