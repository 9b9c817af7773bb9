// Terminal escape sequences in an agent's output (colours, clear screen, cursor moves, a
// window title, an OSC 52 clipboard write, a carriage return, a bidi override, a C1 CSI)
// never reach the user's terminal raw: `aegis run`, `aegis logs`, `aegis status` and the
// live progress print them as visible escapes. JSON output escapes them by itself.
//   npx vitest run tests/security/terminal.test.ts
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Progress, terminalSafe } from "../../src/cli/progress.ts";
import { aegis, tempDir } from "../runtime/cli/helpers.ts";
import { HOSTILE } from "./helpers.ts";

// Control characters a hostile text could use (newline and tab are text).
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const raw = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const workflow = `
workflow ansi "An agent that prints escape sequences" {
  agent a = command("node ${HOSTILE} ansi", output: "text")
  start ASK
  state ASK = agent a timeout 30s { prompt "answer" on success -> BAD on failure -> FAILED }
  state BAD = run "printf 'bad \\\\033]0;title\\\\007 \\\\033[2J'; exit 3" timeout 30s { on exit 0 -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;

describe("the command line", () => {
  it("run --verbose, logs and status show escapes, never raw control characters", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "ansi.aegis"), workflow);
    const run = aegis(dir, ["run", "ansi.aegis", "--id", "ansi", "--verbose", "--color"]);
    expect(run.status, run.stdout + run.stderr).toBe(1);
    // Our own colours are the only escapes: without them, nothing raw is left.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: aegis's own colour codes
    const own = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");
    expect(own(run.stdout)).not.toMatch(raw);
    expect(run.stdout).toContain("\\x1b[31mred\\x1b[0m");
    expect(run.stdout).toContain("\\x1b]0;pwned title\\x07");
    expect(run.stdout).toContain("\\u202eevil");
    expect(run.stdout).toContain("\\x9b31m");

    const logs = aegis(dir, ["logs", "ansi"]);
    expect(logs.status).toBe(0);
    expect(logs.stdout).not.toMatch(raw);
    expect(logs.stdout).toContain("\\x1b[2J\\x1b[H cleared");
    expect(logs.stdout).toContain("\\x0d overwritten");

    const status = aegis(dir, ["status", "ansi"]);
    expect(status.status).toBe(0);
    expect(status.stdout).not.toMatch(raw);

    const json = aegis(dir, ["logs", "ansi", "--json"]);
    expect(json.stdout.replace(/\n/g, "")).not.toMatch(raw);
    expect(json.stdout).toContain("\\u001b[31m");
  });
});

describe("the live progress on a terminal", () => {
  it("shows an agent's last line with its escapes visible", () => {
    let out = "";
    const p = new Progress({ mode: "tty", write: (t) => (out += t), run: "r", now: () => 0 });
    const at = "2025-01-01T00:00:00.000Z";
    p.observe({ type: "run-started", run: "r", workflow: "wf", at });
    p.observe({ type: "state-entered", run: "r", state: "ASK", visit: 1, at });
    p.observe({
      type: "state-output",
      run: "r",
      state: "ASK",
      stream: "agent",
      text: "\x1b]52;c;cHduZWQ=\x07 copied \x1b[1A\x1b[2K",
      at,
    });
    p.stop();
    // The progress's own cursor moves are "ESC [ N A CR ESC [ J"; nothing else is raw.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress's own codes
    const own = out.replace(/\x1b\[\d+A\r\x1b\[J/g, "");
    expect(own).not.toMatch(raw);
    expect(own).toContain("\\x1b]52;c;cHduZWQ=\\x07 copied \\x1b[1A\\x1b[2K");
  });

  it("terminalSafe keeps text, newlines, tabs and CRLF line ends", () => {
    expect(terminalSafe("a\tb\r\nc ünï 🙂")).toBe("a\tb\nc ünï 🙂");
    expect(terminalSafe("\x1b[31m\u202e\x9b\r")).toBe("\\x1b[31m\\u202e\\x9b\\x0d");
  });
});
