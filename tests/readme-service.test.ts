// The README's "As a service" block, run as written (but `npx aegis` is this checkout's
// bin/aegis.js, the server listens on a free port, and RUN_ID is the id `run` printed):
// serve, deploy, run by name to the gate, answer it, and the run ships.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { aegisAsync, root, type Served, serve } from "./server/serve.ts";

const readme = readFileSync(join(root, "README.md"), "utf8");
const section = readme.slice(readme.indexOf("## As a service"));
const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
/** Each command line of the block, without its comment. */
const commands = block
  .split("\n")
  .map((line) => line.replace(/\s+#.*$/, "").trim())
  .filter(Boolean);

let server: Served | undefined;
const data = mkdtempSync(join(tmpdir(), "aegis-readme-"));
afterAll(async () => {
  if (server && server.process.exitCode === null) await server.stop();
  rmSync(data, { recursive: true, force: true });
});

it("runs as the README shows: serve, deploy, run by name, signal", async () => {
  expect(commands[0]).toBe("npx aegis serve &");
  server = await serve(root, ["--data", data]);
  const env = { AEGIS_SERVER: server.url };
  let runId = "";
  for (const command of commands.slice(1)) {
    if (command.startsWith("claude ")) continue; // Claude Code is not here: tests/mcp covers aegis mcp
    expect(command.startsWith("npx aegis ")).toBe(true);
    const args = shellWords(command.slice("npx aegis ".length)).map((a) =>
      a === "RUN_ID" ? runId : a,
    );
    const r = await aegisAsync(root, args, env);
    if (args[0] === "run") {
      // Stops at its gate (exit 0), naming the run and how to answer it.
      expect(r.stdout + r.stderr).toMatch(/APPROVE/);
      runId = /aegis signal (\S+) --approve/.exec(r.stdout + r.stderr)?.[1] ?? "";
      expect(runId, r.stdout + r.stderr).not.toBe("");
    }
    expect(r.status, `${command}\n${r.stdout}\n${r.stderr}`).toBe(0);
  }
  const got = await fetch(`${server.url}/v1/runs/${runId}`);
  const body = (await got.json()) as { record: { status: string; output: string } };
  expect(body.record.status).toBe("succeeded");
  expect(body.record.output).toContain("shipped 1.4.2");
});

/** The words of a command line as sh reads them (single and double quotes, no expansions). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let word = "";
  let last = 0;
  for (const m of line.matchAll(re)) {
    if (m.index! > last && word !== "") {
      words.push(word);
      word = "";
    }
    word += m[1] ?? m[2] ?? m[3] ?? "";
    last = m.index! + m[0].length;
  }
  if (word !== "") words.push(word);
  return words;
}
