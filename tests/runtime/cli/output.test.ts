// What the run commands say (issue 13, item 5), through the real command line: a foreach's
// progress counted in plain lines and in the log, a rejection's line in `aegis logs` with
// who gave it and its feedback, and the exit codes of docs/cli.md's table agreeing with
// each command's own help.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunObservation } from "../../../src/runtime/types.ts";
import { aegis, json, ROOT, tempDir } from "./helpers.ts";

const fan = `
workflow fan {
  input items: list<string> "What to look at"
  agent looker = command("echo looked")
  start LOOK
  state LOOK = foreach item in input.items agent looker concurrency 4 timeout 5m {
    prompt "Look at {{item}}"
    on success -> CONFIRM
    on failure -> FAILED
  }
  state CONFIRM = human timeout 1h {
    prompt "Looked at {{LOOK.count}} items; go on?"
    on approved -> DONE
    on rejected -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

const stamp = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z {2}/;

describe("run-side output", () => {
  it("a foreach counts its items as they finish, at most about ten lines of them", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "fan.aegis"), fan);
    const items = Array.from({ length: 25 }, (_, i) => `i${i + 1}`);
    const run = aegis(dir, ["run", "fan.aegis", "--input", JSON.stringify({ items }), "--id", "f"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const counted = run.stdout.split("\n").filter((l) => / \d+\/25 items/.test(l));
    expect(counted).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 25].map((n) => `LOOK ${n}/25 items`));
    // The log has every count, as JSON lines; `aegis logs` the same lines as the run printed.
    const events = aegis(dir, ["logs", "f", "--json"])
      .stdout.trim()
      .split("\n")
      .map((l) => json<RunObservation>(l))
      .filter((o) => o.type === "state-progress");
    expect(events.map((o) => o.type === "state-progress" && o.done)).toEqual(
      Array.from({ length: 26 }, (_, i) => i),
    );
    expect(events.at(-1)).toMatchObject({ state: "LOOK", total: 25, failed: 0, unit: "items" });
    const logged = aegis(dir, ["logs", "f"])
      .stdout.trim()
      .split("\n")
      .map((l) => l.replace(stamp, ""))
      .filter((l) => / \d+\/25 items/.test(l));
    expect(logged).toEqual(counted);
  });

  it("aegis logs: a rejection says who rejected, when, and the feedback", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "fan.aegis"), fan);
    const items = ["a", "b"];
    expect(
      aegis(dir, ["run", "fan.aegis", "--input", JSON.stringify({ items }), "--id", "r"]).status,
    ).toBe(0);
    const reject = aegis(dir, ["signal", "r", "--reject", "--feedback", "too few"], {
      AEGIS_APPROVER: "bob",
    });
    expect(reject.status).toBe(1); // the run ends at its failure state
    const logs = aegis(dir, ["logs", "r"]).stdout.trim().split("\n");
    const line = logs.find((l) => l.includes("CONFIRM rejected"));
    expect(line).toMatch(/^(\S+) {2}CONFIRM rejected by bob at \1 \(after [0-9.hms]+\): too few$/);
    // Its completion adds nothing: the line above said it.
    expect(logs.some((l) => /CONFIRM succeeded/.test(l))).toBe(false);
    expect(logs.map((l) => l.replace(stamp, ""))).toContain("  → FAILED (rejected)");
  });

  it("docs/cli.md's table has every command, with the exit codes its help gives", () => {
    const doc = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
    const rows = new Map<string, Set<string>>();
    for (const line of doc.split("\n")) {
      const cells = line.split("|").map((c) => c.trim());
      if (cells.length !== 7 || !cells[1]!.startsWith("`")) continue;
      const codes = new Set(
        ["0", "1", "2", "130"].filter((_, i) => cells[i + 2] !== "—" && cells[i + 2] !== ""),
      );
      for (const name of cells[1]!.matchAll(/`([a-z-]+)`/g)) rows.set(name[1]!, codes);
    }
    const commands = ["compile", "graph", "fmt", "convert", "run", "signal", "resume"];
    commands.push("cancel", "status", "logs", "list", "serve", "deploy", "workflows");
    const helped = (command: string): Set<string> => {
      const help = aegis(ROOT, ["help", command]);
      expect(help.status).toBe(0);
      const text = help.stdout.slice(help.stdout.indexOf("Exit status:"));
      expect(text).not.toBe("");
      const codes = new Set(text.match(/\b(0|1|2|130)\b/g));
      if (/as for run/.test(text)) for (const code of helped("run")) codes.add(code);
      return codes;
    };
    for (const command of commands) {
      expect(rows.has(command), `docs/cli.md has a row for ${command}`).toBe(true);
      expect([...rows.get(command)!].sort(), command).toEqual([...helped(command)].sort());
    }
    expect(rows.has("check") && rows.has("ls")).toBe(true);
    // README points there.
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("(docs/cli.md#exit-status)");
  });
});
