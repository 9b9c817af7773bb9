// Untrusted text reaches the shell only quoted, through the environment too: an agent's
// answer passed in `env { X: … }` and given to `eval "$X"` is refused at compile time
// (AEG607), so `aegis run` runs nothing. The agent below answers `touch PWNED`: no file
// PWNED appears. Suppressed, the same workflow does create it — the check is what stops it.
//   npx vitest run tests/security/tainted-env.test.ts
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aegis, tempDir } from "../runtime/cli/helpers.ts";

/** An agent that answers `touch PWNED`, and a state that runs `script` with X = its answer. */
function workflow(script: string, suppress = false): string {
  return `workflow taint {
  agent evil = command("echo touch PWNED", output: "text")
  start ASK
  state ASK = agent evil timeout 30s {
    prompt "anything"
    on success -> RUN
    otherwise -> FAILED
  }
  ${suppress ? "// aegis-ignore AEG607 -- shows what the check stops\n  " : ""}state RUN = run ${JSON.stringify(script)} timeout 30s {
    env { X: "{{ASK.output}}" }
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
}

describe("an agent's answer passed in env", () => {
  it.each([
    ['eval "$X"', "`eval` runs it as shell code"],
    ['sh -c "$X"', "`sh -c` runs it as a script"],
    ["$X", "the shell runs it as the command"],
    ['printf "%s" "$X" | sh', "a pipe into sh runs it as a script"],
  ])("is refused by aegis run when the shell evaluates it: `%s`", (script, how) => {
    const dir = tempDir();
    writeFileSync(join(dir, "taint.aegis"), workflow(script));
    const run = aegis(dir, ["run", "taint.aegis", "--store", "runs"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[AEG607]: '$X' holds 'ASK.output'");
    expect(run.stderr).toContain(how);
    expect(run.stderr).toContain("aegis: not running taint.aegis: it has 1 error");
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  });

  it('runs, and prints the text without running it, as "$X"', () => {
    const dir = tempDir();
    writeFileSync(join(dir, "taint.aegis"), workflow('printf "%s" "$X" > said.txt'));
    const run = aegis(dir, ["run", "taint.aegis", "--store", "runs"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, "said.txt"), "utf8")).toBe("touch PWNED");
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
  });

  it("would run the agent's text if the finding were suppressed: the check is what stops it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "taint.aegis"), workflow('eval "$X"', true));
    const run = aegis(dir, ["run", "taint.aegis", "--store", "runs"]);
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, "PWNED"))).toBe(true);
  });
});

/** The same agent, its answer written into the command with {{quote}}. */
function quotedWorkflow(script: string, suppress = false): string {
  return workflow(script, suppress).replace('\n    env { X: "{{ASK.output}}" }', "");
}

describe("an agent's answer written with {{quote}}", () => {
  it.each([
    ["eval {{quote ASK.output}}", "`eval` runs it as shell code"],
    ["sh -c {{quote ASK.output}}", "`sh -c` runs it as a script"],
    ["{{quote ASK.output}}", "the shell runs that word as the command"],
    ["bash <<< {{quote ASK.output}}", "a here-string read by bash runs it as a script"],
  ])("is refused by aegis run when the shell evaluates the word: `%s`", (script, how) => {
    const dir = tempDir();
    writeFileSync(join(dir, "taint.aegis"), quotedWorkflow(script));
    const run = aegis(dir, ["run", "taint.aegis", "--store", "runs"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "error[AEG607]: 'ASK.output' comes from an agent, a human or a command's output; {{quote}} makes it one word, but",
    );
    expect(run.stderr).toContain(how);
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
    expect(existsSync(join(dir, "runs"))).toBe(false);
  });

  it("runs as one word kept whole where it is an argument: printf '%s' {{quote …}}", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "taint.aegis"),
      quotedWorkflow("printf '%s' {{quote ASK.output}} > said.txt"),
    );
    const run = aegis(dir, ["run", "taint.aegis", "--store", "runs"]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(readFileSync(join(dir, "said.txt"), "utf8")).toBe("touch PWNED");
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
  });

  it("would run the agent's text if the finding were suppressed: the check is what stops it", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "taint.aegis"), quotedWorkflow("eval {{quote ASK.output}}", true));
    const run = aegis(dir, ["run", "taint.aegis", "--store", "runs"]);
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, "PWNED"))).toBe(true);
  });
});
