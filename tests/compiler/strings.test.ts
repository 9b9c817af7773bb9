import { describe, expect, it } from "vitest";
import { decodeString, decodeTripleString, templateOffset } from "../../src/compiler/strings.ts";

describe("string literals", () => {
  it("decodes escapes and maps every character back to the file", () => {
    const source = 'x = "a\\nb{{c}}"';
    const start = source.indexOf('"');
    const { template, problems } = decodeString(source.slice(start), start);
    expect(problems).toEqual([]);
    expect(template.text).toBe("a\nb{{c}}");
    // 'b' is after the two-character escape \n
    expect(source[templateOffset(template, template.text.indexOf("b"))]).toBe("b");
    expect(source[templateOffset(template, template.text.indexOf("c"))]).toBe("c");
  });

  it("keeps unknown escapes such as Handlebars' \\{{ as written", () => {
    const { template } = decodeString('"\\{{x}}"', 0);
    expect(template.text).toBe("\\{{x}}");
  });

  it("decodes \\u{…} and reports malformed ones", () => {
    expect(decodeString('"\\u{1F600}"', 0).template.text).toBe("😀");
    expect(decodeString('"\\u{zz}"', 0).problems).toEqual([
      { message: "invalid \\u{…} escape", start: 1, end: 7 },
    ]);
    expect(decodeString('"\\u{1F680Z}"', 0).problems).toHaveLength(1);
  });

  it("removes the common indentation of triple-quoted strings", () => {
    const source = 'prompt """\n      first {{a}}\n        indented\n      last\n    """';
    const start = source.indexOf('"""');
    const { template } = decodeTripleString(source.slice(start), start);
    expect(template.text).toBe("first {{a}}\n  indented\nlast");
    const index = template.text.indexOf("indented");
    expect(source.slice(templateOffset(template, index), templateOffset(template, index) + 8)).toBe(
      "indented",
    );
    expect(source[templateOffset(template, template.text.indexOf("a"))]).toBe("a");
  });

  it("keeps a one-line triple-quoted string as it is", () => {
    expect(decodeTripleString('"""Requirements:\\n{{R.output}}"""', 0).template.text).toBe(
      "Requirements:\n{{R.output}}",
    );
  });
});

describe("line continuation", () => {
  it("joins lines ending with a backslash in triple-quoted strings", () => {
    const { template } = decodeTripleString('"""\n  one \\\n  two\n  three\n"""', 0);
    expect(template.text).toBe("one two\nthree");
  });

  it("keeps an escaped backslash at the end of a line", () => {
    const { template } = decodeTripleString('"""\n  a\\\\\n  b\n"""', 0);
    expect(template.text).toBe("a\\\nb");
  });
});
