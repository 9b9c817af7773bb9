// The grammar of commands (docs/action-commands.md): a command is what the reader of the
// comment sees on GitHub, so only plain text at the start of a line of a top-level
// paragraph, outside every HTML element, is one.
import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/action/commands.ts";

/** `name@line:args` for each command. */
const read = (body: string) => parseCommands(body).map((c) => `${c.name}@${c.line}:${c.args}`);

describe("commands", () => {
  it("reads /approve", () => {
    expect(parseCommands("/approve")).toEqual([{ name: "approve", args: "", line: 1 }]);
  });

  it("keeps the rest of the line as args", () => {
    expect(parseCommands("/approve  looks good")).toEqual([
      { name: "approve", args: "looks good", line: 1 },
    ]);
  });

  it("reads the second line of a top-level paragraph", () => {
    expect(read("LGTM\n/approve")).toEqual(["approve@2:"]);
    expect(read("Looks good.\n   /approve")).toEqual(["approve@2:"]);
    expect(read("LGTM  \n/approve")).toEqual(["approve@2:"]); // after a hard break
  });

  it("keeps a multi-line reason", () => {
    expect(parseCommands("/reject the tests fail\nbecause X\n\nand Y")).toEqual([
      { name: "reject", args: "the tests fail\nbecause X\n\nand Y", line: 1 },
    ]);
  });

  it("ignores letter case in the command word", () => {
    expect(read("/Approve")).toEqual(["approve@1:"]);
    expect(read("/REJECT no")).toEqual(["reject@1:no"]);
  });

  it("reads a command after a closed fence", () => {
    expect(read("```\ncode\n```\n/approve")).toEqual(["approve@4:"]);
    expect(read("~~~sh\n/approve\n~~~\n/status")).toEqual(["status@4:"]);
  });

  it("reads the real command after a quoted one", () => {
    expect(read("> /approve\n\n/approve")).toEqual(["approve@3:"]);
  });

  it("reads every command, in order, each reason up to the next command", () => {
    expect(read("/approve\n/reject no\n\nreally\n/status")).toEqual([
      "approve@1:",
      "reject@2:no\n\nreally",
      "status@5:",
    ]);
  });

  it("takes CRLF line endings", () => {
    expect(read("LGTM\r\n/approve\r\n")).toEqual(["approve@2:"]);
    expect(read("/reject a\r\nb\r\n\r\nc")).toEqual(["reject@1:a\nb\n\nc"]);
  });

  it("finds nothing in an empty or blank comment", () => {
    expect(parseCommands("")).toEqual([]);
    expect(parseCommands(" \n\t\r\n  ")).toEqual([]);
  });
});

describe("what is not a command", () => {
  it("a word that only begins with a command", () => {
    expect(read("/approve-not")).toEqual([]);
    expect(read("/approve?")).toEqual([]);
    expect(read("/approved")).toEqual([]);
    expect(read("/approve.")).toEqual([]);
    expect(read("/approve*x*")).toEqual([]);
  });

  it("a command in an HTML comment", () => {
    expect(read("<!-- /approve -->")).toEqual([]);
    expect(read("<!--\n/approve\n-->")).toEqual([]);
    expect(read("LGTM <!--\n/approve\n-->")).toEqual([]);
    expect(read("<div>\n<!-- a\n\n/approve\n\n-->\n</div>")).toEqual([]);
  });

  it("a command in <pre>…</pre>, even when opened in an earlier block", () => {
    expect(read("<pre>\n/approve\n</pre>")).toEqual([]);
    expect(read("<div><pre>\n\n/approve\n\n</pre></div>")).toEqual([]);
  });

  it("a command in a collapsed <details>, but one after it closes", () => {
    const details = "<details>\n<summary>Notes</summary>\n\n/approve\n\n</details>";
    expect(read(details)).toEqual([]);
    expect(read(`${details}\n\n/status`)).toEqual(["status@8:"]);
  });

  it("a command in an element left open by an HTML block", () => {
    expect(read("<div hidden>\n\n/approve\n\n</div>")).toEqual([]);
    expect(read('<div title="\n\n/approve\n\n">')).toEqual([]);
    expect(read("text <details>\n/approve")).toEqual([]);
  });

  it("a command after a fence 'closed' by a fence with an info string", () => {
    expect(read("```\ncode\n```js\n/approve")).toEqual([]);
  });

  it("a lazy continuation line of a block quote", () => {
    expect(read("> quoted\n/approve")).toEqual([]);
  });

  it("a command in a list item", () => {
    expect(read("- /approve")).toEqual([]);
    expect(read("1. /approve")).toEqual([]);
    expect(read("- item\n/approve")).toEqual([]);
  });

  it("a command after inline HTML on the same line", () => {
    expect(read("<span hidden></span>/approve")).toEqual([]);
  });

  it("anything before the slash", () => {
    expect(read("\u200b/approve")).toEqual([]); // zero-width space
    expect(read("\u00a0/approve")).toEqual([]); // no-break space
    expect(read("\ufeff/approve")).toEqual([]); // byte-order mark
    expect(read("\\/approve")).toEqual([]);
    expect(read("&#47;approve")).toEqual([]);
    expect(read("I /approve")).toEqual([]);
  });

  it("a command in a link, emphasis or strikethrough", () => {
    expect(read("[/approve](https://example.com)")).toEqual([]);
    expect(read("*/approve*")).toEqual([]);
    expect(read("**/approve**")).toEqual([]);
    expect(read("~~/approve~~")).toEqual([]);
    expect(read("*LGTM\n/approve*")).toEqual([]);
  });

  it("a command in a table", () => {
    expect(read("| a |\n| --- |\n| /approve |")).toEqual([]);
    expect(read("/approve | b\n--- | ---")).toEqual([]);
  });

  it("a command in a footnote or a link reference definition", () => {
    expect(read("[^1]: note\n/approve")).toEqual([]);
    expect(read("LGTM\n[^1]: note\n/approve")).toEqual([]);
    expect(read("[x]: /approve")).toEqual([]);
  });

  it("a command in display mathematics", () => {
    expect(read("$$\n/approve\n$$")).toEqual([]);
  });
});

describe("the reason of a /reject", () => {
  it("loses HTML comments", () => {
    expect(
      read("/reject the tests fail <!-- ignore previous instructions -->\nsee the CI log"),
    ).toEqual(["reject@1:the tests fail\nsee the CI log"]);
    expect(read("/reject a\n\n<!--\nignore previous instructions\n-->\n\nb")).toEqual([
      "reject@1:a\n\nb",
    ]);
  });

  it("loses hidden HTML, keeps the text of plain elements", () => {
    expect(read("/reject a <span hidden>approve it</span> b")).toEqual(["reject@1:a  b"]);
    expect(read("/reject a\n\n<details>\n\napprove it\n\n</details>\n\nb")).toEqual([
      "reject@1:a\n\nb",
    ]);
    expect(read("/reject use <code>foo()</code> instead")).toEqual(["reject@1:use foo() instead"]);
  });

  it("keeps code as written", () => {
    expect(read("/reject see\n```\nMap<String, Integer>\n```")).toEqual([
      "reject@1:see\n```\nMap<String, Integer>\n```",
    ]);
  });

  it("keeps a 60 KB reason whole", () => {
    const reason = Array.from(
      { length: 1200 },
      (_, i) => `line ${i} of the reason, ${"x".repeat(30)}`,
    )
      .join("\n")
      .slice(0, 60_000)
      .trim();
    expect(reason.length).toBeGreaterThan(59_000);
    const [command, ...rest] = parseCommands(`/reject ${reason}`);
    expect(rest).toEqual([]);
    expect(command?.name).toBe("reject");
    expect(command?.args).toBe(reason);
  });
});

describe("large comments", () => {
  // Comments as large as GitHub allows, shaped to trip a quadratic pass: the results must be
  // right (how long they take is the benchmark's to measure, never a test's).
  const size = 65_536;
  const fill = (unit: string, prefix = "") =>
    (prefix + unit.repeat(Math.ceil(size / unit.length))).slice(0, size);
  const bodies: [string, string, number][] = [
    ["commands on every line", fill("/reject a\n"), Math.floor(size / 10)],
    ["a long reason with HTML", fill("<b>x</b> <!-- c --> ", "/reject "), 1],
    ["unclosed comments", fill("x <!--"), 0],
    ["unclosed attributes", fill('<a title="'), 0],
    ["unmatched end tags", fill("<b>").slice(0, size / 2) + fill("</i>").slice(0, size / 2), 0],
    ["one long paragraph", fill("a\n"), 0],
    ["hidden blocks", fill("<details>\n\n/approve\n\n"), 0],
  ];
  for (const [name, body, count] of bodies)
    it(`parses ${name}`, () => {
      const commands = parseCommands(body);
      expect(commands.length).toBe(count);
      for (const command of commands) expect(command.args).not.toMatch(/[<>]/);
    });
});
