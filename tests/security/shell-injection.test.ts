// Hostile text never reaches a shell unquoted. `{{quote X}}` in a shell command writes X as
// a literal for the place it stands in (a word, "…", '…', a here-document, a comment), or
// the state fails with "unsafe-quote" where no literal can be written; unquoted
// interpolation of untrusted text is a compile error. Every command below creates a marker
// file if an injection succeeds: none does.
//   npx vitest run tests/security/shell-injection.test.ts
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { render, shellCommand } from "../../src/runtime/render.ts";
import { RuntimeError } from "../../src/runtime/types.ts";
import { compileSource as compileForDiagnostics } from "../helpers/compile.ts";
import { hostile, runWorkflow, tempDir } from "./helpers.ts";

const shells = ["sh", "bash"].filter((s) => spawnSync(s, ["-c", "true"]).status === 0);

function hostileValues(marker: string): string[] {
  return [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `'; touch ${marker}; '`,
    `"; touch ${marker}; "`,
    `a\ntouch ${marker}\n`,
    `\\"; touch ${marker} #`,
    `x' \\'; touch ${marker}; echo '`,
    `EOF\ntouch ${marker}\nEOF`,
    `$'\\x27'; touch ${marker}`,
    `| touch ${marker} &`,
    `\${IFS}touch\${IFS}${marker}`,
    "",
    "tab\there, back\\slash\\, 🙂 ünï",
  ];
}

/** A here-document prints the value, unless a line of it would end the document: refused. */
const heredoc = (v: string, printed: string) =>
  v.split("\n").some((line) => line.replace(/^\t+/, "") === "EOF") ? "refused" : printed;

/** Command templates that put {{quote v}} in every place a shell distinguishes; → what they print. */
const places: [string, (out: string, v: string) => string][] = [
  [`printf '%s' {{quote v}} > OUT`, (_, v) => v],
  [`printf '%s' "{{quote v}}" > OUT`, (_, v) => v],
  [`printf '%s' '{{quote v}}' > OUT`, (_, v) => v],
  [
    `printf '%s' "pre $(printf '%s' {{quote v}}) post" > OUT`,
    (_, v) => `pre ${v.replace(/\n+$/, "")} post`,
  ],
  [`printf '%s' "$(printf '%s' "{{quote v}}")" > OUT`, (_, v) => v.replace(/\n+$/, "")],
  [`( printf '%s' {{quote v}} ) > OUT`, (_, v) => v],
  [`cat > OUT <<EOF\n{{quote v}}\nEOF`, (_, v) => heredoc(v, `${v}\n`)],
  [`cat > OUT <<'EOF'\n{{quote v}}\nEOF`, (_, v) => heredoc(v, `${v}\n`)],
  [
    `cat > OUT <<-EOF\n\t{{quote v}}\n\tEOF`,
    (_, v) => heredoc(v, `${v.replace(/\n\t+/g, "\n")}\n`),
  ],
  [
    `x=$(cat <<EOF\n{{quote v}}\nEOF\n); printf '%s' "$x" > OUT`,
    (_, v) => heredoc(v, v.replace(/\n+$/, "")),
  ],
  [`true # {{quote v}}\nprintf done > OUT`, () => "done"],
  [`{{#if v}}printf '%s' "{{quote v}}"{{else}}printf ''{{/if}} > OUT`, (_, v) => v],
  // Places where no literal can be written: refused.
  [`echo \`echo {{quote v}}\` > OUT`, () => "refused"],
  [`printf '%s' $'a{{quote v}}' > OUT`, () => "refused"],
  [`x=$(case a in a) echo "{{quote v}}";; esac); printf '%s' "$x" > OUT`, () => "refused"],
];

describe("{{quote}} in every place of a shell command", () => {
  for (const shell of shells) {
    it(`writes a literal or refuses, under ${shell}: zero injections`, () => {
      const dir = tempDir("aegis-quote-");
      const marker = join(dir, "pwned");
      const out = join(dir, "out");
      let cases = 0;
      for (const [template, expected] of places) {
        const text = template.replaceAll("OUT", out);
        shellCommand({ text, span: { start: 0, end: 0 }, map: [] } as never);
        for (const v of hostileValues(marker)) {
          rmSync(out, { force: true });
          let command: string;
          try {
            command = render(text, { v });
          } catch (error) {
            expect(error).toBeInstanceOf(RuntimeError);
            expect((error as RuntimeError).code).toBe("unsafe-quote");
            expect(expected("", v), `${template} refused ${JSON.stringify(v)}`).toBe("refused");
            cases++;
            continue;
          }
          spawnSync(shell, ["-c", command]);
          expect(existsSync(marker), `${template} with ${JSON.stringify(v)}: ${command}`).toBe(
            false,
          );
          const printed = existsSync(out) ? readFileSync(out, "utf8") : "(nothing)";
          // An empty value in a {{#if}} takes the other branch.
          const want = v === "" && template.startsWith("{{#if") ? "" : expected(printed, v);
          expect(printed, `${template} with ${JSON.stringify(v)}`).toBe(want);
          cases++;
        }
      }
      expect(cases).toBe(places.length * hostileValues(marker).length);
    }, 300_000); // some 200 shells, one after the other: slow on a loaded machine
  }

  it("quotes as before outside shell commands (a prompt shows one shell word)", () => {
    expect(render("run {{quote v}} now", { v: "it's $(x)" })).toBe(`run 'it'\\''s $(x)' now`);
  });
});

describe("an agent's hostile answer in a later run state", () => {
  it("reaches each command literally, through quote, argv and env", async () => {
    const dir = tempDir("aegis-inject-");
    const marker = join(dir, "pwned");
    const file = (name: string) => JSON.stringify(join(dir, name));
    const result = await runWorkflow(`
workflow inject "Hostile output into commands" {
  agent evil = command(${hostile("shell", marker)}, output: "text")
  start ASK
  state ASK = agent evil timeout 30s { prompt "anything" on success -> WORD on failure -> FAILED }
  state WORD = run "printf '%s' {{quote ASK.output}} > ${file("word").slice(1, -1)}" timeout 30s {
    on exit 0 -> DOUBLE otherwise -> FAILED
  }
  state DOUBLE = run "printf '%s' \\"{{quote ASK.output}}\\" > ${file("double").slice(1, -1)}" timeout 30s {
    on exit 0 -> HEREDOC otherwise -> FAILED
  }
  state HEREDOC = run """cat > ${file("heredoc").slice(1, -1)} <<END
{{quote ASK.output}}
END""" timeout 30s {
    on exit 0 -> ARGV otherwise -> FAILED
  }
  state ARGV = run ["node", "-e", "require('fs').writeFileSync(process.argv[1], process.argv[2])", ${file("argv")}, "{{ASK.output}}"] timeout 30s {
    on exit 0 -> ENV otherwise -> FAILED
  }
  state ENV = run "printf '%s' \\"$VALUE\\" > ${file("env").slice(1, -1)}" timeout 30s {
    env { VALUE: "{{ASK.output}}" }
    on exit 0 -> DONE otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`);
    expect(result.record.status, JSON.stringify(result.record.error)).toBe("succeeded");
    const answer = execFileSync(
      "node",
      [hostile("shell", marker).slice(6, -1).split(" ")[0]!, "shell", marker],
      {
        encoding: "utf8",
      },
    ).trim();
    expect(answer).toContain(`$(touch ${marker})`);
    for (const name of ["word", "double", "argv", "env"])
      expect(readFileSync(join(dir, name), "utf8"), name).toBe(answer);
    expect(readFileSync(join(dir, "heredoc"), "utf8")).toBe(`${answer}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it("fails the state with unsafe-quote where no literal can be written, running nothing", async () => {
    const dir = tempDir("aegis-inject-");
    const marker = join(dir, "pwned");
    const result = await runWorkflow(`
workflow backquotes "quote inside backquotes" {
  agent evil = command(${hostile("shell", marker)}, output: "text")
  start ASK
  state ASK = agent evil timeout 30s { prompt "anything" on success -> USE on failure -> FAILED }
  state USE = run "echo \`echo {{quote ASK.output}}\`" timeout 30s { on exit 0 -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`);
    expect(result.record.results.USE?.status).toBe("failed");
    expect(result.record.results.USE?.error?.code).toBe("unsafe-quote");
    expect(result.record.results.USE?.error?.message).toMatch(/inside backquotes/);
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses unquoted interpolation of an agent's answer at compile time (AEG601)", () => {
    for (const command of [
      `run "echo {{ASK.output}}"`,
      `run "echo {{{ASK.output}}}"`,
      `run "echo {{default ASK.output 'x'}}"`,
      `run "echo {{json ASK.output}}"`,
      `run "echo {{#each ASK.output}}{{this}}{{/each}}"`,
    ]) {
      const { diagnostics } = compileForDiagnostics(`
workflow w "t" {
  agent a = command("cat")
  start ASK
  state ASK = agent a { prompt "hi" on success -> USE }
  state USE = ${command} { on exit 0 -> DONE otherwise -> DONE }
  final DONE
}`);
      expect(
        diagnostics.filter((d) => d.code === "AEG601" && d.severity === "error"),
        command,
      ).toHaveLength(1);
    }
  });
});
