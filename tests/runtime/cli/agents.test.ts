// Agents on the command line: an agents file that names an agent the workflow does not
// have refuses the run before anything runs or is stored (exit 2, "did you mean"), for
// run and signal alike; an agent that fails says why — the line of its stderr that names
// the error, not the tail of a Node stack trace — in the progress, the summary, `aegis
// status` and `aegis logs`.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outcomeText, Progress } from "../../../src/cli/progress.ts";
import { causeOf } from "../../../src/runtime/executors/attempt.ts";
import type { RunRecord } from "../../../src/runtime/types.ts";
import { aegis, json, tempDir } from "./helpers.ts";

const noStack = /\n\s+at .+:\d+:\d+/;

// The panel: without its security judge, min_judges 1 lets the style judge pass it.
const review = `workflow review {
  agent security_judge
  agent style_judge
  start MARK
  state MARK = run "echo started > ran.txt" timeout 1m { on exit 0 -> PANEL otherwise -> FAILED }
  state PANEL = parallel timeout 1m {
    judge security_judge weight 3 prompt "security"
    judge style_judge weight 1 prompt "style"
    consensus { strategy: weighted_average, threshold: 0.5, min_judges: 1 }
    on consensus -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

const judge = { provider: "command", command: "echo '{\"score\": 0.9}'", output: "json" };

// What `node agent.js` prints when it throws: the source line, a caret, the error, the
// stack (with node:internal frames) and Node's version footer.
const failingAgent = `const key = process.env.MISSING_KEY_FOR_TEST;
if (!key) throw new Error("ANTHROPIC_API_KEY is not set");
`;

const failing = `workflow keys {
  agent writer
  start WRITE
  state WRITE = agent writer timeout 1m {
    prompt "write"
    on success -> DONE
    on failure -> FAILED
  }
  final DONE
  final FAILED failure
}
`;

const cause = "agent 'writer' exited with code 1: Error: ANTHROPIC_API_KEY is not set [agent-exit]";

describe("agents files on the command line", () => {
  it("a misspelt agent is refused with did you mean, before anything runs or is stored (exit 2)", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "review.aegis"), review);
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({ agents: { securty_judge: judge, style_judge: judge } }),
    );
    const run = aegis(dir, ["run", "review.aegis", "--agents", "agents.json", "--store", "runs"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "aegis: error[agent-unknown]: the agents file agents.json: agent 'securty_judge' (did you mean 'security_judge'?) is given a provider but is not an agent of workflow 'review'; its agents are 'security_judge', 'style_judge'\n",
    );
    expect(existsSync(join(dir, "ran.txt"))).toBe(false);
    expect(existsSync(join(dir, "runs"))).toBe(false);

    // Spelt right, the same file runs the panel with both judges.
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({ agents: { security_judge: judge, style_judge: judge } }),
    );
    const ok = aegis(dir, ["run", "review.aegis", "--agents", "agents.json", "--id", "ok"]);
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    const record = json<RunRecord>(aegis(dir, ["status", "ok", "--json"]).stdout);
    expect(record.results.PANEL?.judges?.map((j) => j.status)).toEqual(["succeeded", "succeeded"]);
  });

  it("a judge left without a provider refuses the run (exit 2), naming the state", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "review.aegis"), review);
    writeFileSync(join(dir, "agents.json"), JSON.stringify({ agents: { style_judge: judge } }));
    const run = aegis(dir, ["run", "review.aegis", "--agents", "agents.json", "--store", "runs"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      "aegis: error[agent-no-provider]: workflow 'review' cannot start: agent 'security_judge' has no provider (state PANEL)",
    );
    expect(run.stderr).not.toMatch(noStack);
    expect(existsSync(join(dir, "ran.txt"))).toBe(false);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  });

  it("signal --agents with a misspelt agent is refused, and the run still waits", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "gated.aegis"),
      `workflow gated {
  agent worker = command("echo worked")
  start ASK
  state ASK = human timeout 1h { prompt "go?" on approved -> WORK on rejected -> DONE }
  state WORK = agent worker timeout 1m { prompt "x" on success -> DONE }
  final DONE
}
`,
    );
    expect(aegis(dir, ["run", "gated.aegis", "--id", "g"]).status).toBe(0);
    writeFileSync(join(dir, "typo.json"), JSON.stringify({ agents: { wroker: judge } }));
    const signal = aegis(dir, ["signal", "g", "--approve", "--agents", "typo.json"]);
    expect(signal.status).toBe(2);
    expect(signal.stderr).toContain(
      "aegis: error[agent-unknown]: the agents file typo.json: agent 'wroker' (did you mean 'worker'?) is given a provider but is not an agent of workflow 'gated'",
    );
    expect(json<RunRecord>(aegis(dir, ["status", "g", "--json"]).stdout).status).toBe("waiting");
  });
});

describe("a failing agent says why", () => {
  it("its error line, not Node's stack, in the progress, the summary, status and logs", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "keys.aegis"), failing);
    writeFileSync(join(dir, "agent.js"), failingAgent);
    writeFileSync(
      join(dir, "agents.json"),
      JSON.stringify({
        agents: { writer: { provider: "command", command: `"${process.execPath}" agent.js` } },
      }),
    );
    const run = aegis(dir, ["run", "keys.aegis", "--agents", "agents.json", "--id", "k"]);
    expect(run.status).toBe(1);
    // The progress line of the state, and the summary under the run's end.
    expect(run.stdout).toMatch(new RegExp(`\\nWRITE failed in \\S+: ${literal(cause)}\\n`));
    expect(run.stdout).toContain(
      `✗ run k failed at FAILED: the run ended at 'FAILED', a failure state [final-failure]\n  WRITE: ${cause}\n`,
    );
    const status = aegis(dir, ["status", "k"]);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain(`\n  WRITE: ${cause}\n`);
    const logs = aegis(dir, ["logs", "k"]);
    expect(logs.stdout).toMatch(
      new RegExp(`\\n\\S+ {2}WRITE failed in \\S+: ${literal(cause)}\\n`),
    );
    // The whole stderr is kept with the state's result, stack and all.
    const record = json<RunRecord>(aegis(dir, ["status", "k", "--json"]).stdout);
    expect(record.results.WRITE?.stderr).toMatch(/\n\s+at .*\nNode\.js v\d+/s);
    for (const text of [run.stdout, status.stdout, logs.stdout]) {
      expect(text).not.toMatch(/^\s+at /m);
      expect(text).not.toContain("Node.js v");
    }
  });

  it("on a terminal, the failed state's line ends with why", () => {
    let out = "";
    const p = new Progress({ mode: "tty", write: (t) => (out += t), run: "r", columns: () => 200 });
    const at = "2025-01-01T00:00:00.000Z";
    p.observe({ type: "state-entered", run: "r", state: "WRITE", visit: 1, at });
    p.observe({
      type: "state-output",
      run: "r",
      state: "WRITE",
      stream: "agent",
      text: "working",
      at,
    });
    p.observe({
      type: "state-completed",
      run: "r",
      state: "WRITE",
      status: "failed",
      duration: 1200,
      error: { code: "agent-exit", message: cause.replace(" [agent-exit]", "") },
      at,
    });
    p.stop();
    // What stays on screen once the live lines are erased: the state's line, with why.
    expect(out.split("\x1b[J").pop()).toBe(
      `  ✗ WRITE          failed 1.2s: ${cause.replace(" [agent-exit]", "")}\n`,
    );
  });

  it("the summary of a run that ended at a failure state names the state that failed", () => {
    const record = {
      id: "k",
      status: "failed",
      startedAt: "2025-01-01T00:00:00.000Z",
      updatedAt: "2025-01-01T00:00:01.000Z",
      visits: { WRITE: 1, FAILED: 1 },
      agentCalls: 1,
      costUsd: 0,
      results: {
        WRITE: {
          status: "failed",
          error: { code: "agent-exit", message: "agent 'writer' exited with code 1: boom" },
        },
      },
      history: [
        { seq: 1, state: "WRITE", status: "entered", at: "" },
        { seq: 2, state: "WRITE", status: "failed", at: "", to: "FAILED", label: "failure" },
        { seq: 2, state: "FAILED", status: "entered", at: "" },
      ],
      error: { code: "final-failure", message: "the run ended at 'FAILED'", state: "FAILED" },
    } as unknown as RunRecord;
    expect(outcomeText(record)).toBe(
      "✗ run k failed at FAILED: the run ended at 'FAILED' [final-failure]\n  WRITE: agent 'writer' exited with code 1: boom [agent-exit]\n",
    );
  });
});

describe("causeOf: the line of a failed program's stderr that says what went wrong", () => {
  it("takes the error line out of a Node stack trace", () => {
    const stderr = [
      "/tmp/agent.js:2",
      'if (!key) throw new Error("ANTHROPIC_API_KEY is not set");',
      "          ^",
      "",
      "Error: ANTHROPIC_API_KEY is not set",
      "    at Object.<anonymous> (/tmp/agent.js:2:17)",
      "    at Module._compile (node:internal/modules/cjs/loader:1730:14)",
      "    at node:internal/main/run_main_module:36:49",
      "",
      "Node.js v24.4.0",
      "",
    ].join("\n");
    expect(causeOf(stderr)).toBe("Error: ANTHROPIC_API_KEY is not set");
  });

  it("error classes, codes, other runtimes, warnings before the error", () => {
    expect(
      causeOf(
        '(node:12) ExperimentalWarning: this is experimental\n(Use `node --trace-warnings ...` to show where the warning was created)\nfile:///tmp/a.mjs:1\nTypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string\n    at x (file:///tmp/a.mjs:1:1)\n',
      ),
    ).toBe('TypeError [ERR_INVALID_ARG_TYPE]: The "path" argument must be of type string');
    expect(
      causeOf(
        'Traceback (most recent call last):\n  File "agent.py", line 3, in <module>\n    main()\nValueError: no model given\n',
      ),
    ).toBe("ValueError: no model given");
    expect(causeOf("error: unexpected argument '--effort' found\n\nUsage: tool [OPTIONS]\n")).toBe(
      "error: unexpected argument '--effort' found",
    );
  });

  it("else the first line that is not noise, nor the source quoted where it was thrown", () => {
    expect(
      causeOf(
        '/tmp/a.js:1\nthrow "no model given";\n^\nno model given\n(Use `node --trace-uncaught ...` to show where the exception was thrown)\n\nNode.js v24.4.0\n',
      ),
    ).toBe("no model given");
  });

  it("else the first line that is not noise; nothing when there is none", () => {
    expect(causeOf("\n  rate limited, try again later  \nsecond line\n")).toBe(
      "rate limited, try again later",
    );
    expect(causeOf("\n    at x (node:internal/foo:1:1)\n\nNode.js v24.0.0\n")).toBeUndefined();
    expect(causeOf(`${"x".repeat(400)}\n`)).toBe(`${"x".repeat(299)}…`);
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
