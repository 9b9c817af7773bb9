// The TextMate grammar (grammar/aegis.tmLanguage.json), run through the same engine VS Code
// and Shiki use: vscode-textmate with the Oniguruma regex library compiled to wasm.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import oniguruma from "vscode-oniguruma";
import vsctm from "vscode-textmate";
import { keywords } from "../../src/compiler/lexer.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const grammarPath = `${root}grammar/aegis.tmLanguage.json`;
const wasmPath = `${root}node_modules/vscode-oniguruma/release/onig.wasm`;

const sample = `// a line comment
# a hash comment
/* a block comment
   spanning lines */
import "./validation.aegis" as validation
workflow dev_pipeline "Requirements, approval, implementation and review" {
  version "1.0.0"
  labels { category: "development", team: "platform" }
  input task: string "What to build"
  input language: "python" | "typescript" = "python"
  secret GITHUB_TOKEN "token"
  agent planner  = claude(model: "opus", effort: "high")
  agent security-reviewer = command("opencode run -m opencode/claude-sonnet-4-6")
  limits { transitions: 30, agent_calls: 40, wall_time: 1h30m, poll: 500ms }
  start REQUIREMENTS
  state REQUIREMENTS = agent planner timeout 3m retry 2 backoff 10s {
    prompt """Write requirements for: {{input.task}}
{{#if input.strict}}Be strict.\\n{{else}}Be brief.{{/if}}
Previous: {{{REVIEW.output}}}"""
    on success -> APPROVE
    on failure -> FAILED
  }
  state APPROVE = human timeout 24h {
    prompt """Requirements:\\n{{REQUIREMENTS.output}}"""
    on approved -> IMPLEMENT
    on rejected -> REQUIREMENTS feedback "Say \\"why\\": {{human.feedback}}"
  }
  state TEST = run "curl http://localhost // not a comment" { on exit 0 -> REVIEW   otherwise -> IMPLEMENT }
  state REVIEW = agent security-reviewer { on score >= 0.85 and TEST.exit_code == 0 -> DONE  otherwise -> IMPLEMENT }
  state AUDIT = parallel { judge security weight 2 timeout 5m prompt "x"  consensus { strategy: weighted_average, threshold: 0.85 } on consensus -> DONE }
  state EACH = foreach file in input.files agent analyst concurrency 4 { prompt "Analyze {{file}}" on success -> DONE }
  state REFINE = loop agent writer max 3 until output contains "LGTM" { on success -> DONE }
  state ROUTE = coordinate [billing, technical] by triage steps 10 { on success -> DONE }
  state CHECK = branch { on HEALTH.output.status != "critical" -> FIX otherwise -> DONE }
  final DONE
  final FAILED failure
}
`;

interface Token {
  text: string;
  scopes: string[];
}

type Grammar = NonNullable<Awaited<ReturnType<vsctm.Registry["loadGrammar"]>>>;
let grammar: Grammar;
let lines: Token[][];

function tokenize(source: string): Token[][] {
  let stack = vsctm.INITIAL;
  return source.split("\n").map((line) => {
    const result = grammar.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return result.tokens.map((t) => ({
      text: line.slice(t.startIndex, t.endIndex),
      scopes: t.scopes,
    }));
  });
}

/**
 * The scopes of the `nth` token that is exactly `text`, on the first line of `source` that
 * contains `line`. Fails when there is no such token: a grammar that splits or merges it is
 * wrong.
 */
function scopesIn(source: string, text: string, line = text, nth = 0): string[] {
  const row = source.split("\n").findIndex((l) => l.includes(line));
  if (row < 0) throw new Error(`no line contains ${JSON.stringify(line)}`);
  const tokens = source === sample ? lines[row]! : tokenize(source)[row]!;
  const token = tokens.filter((t) => t.text === text)[nth];
  if (!token) {
    const found = tokens.map((t) => JSON.stringify(t.text)).join(" ");
    throw new Error(`no token ${JSON.stringify(text)} #${nth} on line ${row + 1}: ${found}`);
  }
  return token.scopes;
}

/** {@link scopesIn} the sample. */
function scopes(text: string, line = text, nth = 0): string[] {
  return scopesIn(sample, text, line, nth);
}

beforeAll(async () => {
  await oniguruma.loadWASM({ data: readFileSync(wasmPath) });
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName: string) =>
      scopeName === "source.aegis"
        ? vsctm.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath)
        : null,
  });
  const loaded = await registry.loadGrammar("source.aegis");
  if (!loaded) throw new Error("grammar source.aegis did not load");
  grammar = loaded;
  lines = tokenize(sample);
});

describe("aegis TextMate grammar", () => {
  it("is valid JSON naming source.aegis and the .aegis extension", () => {
    const json = JSON.parse(readFileSync(grammarPath, "utf8"));
    expect(json.scopeName).toBe("source.aegis");
    expect(json.fileTypes).toEqual(["aegis"]);
    expect(Array.isArray(json.patterns)).toBe(true);
  });

  it("scopes the three kinds of comment", () => {
    expect(scopes(" a line comment")).toContain("comment.line.double-slash.aegis");
    expect(scopes("//", "a line comment")).toContain("comment.line.double-slash.aegis");
    expect(scopes(" a hash comment")).toContain("comment.line.number-sign.aegis");
    expect(scopes("#", "a hash comment")).toContain("comment.line.number-sign.aegis");
    expect(scopes(" a block comment")).toContain("comment.block.aegis");
    // The block comment carries over to the next line, and ends there.
    expect(scopes("   spanning lines ")).toContain("comment.block.aegis");
    expect(scopes("*/", "spanning lines")).toContain("comment.block.aegis");
    const afterComment = scopes("import");
    expect(afterComment).toContain("keyword.other.declaration.aegis");
    expect(afterComment).not.toContain("comment.block.aegis");
  });

  it("does not treat // inside a string as a comment", () => {
    const inner = scopes("curl http://localhost // not a comment");
    expect(inner).toContain("string.quoted.double.aegis");
    expect(inner.some((s) => s.startsWith("comment."))).toBe(false);
    // The string ends at its quote: the brace after it is code.
    expect(scopes("{", "curl http")).toContain("punctuation.section.block.begin.aegis");
  });

  it("scopes declaration, transition and setting keywords", () => {
    expect(scopes("workflow")).toContain("keyword.other.declaration.aegis");
    expect(scopes("state", "state APPROVE")).toContain("keyword.other.declaration.aegis");
    expect(scopes("final", "final DONE")).toContain("keyword.other.declaration.aegis");
    expect(scopes("secret")).toContain("keyword.other.declaration.aegis");
    expect(scopes("on", "on success -> APPROVE")).toContain("keyword.control.aegis");
    expect(scopes("otherwise", "on exit 0")).toContain("keyword.control.aegis");
    expect(scopes("feedback", "on rejected")).toContain("keyword.control.aegis");
    expect(scopes("timeout", "backoff 10s")).toContain("keyword.other.aegis");
    expect(scopes("retry")).toContain("keyword.other.aegis");
    expect(scopes("exit", "on exit 0")).toContain("keyword.other.aegis");
  });

  it("scopes `session` on agents and states as a keyword, and the session's name as a name", () => {
    const text = [
      'agent coder = claude(model: "sonnet") session',
      "agent helper session",
      "state A = agent coder session tdd timeout 5m {",
    ].join("\n");
    expect(scopesIn(text, "session", "agent coder")).toContain("keyword.other.aegis");
    expect(scopesIn(text, "session", "agent helper")).toContain("keyword.other.aegis");
    expect(scopesIn(text, "helper", "agent helper")).toContain("entity.name.function.agent.aegis");
    expect(scopesIn(text, "session", "state A")).toContain("keyword.other.aegis");
    const name = scopesIn(text, "tdd", "state A");
    expect(name).toContain("variable.other.aegis");
    expect(name.join(" ")).not.toContain("keyword");
  });

  it("scopes the transition arrow and its target state", () => {
    const arrow = scopes("->", "on success -> APPROVE");
    expect(arrow).toContain("keyword.control.aegis");
    expect(arrow).not.toContain("keyword.operator.arithmetic.aegis");
    expect(scopes("APPROVE", "on success -> APPROVE")).toContain("entity.name.type.state.aegis");
    expect(scopes("IMPLEMENT", "on approved")).toContain("entity.name.type.state.aegis");
  });

  it("names the state after state, final and start", () => {
    const start = scopes("REQUIREMENTS", "start REQUIREMENTS");
    expect(start).toContain("entity.name.type.state.aegis");
    expect(start).not.toContain("keyword.other.declaration.aegis");
    expect(scopes("REQUIREMENTS", "state REQUIREMENTS")).toContain("entity.name.type.state.aegis");
    expect(scopes("DONE", "final DONE")).toContain("entity.name.type.state.aegis");
    expect(scopes("FAILED", "final FAILED")).toContain("entity.name.type.state.aegis");
    expect(scopes("failure", "final FAILED")).toContain("keyword.other.aegis");
  });

  it("names agents, including hyphenated ones, as single tokens", () => {
    expect(scopes("agent", "agent planner  =")).toContain("keyword.other.declaration.aegis");
    expect(scopes("planner", "agent planner  =")).toContain("entity.name.function.agent.aegis");
    const hyphenated = scopes("security-reviewer", "agent security-reviewer =");
    expect(hyphenated).toContain("entity.name.function.agent.aegis");
    expect(scopes("claude")).toContain("support.function.aegis");
  });

  it("scopes state kinds after = as storage types", () => {
    const agentKind = scopes("agent", "state REQUIREMENTS = agent");
    expect(agentKind).toContain("storage.type.aegis");
    expect(agentKind).not.toContain("keyword.other.declaration.aegis");
    const planner = scopes("planner", "state REQUIREMENTS = agent");
    expect(planner).toContain("entity.name.function.agent.aegis");
    const reviewer = scopes("security-reviewer", "state REVIEW = agent");
    expect(reviewer).toContain("entity.name.function.agent.aegis");
    for (const kind of ["human", "run", "parallel", "foreach", "loop", "coordinate", "branch"]) {
      expect(scopes(kind, `= ${kind}`), kind).toContain("storage.type.aegis");
    }
    expect(scopes("=", "state APPROVE = human")).toContain("keyword.operator.assignment.aegis");
  });

  it("scopes durations and numbers", () => {
    expect(scopes("3m")).toContain("constant.numeric.duration.aegis");
    expect(scopes("24h")).toContain("constant.numeric.duration.aegis");
    expect(scopes("1h30m")).toContain("constant.numeric.duration.aegis");
    expect(scopes("500ms")).toContain("constant.numeric.duration.aegis");
    const threshold = scopes("0.85", "on score");
    expect(threshold).toContain("constant.numeric.aegis");
    expect(threshold).not.toContain("constant.numeric.duration.aegis");
    expect(scopes("30", "limits")).toContain("constant.numeric.aegis");
    expect(scopes("2", "retry 2")).toContain("constant.numeric.aegis");
  });

  it("scopes strings, triple strings and escapes", () => {
    expect(scopes("1.0.0")).toContain("string.quoted.double.aegis");
    expect(scopes('"', "1.0.0")).toContain("punctuation.definition.string.begin.aegis");
    const escapedQuote = scopes('\\"', "on rejected");
    expect(escapedQuote).toContain("constant.character.escape.aegis");
    expect(escapedQuote).toContain("string.quoted.double.aegis");
    // The string goes on past the escaped quote, and ends at the real one.
    expect(scopes("why", "on rejected")).toContain("string.quoted.double.aegis");
    expect(scopes(": ", "on rejected")).toContain("string.quoted.double.aegis");
    const newline = scopes("\\n", "Be strict.");
    expect(newline).toContain("constant.character.escape.aegis");
    expect(newline).toContain("string.quoted.triple.aegis");
    const triple = scopes("Write requirements for: ");
    expect(triple).toContain("string.quoted.triple.aegis");
    expect(triple).not.toContain("string.quoted.double.aegis");
    expect(scopes('"""', "Write requirements")).toContain(
      "punctuation.definition.string.begin.aegis",
    );
  });

  it("scopes template expressions inside a one-line string", () => {
    const open = scopes("{{", "on rejected");
    expect(open).toContain("string.quoted.double.aegis");
    expect(open).toContain("meta.embedded.template.aegis");
    expect(open).toContain("punctuation.section.embedded.begin.aegis");
    const head = scopes("human", "on rejected");
    expect(head).toContain("meta.embedded.template.aegis");
    expect(head).toContain("variable.other.aegis");
    expect(head).not.toContain("storage.type.aegis");
    const field = scopes("feedback", "on rejected", 1);
    expect(field).toContain("meta.embedded.template.aegis");
    expect(field).toContain("variable.other.property.aegis");
    expect(scopes("}}", "on rejected")).toContain("punctuation.section.embedded.end.aegis");
    expect(scopes("file", "Analyze {{file}}", 1)).toContain("meta.embedded.template.aegis");
    // Text before the template is plain string content.
    expect(scopes("Analyze ")).not.toContain("meta.embedded.template.aegis");
    // After the string closes, highlighting returns to code.
    expect(scopes("on", "Analyze {{file}}")).toContain("keyword.control.aegis");
  });

  it("scopes template expressions inside a triple string spanning lines", () => {
    // First line: the template on the line that opens the string.
    expect(scopes("task", "Write requirements")).toContain("meta.embedded.template.aegis");
    // Second line: block helpers and else, inside the still-open string.
    const ifOpen = scopes("if", "{{#if input.strict}}", 0);
    expect(ifOpen).toContain("string.quoted.triple.aegis");
    expect(ifOpen).toContain("meta.embedded.template.aegis");
    expect(ifOpen).toContain("keyword.control.template.aegis");
    expect(scopes("else", "{{else}}")).toContain("keyword.control.template.aegis");
    expect(scopes("if", "{{/if}}", 1)).toContain("keyword.control.template.aegis");
    expect(scopes("strict", "{{#if input.strict}}")).toContain("variable.other.property.aegis");
    const text = scopes("Be strict.");
    expect(text).toContain("string.quoted.triple.aegis");
    expect(text).not.toContain("meta.embedded.template.aegis");
    // Third line: a triple-stash, then the closing quotes.
    const stash = scopes("{{{", "Previous:");
    expect(stash).toContain("string.quoted.triple.aegis");
    expect(stash).toContain("punctuation.section.embedded.begin.aegis");
    expect(scopes("REVIEW", "Previous:")).toContain("meta.embedded.template.aegis");
    expect(scopes("output", "Previous:")).toContain("variable.other.property.aegis");
    expect(scopes("}}}", "Previous:")).toContain("punctuation.section.embedded.end.aegis");
    expect(scopes('"""', "Previous:")).toContain("punctuation.definition.string.end.aegis");
    // The string has ended, so the next line is code again.
    const after = scopes("on", "on success -> APPROVE");
    expect(after).not.toContain("string.quoted.triple.aegis");
    // A triple string on one line, with a template and an escape.
    expect(scopes("REQUIREMENTS", "Requirements:\\n")).toContain("meta.embedded.template.aegis");
  });

  it("recovers from unterminated strings and templates", () => {
    const source = [
      'state A = run "unterminated',
      "  on success -> B",
      '  prompt "{{unclosed " on failure -> C',
      '  prompt """{{unclosed',
      '  still"""',
      "  on exit 1 -> D",
    ].join("\n");
    // A one-line string ends with its line.
    const next = scopesIn(source, "on", "on success");
    expect(next).toContain("keyword.control.aegis");
    expect(next).not.toContain("string.quoted.double.aegis");
    // An unclosed template in a one-line string ends at the string's closing quote.
    const after = scopesIn(source, "on", "on failure");
    expect(after).toContain("keyword.control.aegis");
    expect(after).not.toContain("meta.embedded.template.aegis");
    // An unclosed template in a triple string ends at the closing quotes.
    expect(scopesIn(source, "still")).toContain("meta.embedded.template.aegis");
    const close = scopesIn(source, '"""', "still");
    expect(close).toContain("punctuation.definition.string.end.aegis");
    expect(close).not.toContain("meta.embedded.template.aegis");
    expect(scopesIn(source, "on", "on exit 1")).toContain("keyword.control.aegis");
  });

  it("scopes Handlebars escapes, comments and string arguments", () => {
    const source = [
      'prompt "\\{{literal}} {{! a note }} {{#if (eq x \\"a\\")}}y{{/if}}"',
      'prompt """{{#each items}}{{@index}}: {{this}}{{/each}} "quoted" {{{raw}}}"""',
      'until output contains "x"',
    ].join("\n");
    expect(scopesIn(source, "\\{{")).toContain("constant.character.escape.template.aegis");
    expect(scopesIn(source, "literal}} ")).not.toContain("meta.embedded.template.aegis");
    expect(scopesIn(source, " a note ")).toContain("comment.block.template.aegis");
    expect(scopesIn(source, '\\"a\\"')).toContain("string.quoted.double.template.aegis");
    expect(scopesIn(source, "each", "each items")).toContain("keyword.control.template.aegis");
    expect(scopesIn(source, "@index")).toContain("variable.language.template.aegis");
    // Quotes inside a triple string do not end it.
    expect(scopesIn(source, ' "quoted" ')).toContain("string.quoted.triple.aegis");
    expect(scopesIn(source, "raw")).toContain("meta.embedded.template.aegis");
    // A keyword right after until is a name: `until output contains …`.
    const output = scopesIn(source, "output");
    expect(output).toContain("variable.other.aegis");
    expect(output).not.toContain("keyword.other.declaration.aegis");
  });

  it("scopes operators", () => {
    expect(scopes(">=")).toContain("keyword.operator.comparison.aegis");
    expect(scopes("==")).toContain("keyword.operator.comparison.aegis");
    expect(scopes("!=")).toContain("keyword.operator.comparison.aegis");
    expect(scopes("|", "input language")).toContain("keyword.operator.union.aegis");
    const assign = scopes("=", "input language");
    expect(assign).toContain("keyword.operator.assignment.aegis");
    expect(assign).not.toContain("keyword.operator.comparison.aegis");
    expect(scopes("and", "on score")).toContain("keyword.operator.logical.aegis");
    expect(scopes("contains")).toContain("keyword.operator.word.aegis");
    expect(scopes("in", "foreach file in")).toContain("keyword.operator.word.aegis");
  });

  it("treats keywords used as names in paths and keys as names", () => {
    const exitCode = scopes("exit_code");
    expect(exitCode).toContain("variable.other.property.aegis");
    expect(exitCode).not.toContain("keyword.other.aegis");
    expect(scopes("output", "HEALTH.output")).toContain("variable.other.property.aegis");
    const input = scopes("input", "input.files");
    expect(input).toContain("variable.other.aegis");
    expect(input).not.toContain("keyword.other.declaration.aegis");
    expect(scopes("category")).toContain("variable.other.property.aegis");
    expect(scopes("weighted_average")).toContain("variable.other.aegis");
    expect(scopes("task", "input task")).toContain("variable.parameter.input.aegis");
  });

  it("highlights every keyword of the lexer as a keyword", () => {
    expect(keywords.length).toBeGreaterThan(50);
    for (const word of keywords) {
      const tokens = grammar.tokenizeLine(word, vsctm.INITIAL).tokens;
      expect(tokens, word).toHaveLength(1);
      const scope = tokens[0]!.scopes.at(-1)!;
      expect(scope, word).toMatch(/^(keyword|storage\.type|constant\.language)\./);
    }
    // and the constants as constants
    for (const word of ["true", "false", "null"]) {
      const tokens = grammar.tokenizeLine(`x == ${word}`, vsctm.INITIAL).tokens;
      expect(tokens.at(-1)!.scopes, word).toContain("constant.language.aegis");
    }
  });

  it("gives every token of the sample a scope", () => {
    for (const [row, tokens] of lines.entries()) {
      for (const token of tokens) {
        if (token.text.trim() === "") continue;
        expect(token.scopes.length, `line ${row + 1}: ${token.text}`).toBeGreaterThan(1);
      }
    }
  });
});
