// The other report formats: JSON (machine-readable), GitHub workflow commands (annotations)
// and text (snippet and caret, colour on demand).
import { describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import type { Diagnostic } from "../../src/compiler/diagnostics.ts";
import { formatGithub } from "../../src/compiler/report/github.ts";
import { formatJson } from "../../src/compiler/report/json.ts";
import { formatText } from "../../src/compiler/report/text.ts";
import { SourceText } from "../../src/compiler/source.ts";

const FILE = "workflows/review.aegis";
const source = `workflow review {
  agent planner = claude(model: "opus")
  agent idle = gemini()
  start PLAN
  state PLAN = agent planner timeout 1m {
    prompt "Plan {{input.task}}"
    on success -> DONE
    otherwise -> GONE
  }
  final DONE
}
`;
const lines = source.split("\n");

function compiled() {
  return compile(source, { filename: FILE });
}

// ANSI escape sequences: ESC [ … m.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour codes
const ansi = /\u001b\[[0-9;]*m/;

/** A diagnostic built by hand, for the escaping rules. */
function diagnostic(overrides: Partial<Diagnostic>): Diagnostic {
  return {
    file: "a.aegis",
    line: 3,
    column: 7,
    endLine: 3,
    endColumn: 12,
    offset: 40,
    endOffset: 45,
    code: "AEG201",
    rule: "unknown-state",
    severity: "error",
    message: "transition to unknown state 'X'",
    related: [],
    ...overrides,
  };
}

describe("the fixture", () => {
  it("has an error with a hint, and a warning", () => {
    const { diagnostics } = compiled();
    expect(diagnostics.map((d) => `${d.code}:${d.severity}`)).toEqual([
      "AEG502:warning",
      "AEG402:error",
      "AEG201:error",
    ]);
  });
});

describe("formatJson", () => {
  it("prints an array of findings with file, positions, severity, code, rule and message", () => {
    const { diagnostics } = compiled();
    const parsed = JSON.parse(formatJson(diagnostics)) as Record<string, unknown>[];
    expect(parsed).toHaveLength(diagnostics.length);
    for (const item of parsed) {
      for (const key of [
        "file",
        "line",
        "column",
        "endLine",
        "endColumn",
        "severity",
        "code",
        "message",
      ])
        expect(item).toHaveProperty(key);
      expect(item.file).toBe(FILE);
    }
    const unknown = parsed.find((p) => p.code === "AEG201")!;
    // `    otherwise -> GONE` on line 8: GONE is at columns 18..21.
    expect(unknown).toMatchObject({
      file: FILE,
      line: 8,
      column: 18,
      endLine: 8,
      endColumn: 22,
      severity: "error",
      code: "AEG201",
      rule: "unknown-state",
      message: "transition to unknown state 'GONE'",
    });
    expect(lines[7]!.slice(17, 21)).toBe("GONE");
    // Internal offsets are not part of the format.
    expect(unknown).not.toHaveProperty("offset");
  });

  it("includes hints and related locations when there are some", () => {
    const d = diagnostic({
      hint: "did you mean 'DONE'?",
      related: [
        {
          file: "b.aegis",
          line: 1,
          column: 2,
          endLine: 1,
          endColumn: 3,
          offset: 1,
          endOffset: 2,
          message: "declared here",
        },
      ],
    });
    const [item] = JSON.parse(formatJson([d]));
    expect(item.hint).toBe("did you mean 'DONE'?");
    expect(item.related).toEqual([
      { file: "b.aegis", line: 1, column: 2, endLine: 1, endColumn: 3, message: "declared here" },
    ]);
    const [plain] = JSON.parse(formatJson([diagnostic({})]));
    expect(plain).not.toHaveProperty("hint");
    expect(plain.related).toEqual([]);
  });

  it("prints [] when there are no findings", () => {
    expect(JSON.parse(formatJson([]))).toEqual([]);
  });
});

describe("formatGithub", () => {
  it("prints one workflow command per finding, with file, line and column", () => {
    const { diagnostics } = compiled();
    const out = formatGithub(diagnostics).split("\n");
    expect(out).toHaveLength(diagnostics.length);
    const unknown = out.find((l) => l.includes("AEG201"))!;
    expect(unknown).toMatch(
      /^::error file=workflows\/review\.aegis,line=8,col=18,endLine=8,endColumn=22,title=AEG201 unknown-state::transition to unknown state 'GONE'/,
    );
    expect(out.find((l) => l.includes("AEG502"))).toMatch(/^::warning file=/);
  });

  it("uses notice for infos and appends the hint to the message", () => {
    const out = formatGithub([diagnostic({ severity: "info", hint: "a hint" })]);
    expect(out).toMatch(/^::notice file=a\.aegis,line=3,col=7,/);
    expect(out.endsWith("::transition to unknown state 'X' (a hint)")).toBe(true);
  });

  it("leaves out endColumn for a finding over several lines", () => {
    const out = formatGithub([diagnostic({ endLine: 5, endColumn: 2 })]);
    expect(out).toContain("endLine=5,");
    expect(out).not.toContain("endColumn");
  });

  it("escapes %, CR and LF in the message", () => {
    const out = formatGithub([diagnostic({ message: "100% sure\r\nsecond line\nthird: a, b" })]);
    const message = out.slice(out.lastIndexOf("::") + 2);
    expect(message).toBe("100%25 sure%0D%0Asecond line%0Athird: a, b");
    expect(out).not.toMatch(/[\r\n]/);
  });

  it("escapes %, CR, LF, commas and colons in properties (file, title)", () => {
    const out = formatGithub([diagnostic({ file: "C:\\w,x%y\nz.aegis" })]);
    expect(out.startsWith("::error file=C%3A\\w%2Cx%25y%0Az.aegis,line=3,col=7,")).toBe(true);
    // The properties still split into exactly the expected keys.
    const props = out.slice("::error ".length, out.indexOf("::", 2)).split(",");
    expect(props.map((p) => p.split("=")[0])).toEqual([
      "file",
      "line",
      "col",
      "endLine",
      "endColumn",
      "title",
    ]);
  });

  it("prints nothing for no findings", () => {
    expect(formatGithub([])).toBe("");
  });
});

describe("formatText", () => {
  it("prints the location, severity, code, message and rule, then the line and a caret", () => {
    const r = compiled();
    const text = formatText(r.diagnostics, r.sources, { color: false });
    const out = text.split("\n");
    const header = out.findIndex((l) => l.includes("[AEG201]"));
    expect(out[header]).toBe(
      `${FILE}:8:18: error[AEG201]: transition to unknown state 'GONE' (unknown-state)`,
    );
    expect(out[header + 1]).toBe("  |");
    expect(out[header + 2]).toBe(`8 | ${lines[7]}`);
    const caretLine = out[header + 3]!;
    // The caret starts under the 'G' of GONE and underlines its four letters.
    const codeStart = "8 | ".length;
    expect(caretLine.slice(0, codeStart)).toBe("  | ");
    expect(caretLine.indexOf("^") - codeStart).toBe(17);
    expect(caretLine.slice(codeStart + 17)).toBe("^^^^");
  });

  it("aligns the caret for a two-digit line number and after a tab", () => {
    const src = `${"\n".repeat(11)}workflow w {\n\tstart NOPE\n}\n`;
    const r = compile(src, { filename: "t.aegis" });
    const d = r.diagnostics.find((x) => x.code === "AEG201")!;
    expect(d.line).toBe(13);
    const out = formatText([d], r.sources, { color: false }).split("\n");
    expect(out[1]).toBe("   |");
    expect(out[2]).toBe("13 |  start NOPE");
    expect(out[3]).toBe(`   | ${" ".repeat(d.column - 1)}^^^^`);
    expect(out[2]!.indexOf("NOPE")).toBe(out[3]!.indexOf("^"));
  });

  it("prints related locations as notes and the hint", () => {
    const src = `workflow w {\n  start A\n  state A = branch {\n    otherwise -> DONE\n    on always -> DONE\n  }\n  final DONE\n}\n`;
    const r = compile(src, { filename: "n.aegis" });
    const text = formatText(r.diagnostics, r.sources, { color: false });
    expect(text).toContain("error[AEG204]");
    expect(text).toContain("  note: n.aegis:4:5: always matches");
    expect(text).toContain("  hint: move it above the unconditional transition, or remove it");
  });

  it("has no ANSI escape codes when colour is off, and some when it is on", () => {
    const r = compiled();
    const plain = formatText(r.diagnostics, r.sources, { color: false });
    const coloured = formatText(r.diagnostics, r.sources, { color: true });
    expect(plain).not.toMatch(ansi);
    expect(coloured).toMatch(ansi);
    expect(coloured).toContain("\u001b[31merror[AEG201]\u001b[0m");
    expect(coloured).toContain("\u001b[33mwarning[AEG502]\u001b[0m");
    // Stripping the colours gives the plain text back.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI colour codes
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, "")).toBe(plain);
  });

  it("prints no snippet for a file whose text is unknown or empty", () => {
    const d = diagnostic({ file: "elsewhere.aegis" });
    const out = formatText([d], new Map([["x", new SourceText("x", "abc")]]), { color: false });
    expect(out).toBe(
      "elsewhere.aegis:3:7: error[AEG201]: transition to unknown state 'X' (unknown-state)",
    );
  });
});
