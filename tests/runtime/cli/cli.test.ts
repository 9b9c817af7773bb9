// The run commands of the real command line, in child processes: run → waiting → signal →
// succeeded with the dev_pipeline example and its local agents; status, list and logs;
// rejection with feedback; cancel; exit codes; errors that say what is wrong, with a code
// and without a stack trace.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../../../src/runtime/store/types.ts";
import type { RunObservation, RunRecord } from "../../../src/runtime/types.ts";
import { aegis, agentCalls, json, LOCAL_AGENTS, PIPELINE, tempDir } from "./helpers.ts";

const noStack = /\n\s+at .+:\d+:\d+/;

function start(dir: string, id: string, extra: string[] = []) {
  return aegis(dir, [
    "run",
    PIPELINE,
    "--agents",
    LOCAL_AGENTS,
    "--param",
    "task=a word counter",
    "--id",
    id,
    "--store",
    "runs",
    ...extra,
  ]);
}

describe("aegis run / signal / status / logs / list", () => {
  it("runs the dev pipeline to its gate, and a signal from the command line finishes it", () => {
    const dir = tempDir();
    const log = join(dir, "agents.log");
    const run = aegis(
      dir,
      [
        "run",
        PIPELINE,
        "--agents",
        LOCAL_AGENTS,
        "--param",
        "task=a word counter",
        "--id",
        "demo",
        "--store",
        "runs",
      ],
      { AEGIS_AGENT_LOG: log },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("run demo (dev_pipeline) started");
    expect(run.stdout).toContain("REQUIREMENTS succeeded");
    expect(run.stdout).toContain("⏸ run demo is waiting for a human at APPROVE");
    expect(run.stdout).toContain("Requirements for a word counter:");
    expect(run.stdout).toContain(
      'answer with `aegis signal demo --store runs --approve` or `aegis signal demo --store runs --reject --feedback "…"`',
    );

    const status = aegis(dir, ["status", "demo", "--store", "runs"]);
    expect(status.status).toBe(0);
    expect(status.stdout).toMatch(/status +waiting for a human at APPROVE since/);
    expect(status.stdout).toMatch(/REQUIREMENTS +succeeded/);
    expect(status.stdout).toMatch(/APPROVE +waiting/);

    const listed = aegis(dir, ["list", "--store", "runs"]);
    expect(listed.stdout).toMatch(
      /^RUN +WORKFLOW +STATUS +UPDATED\ndemo +dev_pipeline +waiting at APPROVE +\S+\n$/,
    );

    // The gate holds no process: the signal is a new one, and needs no --agents again.
    const signal = aegis(
      dir,
      ["signal", "demo", "--approve", "--store", "runs", "--approver", "ana"],
      {
        AEGIS_AGENT_LOG: log,
      },
    );
    expect(signal.stderr).toBe("");
    expect(signal.status).toBe(0);
    expect(signal.stdout).toContain("approved demo");
    for (const state of ["IMPLEMENT", "TEST", "AUDIT", "REVIEW"]) {
      expect(signal.stdout).toContain(`${state} succeeded`);
    }
    expect(signal.stdout).toContain("✓ run demo succeeded");
    expect(signal.stdout).toContain(
      '"reasoning": "Meets the requirements, with tests for the edge cases."',
    );
    // The parallel audit counts its judges as they answer.
    expect(
      signal.stdout.split("\n").filter((l) => l.startsWith("AUDIT ") && /judges$/.test(l)),
    ).toEqual(["AUDIT 1/3 judges", "AUDIT 2/3 judges", "AUDIT 3/3 judges"]);
    // A finished run has nothing to resume: one line, exit 1 (the wrong state, as cancel's).
    const resume = aegis(dir, ["resume", "demo", "--store", "runs"]);
    expect(resume.status).toBe(1);
    expect(resume.stdout).toBe("");
    expect(resume.stderr).toBe(
      "aegis: error[not-resumable]: run 'demo' has already succeeded; there is nothing to resume\n",
    );

    const record = json<RunRecord & { owner?: unknown }>(
      aegis(dir, ["status", "demo", "--json", "--store", "runs"]).stdout,
    );
    expect(record.status).toBe("succeeded");
    expect(record.owner).toBeUndefined();
    expect(record.results.APPROVE).toMatchObject({ approved: true, approver: "ana" });
    expect(aegis(dir, ["status", "demo", "--store", "runs"]).stdout).toMatch(
      /\n {2}APPROVE +approved +\S+ {2}by ana\n/,
    );
    expect(record.results.TEST).toMatchObject({ exit_code: 0 });
    expect(record.results.TEST?.stdout).toContain("3 passed, 0 failed");
    expect(record.results.AUDIT?.consensus?.reached).toBe(true);
    expect(record.agentCalls).toBe(6);
    // Every agent was called once, each with its own idempotency key.
    const calls = agentCalls(log);
    expect(calls.map((c) => c.agent).sort()).toEqual([
      "coder",
      "performance-reviewer",
      "planner",
      "reviewer",
      "security-reviewer",
      "style-reviewer",
    ]);
    expect(new Set(calls.map((c) => c.key)).size).toBe(calls.length);
    expect(calls[0]!.key).toBe("demo:REQUIREMENTS:1:1");

    const logs = aegis(dir, ["logs", "demo", "--store", "runs"]);
    expect(logs.status).toBe(0);
    // Each line begins with when it happened; the gate's says who answered it, and when.
    const stamp = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) {2}/;
    const stamped = logs.stdout.trim().split("\n");
    for (const line of stamped) expect(line).toMatch(stamp);
    const lines = stamped.map((l) => l.replace(stamp, ""));
    expect(lines[0]).toBe("run demo (dev_pipeline) started");
    expect(lines).toContain("  REQUIREMENTS │ Requirements for a word counter:");
    expect(lines.find((l) => l.startsWith("APPROVE waits for a human"))).toBeDefined();
    const answer = stamped.find((l) => l.includes("APPROVE approved"))!;
    const when = stamp.exec(answer)![1]!;
    expect(answer).toMatch(
      new RegExp(`^${when} {2}APPROVE approved by ana at ${when} \\(after [0-9.]+m?s\\)$`),
    );
    // The time the run recorded the answer at.
    expect(when).toBe(
      record.history.find((h) => h.state === "APPROVE" && h.status === "succeeded")?.at,
    );
    expect(lines).toContain("AUDIT 3/3 judges");
    expect(lines.at(-1)).toBe("run demo succeeded");
    const events = aegis(dir, ["logs", "demo", "--json", "--store", "runs"])
      .stdout.trim()
      .split("\n")
      .map((l) => json<RunObservation>(l));
    expect(events[0]).toMatchObject({ type: "run-started", run: "demo", workflow: "dev_pipeline" });
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "succeeded" });
    // Following a finished run prints its log and ends.
    expect(aegis(dir, ["logs", "demo", "--follow", "--store", "runs"]).stdout).toBe(logs.stdout);

    const runs = json<RunSummary[]>(aegis(dir, ["list", "--json", "--store", "runs"]).stdout);
    expect(runs).toMatchObject([{ id: "demo", workflow: "dev_pipeline", status: "succeeded" }]);
  });

  it("takes a rejection's feedback back to the planner, which waits for approval again", () => {
    const dir = tempDir();
    expect(start(dir, "r").status).toBe(0);
    const reject = aegis(dir, [
      "signal",
      "r",
      "--reject",
      "--feedback",
      "count lines too",
      "--store",
      "runs",
    ]);
    expect(reject.status).toBe(0);
    expect(reject.stdout).toContain("rejected r with feedback: count lines too");
    expect(reject.stdout).toContain("REQUIREMENTS started (visit 2)");
    expect(reject.stdout).toContain("⏸ run r is waiting for a human at APPROVE");
    expect(reject.stdout).toContain("4. As the reviewer asked: count lines too");
    const record = json<RunRecord>(aegis(dir, ["status", "r", "--json", "--store", "runs"]).stdout);
    expect(record.visits).toMatchObject({ REQUIREMENTS: 2, APPROVE: 2 });
    expect(record.feedback.REQUIREMENTS).toBe("count lines too");
  });

  it("prints the run's events as JSON lines with --json", () => {
    const dir = tempDir();
    const run = start(dir, "j", ["--json"]);
    expect(run.status).toBe(0);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((l) => json<RunObservation>(l));
    expect(events.map((e) => e.type)).toEqual([
      "run-started",
      "state-entered",
      "state-output",
      "state-completed",
      "transition",
      "state-entered",
      "waiting-for-human",
    ]);
  });

  it("runs a compiled graph (aegis compile --out) without its source", () => {
    const dir = tempDir();
    expect(aegis(dir, ["compile", "--out", "graph.json", PIPELINE]).status).toBe(0);
    const run = aegis(dir, [
      "run",
      "graph.json",
      "--agents",
      LOCAL_AGENTS,
      "--param",
      "task=x",
      "--id",
      "g",
    ]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("⏸ run g is waiting for a human at APPROVE");
    writeFileSync(
      join(dir, "tampered.json"),
      readFileSync(join(dir, "graph.json"), "utf8").replace("npm test", "rm -rf /"),
    );
    const tampered = aegis(dir, ["run", "tampered.json", "--param", "task=x"]);
    expect(tampered.status).toBe(2);
    expect(tampered.stderr).toMatch(
      /^aegis: error\[invalid-workflow\]: the graph cannot be loaded: content hash mismatch/,
    );
  });

  it("uses the default store .aegis/runs under the current directory", () => {
    const dir = tempDir();
    const run = aegis(dir, [
      "run",
      PIPELINE,
      "--agents",
      LOCAL_AGENTS,
      "--param",
      "task=x",
      "--id",
      "d",
    ]);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("`aegis signal d --approve`");
    expect(readFileSync(join(dir, ".aegis/runs/d/record.json"), "utf8")).toContain(
      '"status": "waiting"',
    );
    expect(aegis(dir, ["status", "d"]).status).toBe(0);
  });

  it("cancels a waiting run, saying why once; cancel, signal and resume then exit 1", () => {
    const dir = tempDir();
    expect(start(dir, "c").status).toBe(0);
    const cancel = aegis(dir, ["cancel", "c", "--store", "runs", "--reason", "not needed"]);
    expect(cancel.status).toBe(0);
    expect(cancel.stdout).toBe("run c cancelled: not needed (it was at APPROVE)\n");
    const status = aegis(dir, ["status", "c", "--store", "runs"]);
    expect(status.stdout).toContain("  status    cancelled: not needed\n");
    expect(status.stdout).not.toContain("cancelled: cancelled");
    // The gate it waited at is where it was cancelled.
    expect(status.stdout).toMatch(/\n {2}APPROVE +cancelled +\S+\n/);
    expect(status.stdout).toContain("✗ run c cancelled: not needed\n");
    const logs = aegis(dir, ["logs", "c", "--store", "runs"]);
    expect(logs.stdout.trim().split("\n").at(-1)).toMatch(/ {2}run c cancelled: not needed$/);
    // The wrong state for the command: 1 for each (as the Temporal CLI), one line on stderr.
    const again = aegis(dir, ["cancel", "c", "--store", "runs"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe(
      "aegis: error[not-cancellable]: run 'c' has already been cancelled; there is nothing to cancel\n",
    );
    const signal = aegis(dir, ["signal", "c", "--approve", "--store", "runs"]);
    expect(signal.status).toBe(1);
    expect(signal.stderr).toBe(
      "aegis: error[not-waiting]: run 'c' is not waiting for a human: it has cancelled (at APPROVE)\n",
    );
    const resume = aegis(dir, ["resume", "c", "--store", "runs"]);
    expect(resume.status).toBe(1);
    expect(resume.stdout).toBe("");
    expect(resume.stderr).toBe(
      "aegis: error[not-resumable]: run 'c' has already been cancelled; there is nothing to resume\n",
    );
  });

  it("cancel without a reason says who cancelled", () => {
    const dir = tempDir();
    expect(start(dir, "u").status).toBe(0);
    const cancel = aegis(dir, ["cancel", "u", "--store", "runs"], { USER: "carol" });
    expect(cancel.status).toBe(0);
    expect(cancel.stdout).toBe("run u cancelled by carol (it was at APPROVE)\n");
    const status = aegis(dir, ["status", "u", "--store", "runs"]);
    expect(status.stdout).toContain("  status    cancelled by carol\n");
  });
});

describe("exit codes and errors", () => {
  const failing = `
workflow failing {
  agent broken = command("echo 'something went wrong' >&2; exit 3")
  start WORK
  state WORK = agent broken timeout 1m {
    prompt "work"
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

  it("a run that fails exits 1 and says where and why", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "failing.aegis"), failing);
    const run = aegis(dir, ["run", "failing.aegis", "--id", "f"]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain("WORK failed");
    expect(run.stdout).toMatch(
      /✗ run f failed at FAILED: the run ended at 'FAILED', a failure state \[final-failure\]/,
    );
    expect(run.stderr).toBe("");
  });

  it("a workflow with an agent without a provider is refused before it starts: exit 2, nothing stored", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "missing.aegis"),
      `workflow missing {
  agent helper
  start WORK
  state WORK = agent helper timeout 1m {
    prompt "work"
    on success -> DONE
  }
  final DONE
}
`,
    );
    const run = aegis(dir, ["run", "missing.aegis", "--id", "m", "--store", "runs"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^aegis: error\[agent-no-provider\]: workflow 'missing' cannot start: agent 'helper' has no provider \(state WORK\): give it one in an agents file \(aegis run --agents FILE/,
    );
    expect(run.stderr).not.toMatch(noStack);
    expect(aegis(dir, ["list", "--store", "runs"]).stdout).toBe("no runs in runs\n");
    // The same workflow with an agents file runs.
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({ agents: { helper: { provider: "command", command: "echo done" } } }),
    );
    const ok = aegis(dir, ["run", "missing.aegis", "--id", "m2", "--agents", "agents.json"]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain("✓ run m2 succeeded");
  });

  it("invalid inputs: exit 2, every problem with its input, no stack", () => {
    const dir = tempDir();
    const run = aegis(dir, [
      "run",
      PIPELINE,
      "--input",
      '{"language":"go","colour":"red"}',
      "--store",
      "runs",
    ]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "aegis: error[invalid-inputs]: invalid inputs for workflow 'dev_pipeline' (3 problems):\n" +
        "  - task: is required\n" +
        "  - colour: is not an input of this workflow (its inputs: task, language)\n" +
        '  - language: must be one of "python", "typescript", "rust" (got "go")\n',
    );
    const notJson = aegis(dir, ["run", PIPELINE, "--input", "{task:", "--store", "runs"]);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/^aegis: error\[invalid-inputs\]: --input is not valid JSON/);
    // Nothing was created.
    expect(aegis(dir, ["list", "--store", "runs"]).stdout).toBe("no runs in runs\n");
  });

  it("inputs from a file and --param, typed by the workflow's declarations", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "in.json"), JSON.stringify({ task: "from a file" }));
    const run = start(dir, "p", ["--input", "@in.json", "--param", "language=rust"]);
    expect(run.status).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", "p", "--json", "--store", "runs"]).stdout);
    // --param task=… from start() wins over the file.
    expect(record.inputs).toEqual({ task: "a word counter", language: "rust" });
  });

  it("a workflow with errors is refused with its diagnostics (exit 1)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bad.aegis"), "workflow bad {\n  start NOWHERE\n}\n");
    const run = aegis(dir, ["run", "bad.aegis"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("NOWHERE");
    expect(run.stderr).toContain("aegis: not running bad.aegis: it has");
    expect(run.stderr).not.toMatch(noStack);
    const missing = aegis(dir, ["run", "nope.aegis"]);
    expect(missing.status).toBe(2);
  });

  it("unknown runs, missing arguments and damaged journals: a message with a code, no stack", () => {
    const dir = tempDir();
    for (const command of ["status", "logs", "resume", "cancel"]) {
      const r = aegis(dir, [command, "ghost", "--store", "runs"]);
      expect(r.status, command).toBe(2);
      expect(r.stderr, command).toBe("aegis: error[run-not-found]: no run 'ghost' in runs\n");
    }
    const usage = aegis(dir, ["signal", "ghost"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("aegis: signal needs --approve, --reject or --response TEXT");
    const both = aegis(dir, ["signal", "ghost", "--approve", "--reject"]);
    expect(both.status).toBe(2);
    expect(both.stderr).toContain("aegis: signal takes --approve or --reject, not both");

    expect(start(dir, "k").status).toBe(0);
    const journal = join(dir, "runs/k/journal.jsonl");
    const lines = readFileSync(journal, "utf8").split("\n");
    writeFileSync(journal, [lines[0], "{broken", ...lines.slice(1)].join("\n"));
    const before = readFileSync(journal, "utf8");
    for (const args of [
      ["status", "k"],
      ["signal", "k", "--approve"],
      ["resume", "k"],
    ]) {
      const r = aegis(dir, [...args, "--store", "runs"]);
      expect(r.status, args[0]).toBe(2);
      expect(r.stderr, args[0]).toMatch(
        /^aegis: error\[journal-corrupt\]: the journal \S+runs\/k\/journal.jsonl is damaged at line 2 of 3: /,
      );
      expect(r.stderr).not.toMatch(noStack);
    }
    expect(readFileSync(journal, "utf8")).toBe(before);
    const listed = aegis(dir, ["list", "--store", "runs"]);
    expect(listed.stdout).toContain("unreadable: journal-corrupt");
  });

  it("a bad agents file is refused before anything runs", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({ agents: { coder: { provider: "telepathy" } } }),
    );
    const run = aegis(dir, ["run", PIPELINE, "--param", "task=x", "--agents", "agents.json"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("error[agents-file]");
    expect(run.stderr).toContain('agents.coder.provider: unknown provider "telepathy"');
  });
});
