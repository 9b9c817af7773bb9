// A file with syntax errors is still checked (issue 12, item 3): the semantic checks run on
// what parsed, as tsc reports syntax and type errors together, and leave out what follows
// from what did not parse (no "unknown state" for a state whose declaration was lost, no
// "dead end" for a state whose transitions were, no "unreachable" for a state that a lost
// transition led to). Past 25 syntax errors the parser stops reading (AEG113).
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "../../src/compiler/parse.ts";
import { compileText } from "../fuzz/invariants.ts";
import { diagnose, findings, source, workflow } from "../helpers/compile.ts";

describe("checks run on what parsed", () => {
  it("reports a syntax error in one state and a semantic error in another, each where it is", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start A
        state A = agent bot {
          prompt "x"
          on success -> B ]
        }
        state B = agent bott {
          prompt "y"
          on success -> DONE
        }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 6, column: 21 }, // the stray `]`
      { code: "AEG501", line: 8, column: 19 }, // agent 'bott' is not declared
    ]);
    expect(findings(text, "AEG501")[0]!.message).toBe("agent 'bott' is not declared");
  });

  it("reports nothing that follows from a broken state or a lost declaration", () => {
    const text = source(`
      workflow w {
        agent bot = claude()
        start A
        state A = agent bot {
          prompt "review"
          on success -> B
          on failure -> GONE
        }
        state B = agent bot {
          prompt "fix" ) (
          on success => C
        }
        state C = agent bot {
          prompt "ship"
          on success -> DONE
        }
        state 1GONE = agent bot {
          prompt "never read"
          on success -> DONE
        }
        final DONE
      }
    `);
    // Only the syntax errors: not "transition to unknown state 'GONE'" (its declaration was
    // lost), "state 'C' cannot be reached" (the transition to it was), "no transitions"
    // or "no path to a final state" for B (its transitions were lost).
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 10, column: 18 },
      { code: "AEG101", line: 11, column: 16 },
      { code: "AEG101", line: 17, column: 9 },
    ]);
  });

  it("keeps what the rest of a broken file says: unreachable states, unknown targets", () => {
    const text = workflow(`
      state A = agent bot timeout {
        on success -> NOWHERE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG101", line: 4, column: 31 },
      { code: "AEG201", line: 5, column: 19 },
      { code: "AEG205", line: 7, column: 9 },
      { code: "AEG205", line: 8, column: 9 },
    ]);
  });

  it("does not take a misreading next to an error for what was written", () => {
    // `claude(` left open reads `start A` as its argument: no "no start state", no
    // "claude(…) takes only named options".
    const text = source(`
      workflow w {
        agent bot = claude(
        start A
        state A = agent bot {
          on success -> DONE
        }
        final DONE
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG101", line: 3, column: 9 }]);
  });

  it("reports a missing start or final state only if no broken text could declare it", () => {
    const broken = (start: string) =>
      source(`
        workflow w {
          agent bot = claude()
          ${start}
          state A = agent bot {
            on success -> DONE ]
          }
          final DONE
        }
      `);
    expect(diagnose(broken("start ] A")).map((d) => d.code)).toEqual(["AEG101", "AEG101"]);
    expect(diagnose(broken("// no start")).map((d) => d.code)).toEqual(["AEG203", "AEG101"]);
  });

  it("says what did not parse: regions, the words in them, the declarations they break", () => {
    const text = source(`
      workflow w {
        start A
        state A = agent bot {
          on success => B
        }
        final B
      }
    `);
    const { broken } = parse(text, "x.aegis");
    expect(broken?.words.has("B")).toBe(true);
    expect(broken?.declarations).toHaveLength(1);
    expect(text.slice(broken!.declarations[0]!.start, broken!.declarations[0]!.end)).toMatch(
      /^state A = agent bot \{/,
    );
    // Whole lines: what the parser read next to an error may be a misreading of it.
    expect(text.slice(broken!.regions[0]!.start, broken!.regions[0]!.end)).toBe(
      "    on success => B",
    );
  });

  it("reports the syntax errors of an example broken at random, and no internal error", () => {
    const examples = new URL("../../examples/", import.meta.url);
    const files = readdirSync(examples, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".aegis"))
      .sort();
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(new URL(file, examples), "utf8");
      // Every 97th character replaced by one of these.
      const junk = "]){:=>'";
      const chars = [...text];
      for (let i = 96; i < chars.length; i += 97) chars[i] = junk[((i / 97) % junk.length) | 0]!;
      const result = compileText(chars.join(""));
      const codes = result.diagnostics.map((d) => d.code);
      expect(codes, file).not.toContain("AEG000");
      expect(
        codes.some((c) => c === "AEG100" || c === "AEG101"),
        file,
      ).toBe(true);
    }
  });
});

describe("AEG113 too many syntax errors", () => {
  it("stops reading after 25 syntax errors, and reports nothing after where it stopped", () => {
    const states = Array.from(
      { length: 40 },
      (_, i) => `state S${i} = agent bot ] prompt "x"\n  on success -> S${i + 1}`,
    );
    const text = `workflow w {\n  agent bot = claude()\n  start S0\n  ${states.join("\n  ")}\n  final S40\n}\n`;
    const result = compileText(text);
    const syntax = result.diagnostics.filter((d) => d.code === "AEG101");
    expect(syntax).toHaveLength(25);
    const [stopped] = result.diagnostics.filter((d) => d.code === "AEG113");
    // At the 25th error (S24's `]`), the last token read.
    expect(stopped).toMatchObject({ severity: "error", line: 52, column: 25 });
    expect(stopped!.message).toBe(
      "too many syntax errors (more than 25): reading stopped here, and the rest of the file is not checked",
    );
    expect(result.diagnostics.every((d) => d.line <= stopped!.line)).toBe(true);
    // S25 … S40 are in the text that was not read: none is "unknown".
    expect(result.diagnostics.map((d) => d.code)).not.toContain("AEG201");
  });

  it("counts the lexer's errors too", () => {
    const text = workflow(`
      state A = agent bot {
        prompt "hi" ${"@ ".repeat(40)}
        on success -> DONE
      }
    `);
    const codes = diagnose(text).map((d) => `${d.code} ${d.line}:${d.column}`);
    expect(codes.filter((c) => c.startsWith("AEG100"))).toHaveLength(25);
    expect(codes.at(-1)).toBe("AEG113 5:67");
  });

  it("a 60 KB file broken every 20 characters: 25 errors and AEG113", () => {
    const text = brokenEverywhere();
    expect(text.length).toBeGreaterThan(59_000);
    const result = compileText(text);
    const codes = result.diagnostics.map((d) => d.code);
    expect(codes).not.toContain("AEG000");
    expect(codes.filter((c) => c === "AEG100" || c === "AEG101").length).toBeLessThanOrEqual(25);
    expect(codes.filter((c) => c === "AEG113")).toHaveLength(1);
  });
});

/**
 * The examples' states, renamed and repeated in one workflow to 60 KB, then every 20th
 * character (not a brace, quote or line break) replaced by a character from a junk set.
 */
function brokenEverywhere(): string {
  const base = readFileSync(
    new URL("../../examples/incident_response/incident_response.aegis", import.meta.url),
    "utf8",
  );
  const open = base.indexOf("{") + 1;
  const header = base.slice(0, open);
  const body = base.slice(open, base.lastIndexOf("}"));
  let text = header;
  for (let k = 0; text.length < 59_500; k++)
    text += body.replace(/\b([A-Z][A-Z_]+)\b/g, (name) => `${name}_${k}`);
  text += "}\n";
  const junk = ")(]:=-x;@'";
  const chars = [...text];
  for (let i = header.length + 19; i < chars.length; i += 20)
    if (!'{}"\n'.includes(chars[i]!)) chars[i] = junk[((i / 20) % junk.length) | 0]!;
  return chars.join("");
}
