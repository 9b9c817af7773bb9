// Runs the bundled action (dist/index.js) as the runner does: a child process with the
// runner's environment, the event payload in a file, inputs as INPUT_* variables.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const root = resolve(import.meta.dirname, "../..");
const fixtures = join(root, "tests/action/fixtures");

// biome-ignore lint/suspicious/noExplicitAny: webhook payloads, edited freely by the tests
export function payload(name: "pull_request.opened" | "issue_comment.created"): any {
  return JSON.parse(readFileSync(join(fixtures, `${name}.json`), "utf8"));
}

export interface ActionResult {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** ms from spawn to the log line of the first running state, if any. */
  firstStateMs?: number;
}

let runCounter = 100;

export async function runAction(options: {
  api: string;
  event: string;
  payload: unknown;
  inputs?: Record<string, string>;
  runId?: string;
}): Promise<ActionResult> {
  const dir = mkdtempSync(join(tmpdir(), "aegis-action-"));
  const eventPath = join(dir, "event.json");
  writeFileSync(eventPath, JSON.stringify(options.payload));
  const outputPath = join(dir, "output");
  const summaryPath = join(dir, "summary");
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  const inputs = { workflow: "tests/action/fixtures/gate.aegis", ...options.inputs };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: "Codertocat/Hello-World",
    GITHUB_API_URL: options.api,
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_RUN_ID: options.runId ?? String(runCounter++),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_SHA: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
    RUNNER_TEMP: dir,
    "INPUT_GITHUB-TOKEN": "ghs_testtoken0123456789",
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] = value;
  const t0 = performance.now();
  let firstStateMs: number | undefined;
  const child = spawn(process.execPath, [join(root, "dist/index.js")], { cwd: root, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
    if (firstStateMs === undefined && /aegis: first state/.test(stdout))
      firstStateMs = performance.now() - t0;
  });
  child.stderr.on("data", (d) => (stderr += d));
  const code = await new Promise<number | null>((res) => child.on("close", res));
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputs(readFileSync(outputPath, "utf8")),
    summary: readFileSync(summaryPath, "utf8"),
    ...(firstStateMs !== undefined && { firstStateMs }),
  };
}

/** GITHUB_OUTPUT's `name<<DELIMITER\nvalue\nDELIMITER` entries. */
function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}
