// The language server's incremental parse gives the tree a full parse gives: every example
// (and a 500-state chain) edited at random places — inside a state (the incremental path),
// and anywhere (where it must fall back) — compared, positions and comments included.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chainSource } from "../../bench/lib/aegis-sources.ts";
import { IncrementalParser } from "../../src/compiler/incremental-parse.ts";
import { parse } from "../../src/compiler/parse.ts";

const ROOT = join(import.meta.dirname, "../..");
const examples = readdirSync(join(ROOT, "examples"), { recursive: true, encoding: "utf8" })
  .filter((f) => f.endsWith(".aegis"))
  .map((f) => readFileSync(join(ROOT, "examples", f), "utf8"));
const sources = [...examples, chainSource(500)].filter(
  (t) => parse(t, "x.aegis").findings.length === 0,
);

/** The first place two trees differ (a path and both values), if any. */
function difference(a: unknown, b: unknown, path = "ast"): string | undefined {
  if (a === b) return undefined;
  if (!a || !b || typeof a !== "object" || typeof b !== "object")
    return `${path}: ${JSON.stringify(a)} ≠ ${JSON.stringify(b)}`;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = difference(
      (a as Record<string, unknown>)[key],
      (b as Record<string, unknown>)[key],
      `${path}.${key}`,
    );
    if (d) return d;
  }
  return undefined;
}

const same = (incremental: ReturnType<typeof parse>, full: ReturnType<typeof parse>) => {
  expect(difference(incremental.ast, full.ast)).toBeUndefined();
  expect(incremental.findings).toEqual(full.findings);
  expect(incremental.comments.map((c) => [c.image, c.startOffset])).toEqual(
    full.comments.map((c) => [c.image, c.startOffset]),
  );
};

describe("incremental parse", () => {
  it("an edit inside a state's prompt is parsed alone, and gives the full parse's tree", () => {
    const text = chainSource(500);
    const parser = new IncrementalParser("chain.aegis");
    parser.parse(text);
    const at = text.indexOf('"x"', text.indexOf("state S250")) + 1;
    const edited = `${text.slice(0, at)}hello {{input.who}}${text.slice(at)}`;
    const result = parser.parse(edited);
    expect(parser.last).toBe("incremental");
    same(result, parse(edited, "chain.aegis"));
  });

  it("random edits of every example: the same tree as a full parse, whichever path", () => {
    const edit = fc.record({
      source: fc.integer({ min: 0, max: sources.length - 1 }),
      at: fc.integer({ min: 0, max: 1_000_000 }),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.constantFrom(
        "",
        "x",
        " ",
        "\n",
        "7",
        '"',
        "}",
        "{{input.a}}",
        "// note\n",
        "visits 2 ",
      ),
    });
    let incremental = 0;
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
        const parser = new IncrementalParser("x.aegis");
        let text = sources[edits[0]!.source]!;
        parser.parse(text);
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.remove);
          const result = parser.parse(text);
          if (parser.last === "incremental") incremental++;
          same(result, parse(text, "x.aegis"));
        }
      }),
      { numRuns: 400 },
    );
    // The property exercised the incremental path, not only the fallback.
    expect(incremental).toBeGreaterThan(20);
  });
});
