// AEG607 / AEG608: untrusted text passed in `env` and then evaluated by the shell (eval,
// sh -c, a shell's input, arithmetic, the command name) is an injection like interpolating
// it into the command; expanded unquoted as an argument it is split and glob-expanded.
// "$X" as an argument is clean. Also the shell reader (compiler/shell.ts) on its own.
import { describe, expect, it } from "vitest";
import { readShell } from "../../src/compiler/shell.ts";
import { diagnose, findings, workflow } from "../helpers/compile.ts";
import { agentos, diagnoseYaml, manifest, yamlFindings } from "../helpers/yaml.ts";
import { agentThenRun } from "./cases/security.ts";

const env = 'env { TEXT: "{{A.output}}" }';
/** An aegis string literal holding `script`. */
const str = (script: string) => JSON.stringify(script);
/** `${NAME…}` in shell text (written so, not as a string with a placeholder-like `${`). */
const braced = (inner: string) => `$${"{"}${inner}}`;

describe("AEG607 tainted env in the shell", () => {
  it.each([
    ['eval "$TEXT"', "$TEXT", "`eval` runs it as shell code"],
    ["eval $TEXT", "$TEXT", "`eval` runs it as shell code"],
    ['sh -c "$TEXT"', "$TEXT", "`sh -c` runs it as a script"],
    ['bash -ec "$TEXT"', "$TEXT", "`bash -c` runs it as a script"],
    ["$TEXT", "$TEXT", "the shell runs it as the command"],
    ["$TEXT --verbose", "$TEXT", "the shell runs it as the command"],
    [`cd /tmp && ${braced("TEXT")}`, braced("TEXT"), "the shell runs it as the command"],
    ['echo ok; "$TEXT"', "$TEXT", "the shell runs it as the command"],
    ["true | $TEXT", "$TEXT", "the shell runs it as the command"],
    ["echo $($TEXT)", "$TEXT", "the shell runs it as the command"],
    ['printf "%s" "$TEXT" | sh', "$TEXT", "a pipe into sh runs it as a script"],
    ['bash <<< "$TEXT"', "$TEXT", "a here-string read by bash runs it as a script"],
    ["sh <<EOF\n$TEXT\nEOF", "$TEXT", "a here-document read by sh runs it as a script"],
    ["echo $(( TEXT + 1 ))", "TEXT +", "`$(( … ))` evaluates it as arithmetic"],
    ["sh -c 'eval \"$TEXT\"'", "$TEXT", "`eval` runs it as shell code"],
    ['sudo -u ci bash -c "$TEXT"', "$TEXT", "`bash -c` runs it as a script"],
    ['find . -exec sh -c "$TEXT" \\;', "$TEXT", "`sh -c` runs it as a script"],
    ["timeout 5 env A=1 $TEXT", "$TEXT", "the shell runs it as the command"],
  ])("reports `%s`", (script, at, how) => {
    const text = agentThenRun(str(script), env);
    const list = findings(text, "AEG607");
    // The line of the command holds the script as a string literal: find the expansion in it.
    const line = text.split("\n")[7]!;
    expect(list.map((d) => [d.line, d.column])).toEqual([[8, line.indexOf(at) + 1]]);
    const [d] = list;
    expect(d!.severity).toBe("error");
    expect(d!.message).toContain(
      "'$TEXT' holds 'A.output', text from an agent, a human or a command's output, set in the env of 'B'",
    );
    expect(d!.message).toContain(how);
    expect(d!.hint).toContain('"$TEXT"');
    expect(d!.related).toEqual([
      expect.objectContaining({ message: "'TEXT' is set to 'A.output' here" }),
    ]);
    expect(d!.related![0]).toMatchObject({ file: "/virtual/test.aegis" });
  });

  it.each([
    'echo "$TEXT"',
    "printf '%s\\n' \"$TEXT\" > out.txt",
    'git commit -m "$TEXT"',
    "echo '$TEXT'",
    'echo "\\$TEXT"',
    'case "$TEXT" in yes) echo y;; esac',
    "[[ $TEXT == yes ]] && echo y",
    'copy="$TEXT"; echo "$copy"',
    "cat <<EOF\n$TEXT\nEOF",
    'sh -c \'printf "%s" "$1"\' sh "$TEXT"',
    `echo "${braced("#TEXT")}"`,
    "# eval $TEXT\necho done",
  ])("accepts `%s`", (script) => {
    expect(diagnose(agentThenRun(str(script), env))).toEqual([]);
  });

  it("follows the text through variables the script assigns", () => {
    const text = agentThenRun(str('copy="$TEXT"; eval "$copy"'), env);
    const [d] = findings(text, "AEG607");
    expect(d).toMatchObject({ line: 8, column: 41 });
    expect(d!.message).toContain("'$copy' holds 'A.output'");
    expect(d!.message).toContain("(through '$TEXT')");
  });

  it("reports a script of an argument vector run by a shell", () => {
    const text = agentThenRun('["bash", "-c", "eval \\"$TEXT\\""]', env);
    expect(diagnose(text)).toEqual([{ code: "AEG607", line: 8, column: 40 }]);
  });

  it("reports pull-request text and a human's answer; not trusted or caller-supplied values", () => {
    const gated = (value: string, input = "") =>
      workflow(
        `
        ${input}
        state A = human timeout 1h {
          prompt "say"
          on approved -> B
          on rejected -> FAILED
        }
        state B = run "eval \\"$X\\"" {
          env { X: "${value}" }
          on exit 0 -> DONE
          otherwise -> FAILED
        }
      `,
        { agent: false },
      );
    expect(findings(gated("{{A.response}}"), "AEG607")).toHaveLength(1);
    expect(findings(gated("{{github.event.pull_request.title}}"), "AEG607")[0]!.message).toContain(
      "text from the pull request or event",
    );
    // Numbers and flags, context, secrets: trusted. A caller's inputs: the caller chooses them.
    expect(diagnose(gated("{{A.approved}}"))).toEqual([]);
    expect(diagnose(gated("{{input.cmd}}", "input cmd: string"))).toEqual([]);
    expect(diagnose(gated("{{quote A.response}}"))).toEqual([]);
  });

  it("checks each container of a containers state with its own env", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = containers {
        container lint "node:24" { command: ["sh", "-c", "eval \\"$T\\""], env: { T: "{{A.output}}" } }
        container test "node:24" { command: ["sh", "-c", "eval \\"$T\\""], env: { T: "fixed" } }
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    const list = findings(text, "AEG607");
    expect(list).toHaveLength(1);
    expect(list[0]!.message).toContain("set in the env of container 'lint' of 'B'");
  });
});

describe("AEG608 tainted env split into words", () => {
  it("warns about an unquoted argument, and not about the same quoted", () => {
    const text = agentThenRun(str("git log $TEXT"), env);
    const [d] = findings(text, "AEG608");
    expect(d).toMatchObject({ line: 8, column: 26, severity: "warning" });
    expect(d!.message).toContain("splits it into words and expands * and ?");
    expect(d!.hint).toBe('write "$TEXT", in double quotes');
    expect(diagnose(agentThenRun(str('git log "$TEXT"'), env))).toEqual([]);
  });

  it("warns about a redirection target and a for list", () => {
    expect(diagnose(agentThenRun(str("echo hi > $TEXT"), env))).toEqual([
      { code: "AEG608", line: 8, column: 28 },
    ]);
    expect(diagnose(agentThenRun(str('for w in $TEXT; do echo "$w"; done'), env))).toEqual([
      { code: "AEG608", line: 8, column: 27 },
    ]);
  });
});

describe("tainted env in YAML", () => {
  it("AEGIS manifest: a System state's env evaluated by eval is an error, as in .aegis", () => {
    const text = (command: string) =>
      manifest(`
        A:
          kind: Agent
          agent: bot
          transitions:
            - condition: on_success
              target: B
        B:
          kind: System
          command: '${command}'
          env:
            TEXT: "{{A.output}}"
          transitions: []
      `);
    expect(diagnoseYaml(text('eval "$TEXT"'))).toEqual([{ code: "AEG607", line: 16, column: 23 }]);
    expect(yamlFindings(text('eval "$TEXT"'), "AEG607")[0]!.severity).toBe("error");
    expect(diagnoseYaml(text('echo "$TEXT"'))).toEqual([]);
    expect(diagnoseYaml(text("echo $TEXT"))).toEqual([{ code: "AEG608", line: 16, column: 22 }]);
  });

  it("AgentOS: a docker step's env given to sh -c is an error too", () => {
    const text = (script: string) =>
      agentos(`
        - name: Plan
          promptTemplate: "Plan it."
          outputVar: plan
        - name: Apply
          functionId: "tool::shell_exec"
          sandbox: docker
          config:
            image: "alpine:3"
            argv: ["sh", "-c", '${script}']
            env: ["PLAN={{plan}}"]
      `);
    const [d] = yamlFindings(text('eval "$PLAN"'), "AEG607");
    expect(d).toMatchObject({ line: 13, column: 33, severity: "error" });
    expect(d!.message).toContain("'$PLAN' holds 'PLAN.output'");
    expect(diagnoseYaml(text('printf "%s" "$PLAN"'))).toEqual([]);
  });
});

describe("the shell reader", () => {
  const roles = (script: string) =>
    readShell(script).flatMap((e) => (e.kind === "expansion" ? [`${e.name}:${e.role}`] : []));

  it.each([
    ['eval "$X"', ["X:eval"]],
    ["eval 'echo $X'", ["X:split"]],
    ['eval "echo \\"\\$X\\""', ["X:kept"]],
    ["sh -c 'eval \"$X\"'", ["X:eval"]],
    ["$X", ["X:command"]],
    ['A=1 "$X" arg', ["X:command"]],
    ['echo "$X" | grep a | bash', ["X:stdin"]],
    ["echo $X", ["X:split"]],
    [`echo "$X" "${braced("X:-d")}" ${braced("#X")}`, ["X:kept", "X:kept"]],
    [`echo ${braced("X:+set")}`, []],
    ["echo `echo $X`", ["X:split"]],
    ["eval `echo $X`", ["X:eval"]],
    ["let n=X+1", ["n:arithmetic", "X:arithmetic"]],
    ["(( X > 1 )) && echo y", ["X:arithmetic"]],
    ['f() { eval "$X"; }', ["X:eval"]],
    ['if [ -n "$X" ]; then $X; fi', ["X:kept", "X:command"]],
    ['while read -r l; do echo "$l"; done <<< "$X"', ["l:kept", "X:kept"]],
    ['x=$(case "$X" in a) echo a;; esac); eval "$x"', ["X:kept", "x:eval"]],
    ["echo '$X' \\$X", []],
  ])("`%s`", (script, expected) => {
    expect(roles(script)).toEqual(expected);
  });

  it("gives the offsets of each expansion, and the assignments in order", () => {
    expect(readShell('Y="$X"; eval "$Y"')).toEqual([
      { kind: "assignment", name: "Y", from: ["X"], start: 0, end: 6 },
      { kind: "expansion", name: "X", start: 3, end: 5, role: "kept", via: "an assignment" },
      { kind: "expansion", name: "Y", start: 14, end: 16, role: "eval", via: "eval" },
    ]);
  });

  it("reads hostile and unfinished scripts without throwing", () => {
    for (const script of ['"', "'", "$(", "${", "`", "$((", "<<", "case", "for", "((", ")))", "\\"])
      expect(() => readShell(script)).not.toThrow();
    expect(() => readShell("$(".repeat(2000))).not.toThrow();
  });
});
