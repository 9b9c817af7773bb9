// Security (AEG601–AEG606): untrusted text must not reach a shell unquoted, secrets are
// not written in plain text nor sent to agents, human gates cannot be skipped.
import { describe, expect, it } from "vitest";
import { diagnose, findings, workflow } from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { agentThenRun, gate, securityCases } from "./cases/security.ts";

describe("catalogue: security (AEG601–AEG606)", () => {
  checkTriggers(securityCases);
});

describe("AEG601 unsafe shell interpolation", () => {
  it('reports an agent\'s output in `run "echo {{X.output}}"`, with a fix in the hint', () => {
    const text = agentThenRun('"echo {{A.output}}"');
    expect(diagnose(text)).toEqual([{ code: "AEG601", line: 8, column: 25 }]);
    const [d] = findings(text, "AEG601");
    expect(d).toMatchObject({ endLine: 8, endColumn: 33, severity: "error" });
    expect(d!.hint).toContain("{{quote A.output}}");
  });

  it.each([
    ["quoted with {{quote}}", '"echo {{quote A.output}}"', ""],
    ["passed through the environment", '"echo \\"$TEXT\\""', 'env { TEXT: "{{A.output}}" }'],
    ["an argument of the argv form", '["echo", "{{A.output}}"]', ""],
    ["only tested by {{#if}}", '"{{#if A.output}}echo yes{{/if}}"', ""],
    ["only compared by {{#if (eq …)}}", '"{{#if (eq A.output \\"ok\\")}}echo ok{{/if}}"', ""],
    ["a number (exit code, score)", '"echo {{A.exit_code}} {{A.score}}"', ""],
    ["measured by {{len}}", '"echo {{len A.output}}"', ""],
  ])("does not report agent output %s", (_what, command, env) => {
    expect(diagnose(agentThenRun(command, env))).toEqual([]);
  });

  it.each([
    ["sh -c", '["sh", "-c", "echo {{A.output}}"]', 8, 38],
    ["/bin/bash -c", '["/bin/bash", "-c", "echo {{A.output}}"]', 8, 45],
    ["a triple-stash", '"echo {{{A.output}}}"', 8, 26],
    ["{{json}} (JSON is not shell quoting)", '"echo {{json A.output}}"', 8, 30],
    ["{{default}}", '"echo {{default A.output \\"none\\"}}"', 8, 33],
  ])("reports agent output in %s", (_what, command, line, column) => {
    expect(diagnose(agentThenRun(command))).toEqual([{ code: "AEG601", line, column }]);
  });

  // The whole scope is written as JSON (agents' output among it), not as "[object Object]".
  it.each([
    ["{{this}}", '"echo {{this}}"', 25],
    ["{{@root}}", '"echo {{@root}}"', 25],
    ["{{json this}}", '"echo {{json this}}"', 30],
    ["{{this}} inside {{#each this}}", '"{{#each this}}echo {{this}};{{/each}}"', 39],
  ])("reports the whole scope written as %s, naming what it holds", (_what, command, column) => {
    const text = agentThenRun(command);
    expect(diagnose(text)).toEqual([{ code: "AEG601", line: 8, column }]);
    expect(findings(text, "AEG601")[0]!.message).toContain("agents' and commands' output");
  });

  it.each([
    ["quoted with {{quote}}", '"echo {{quote this}}"'],
    ["only its keys, {{@key}}", '"{{#each this}}echo {{@key}};{{/each}}"'],
    ["an argument of the argv form", '["echo", "{{this}}"]'],
  ])("does not report the whole scope %s", (_what, command) => {
    expect(diagnose(agentThenRun(command))).toEqual([]);
  });

  // Regression (fixed): only an argument exactly equal to "-c" marks a shell script; combined flags such
  // as `bash -ec` / `sh -xc` (very common) are missed, so the script is not checked.
  it("reports agent output in `bash -ec SCRIPT`", () => {
    expect(diagnose(agentThenRun('["bash", "-ec", "echo {{A.output}}"]'))).toEqual([
      { code: "AEG601", line: 8, column: 41 },
    ]);
  });

  it("reports github.* event fields, naming the pull request as the source", () => {
    const text = workflow(
      `
      state A = run "gh pr comment {{github.event.pull_request.number}} --body {{github.event.pull_request.title}}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG601", line: 4, column: 34 },
      { code: "AEG601", line: 4, column: 78 },
    ]);
    expect(findings(text, "AEG601")[1]!.message).toContain("the pull request or event");
  });

  it("reports the items of an agent's list looped over with {{#each}}", () => {
    const text = workflow(`
      state A = agent bot {
        output { files: list }
        on success -> B
        otherwise -> FAILED
      }
      state B = run "{{#each A.output.files}}rm {{this}}; {{/each}}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG601", line: 9, column: 47 }]);
    expect(findings(text, "AEG601")[0]!.message).toContain("an item of 'A.output.files'");
  });

  it("reports a human's answer and feedback carried to a shell", () => {
    const text = workflow(
      `
      state G = human {
        prompt "Which branch?"
        on approved -> A feedback "{{human.feedback}}"
        on rejected -> FAILED
      }
      state A = run "git checkout {{G.response}} && echo {{state.feedback}}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false, start: "G" },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG601", line: 9, column: 33 },
      { code: "AEG601", line: 9, column: 56 },
    ]);
  });

  it("checks container commands and the actions of final states", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = container "alpine:3" timeout 5m {
        command ["sh", "-c", "echo {{A.output}}"]
        on exit 0 -> DONE
        otherwise -> FAILED
      }
      final DONE = run "notify {{B.stdout}}"
      final FAILED failure
    `,
      { finals: false },
    );
    expect(diagnose(text)).toEqual([
      { code: "AEG601", line: 9, column: 34 },
      { code: "AEG601", line: 13, column: 30 },
    ]);
  });
});

describe("AEG606 input in shell", () => {
  const run = (command: string) =>
    workflow(
      `
      input branch: string
      input jobs: number = 4
      input mode: "fast" | "slow" = "fast"
      input tags: list<string> = []
      state A = run "${command}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );

  it("warns about a string input, as a warning", () => {
    const text = run("git checkout {{input.branch}}");
    expect(diagnose(text)).toEqual([{ code: "AEG606", line: 8, column: 33 }]);
    expect(findings(text, "AEG606")[0]!.severity).toBe("warning");
    expect(findings(text, "AEG606")[0]!.message).toContain("a caller-supplied input");
  });

  it("does not warn about number and enum inputs", () => {
    expect(diagnose(run("make -j{{input.jobs}} {{input.mode}}"))).toEqual([]);
  });

  it("warns about a list input", () => {
    expect(diagnose(run("tag {{input.tags}}"))).toEqual([{ code: "AEG606", line: 8, column: 24 }]);
  });

  it("does not warn when the input is quoted", () => {
    expect(diagnose(run("git checkout {{quote input.branch}}"))).toEqual([]);
  });
});

describe("AEG602 literal secret", () => {
  it("reports a GitHub token in a command", () => {
    const text = workflow(
      `
      state A = run "git push https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    // At the token itself, not at the string that holds it.
    expect(diagnose(text)).toEqual([{ code: "AEG602", line: 4, column: 35 }]);
    expect(findings(text, "AEG602")[0]!.message).toBe(
      "this looks like a GitHub token written in plain text",
    );
  });

  it("reports a literal api_key of a provider, and accepts env(…)", () => {
    const agent = (key: string) =>
      workflow(
        `
        state A = agent bot {
          on success -> DONE
          otherwise -> FAILED
        }
      `,
        {
          agent: `agent bot = openai("http://localhost:11434/v1", model: "llama3", api_key: ${key})`,
        },
      );
    expect(diagnose(agent('"not-a-real-key-123"'))).toEqual([
      { code: "AEG602", line: 2, column: 77 },
    ]);
    expect(diagnose(agent('env("OPENAI_API_KEY")'))).toEqual([]);
  });

  it("reports an AWS key in a prompt and a secret-looking context value", () => {
    const text = workflow(`
      context { api_key: "abcdefghijkl", region: "eu-west-1" }
      state A = agent bot {
        prompt "use AKIAABCDEFGHIJKLMNOP for s3"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG602", line: 4, column: 22 },
      { code: "AEG602", line: 6, column: 17 },
    ]);
  });

  it("does not report short or templated values under secret-like keys", () => {
    const text = workflow(
      `
      secret TOKEN
      state A = run "deploy" {
        env { TOKEN: "{{secrets.TOKEN}}", PASSWORD: "x", MODE: "abcdefghijkl" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([]);
  });

  // Regression (fixed): in a multi-line prompt the finding is placed at the opening quotes (line 5), not
  // on the line where the token is written (line 7).
  it("locates a token inside a multi-line prompt on its own line", () => {
    const text = workflow(`
      state A = agent bot {
        prompt """
          Push with this token:
          ghp_abcdefghijklmnopqrstuvwxyz0123456789
        """
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG602", line: 7, column: 7 }]);
  });
});

describe("AEG603 secret in prompt", () => {
  it("warns about a secret in a judge's prompt", () => {
    const text = workflow(`
      secret API_TOKEN
      state A = parallel {
        judge bot prompt "key {{secrets.API_TOKEN}}"
        on consensus -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG603", line: 6, column: 29 }]);
    expect(findings(text, "AEG603")[0]!.severity).toBe("warning");
  });

  it("does not warn about a secret given to a command through env", () => {
    const text = workflow(
      `
      secret API_TOKEN
      state A = run "deploy" {
        env { API_TOKEN: "{{secrets.API_TOKEN}}" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([]);
  });

  // Regression (fixed): `{{#if secrets.X}}` only tests whether the secret is set and sends nothing to
  // the agent, yet AEG603 is reported (the shell check already treats #if as
  // non-printing).
  it("does not warn when the prompt only tests whether a secret is set", () => {
    const text = workflow(`
      secret API_TOKEN
      state A = agent bot {
        prompt "{{#if secrets.API_TOKEN}}You may call the API.{{/if}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG604 bypassable gate", () => {
  it("reports a rejection, a timeout or `otherwise` leading where approval leads", () => {
    for (const second of ["on rejected -> DEPLOY", "on timeout -> DEPLOY", "otherwise -> DEPLOY"]) {
      const text = gate(["on approved -> DEPLOY", second]);
      expect(diagnose(text)).toEqual([{ code: "AEG604", line: 10, column: 5 }]);
    }
  });

  it("reports a path that reaches the approved state around the gate", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> GATE
        otherwise -> DEPLOY
      }
      state GATE = human {
        on approved -> DEPLOY
        on rejected -> FAILED
      }
      state DEPLOY = run "deploy" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG604", line: 8, column: 9 }]);
    expect(findings(text, "AEG604")[0]!.message).toBe(
      "gate 'GATE' can be bypassed: 'DEPLOY' is reachable without approval, by A → DEPLOY",
    );
  });

  it("accepts rejections sent back for rework", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        prompt "{{state.feedback}}"
        on success -> GATE
        otherwise -> FAILED
      }
      state GATE = human timeout 1h {
        on approved -> DONE
        on rejected -> A feedback "{{human.feedback}}"
        on timeout -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG605 gate auto-approves", () => {
  it.each(["default approved", 'default "approved"', 'default "approve"'])(
    "is an error: `%s` lets time approve",
    (line) => {
      const text = gate([line, "on approved -> DEPLOY", "on rejected -> FAILED"]);
      expect(diagnose(text)).toEqual([{ code: "AEG605", line: 9, column: 5 }]);
      expect(findings(text, "AEG605")[0]!.severity).toBe("error");
    },
  );

  it("can be suppressed where a timed approval is meant", () => {
    const text = gate([
      "// aegis-ignore AEG605 -- nightly docs deploy: silence means go",
      "default approved",
      "on approved -> DEPLOY",
      "on rejected -> FAILED",
    ]);
    expect(diagnose(text)).toEqual([]);
  });

  it.each(["default rejected", 'default "needs more work"'])("accepts `%s`", (line) => {
    expect(diagnose(gate([line, "on approved -> DEPLOY", "on rejected -> FAILED"]))).toEqual([]);
  });
});
