// Agent sessions (grammar/README.md#sessions): `agent NAME … session` and the state setting
// `session NAME` — how they parse and lower, where they are allowed (AEG110, AEG106), the
// checks AEG511 (a session continued by two agents) and AEG512 (a concurrent foreach in a
// session), how they are printed (aegis fmt) and drawn.
import { describe, expect, it } from "vitest";
import type { StateSetting } from "../../src/compiler/ast.ts";
import { formatSource, printAegis } from "../../src/compiler/emit/aegis.ts";
import { toDot } from "../../src/compiler/emit/dot.ts";
import { toMermaid } from "../../src/compiler/emit/mermaid.ts";
import { canonicalJson } from "../../src/compiler/graph.ts";
import { parse } from "../../src/compiler/parse.ts";
import {
  compileSource,
  diagnose,
  findings,
  positionOf,
  source,
  workflow,
} from "../helpers/compile.ts";

/** A workflow that uses sessions every way it may, and reports nothing. */
const tdd = source(`
  workflow tdd {
    input files: list<string> = ["a.ts", "b.ts"]
    input language: string = "ts"
    agent worker = claude(model: "sonnet", permission: "write") session
    agent reviewer = claude(model: "opus")
    agent helper session
    start WRITE_TESTS

    state WRITE_TESTS = agent worker timeout 10m {
      prompt "Write failing tests."
      on success -> IMPLEMENT
      otherwise -> FAILED
    }
    state IMPLEMENT = agent worker session worker timeout 10m {
      prompt "Make them pass."
      on success -> REVIEW
      otherwise -> FAILED
    }
    state REVIEW = loop agent reviewer max 3 until score >= 0.8 session review timeout 5m {
      prompt "Review the change."
      on success -> EXPERT
      otherwise -> FAILED
    }
    state EXPERT = agent "{{input.language}}-expert" timeout 5m {
      session review
      prompt "Review it as an expert."
      on success -> DOCS
      otherwise -> FAILED
    }
    state DOCS = foreach file in input.files agent helper concurrency 1 timeout 10m {
      prompt "Document {{file}}."
      on success -> NOTES
      otherwise -> FAILED
    }
    state NOTES = agent reviewer session notes timeout 5m {
      prompt "Write release notes."
      on success -> DONE
      otherwise -> FAILED
    }
    final DONE
    final FAILED failure
  }
`);

function sessionSetting(settings: StateSetting[]): string | undefined {
  const s = settings.find((x) => x.kind === "session");
  return s?.kind === "session" ? s.name.name : undefined;
}

describe("syntax", () => {
  it("parses `session` after an agent's provider call and after an agent supplied at run time", () => {
    const parsed = parse(tdd, "tdd.aegis");
    expect(parsed.findings).toEqual([]);
    const agents = parsed.ast.workflow!.agents;
    const [worker, reviewer, helper] = agents;
    expect(worker!.provider?.name).toBe("claude");
    expect(tdd.slice(worker!.session!.span.start, worker!.session!.span.end)).toBe("session");
    expect(reviewer!.session).toBeUndefined();
    expect(helper!.provider).toBeUndefined();
    expect(tdd.slice(helper!.session!.span.start, helper!.session!.span.end)).toBe("session");
  });

  it("parses `session NAME` after the kind and in the body, on agent, template, loop and foreach states", () => {
    const text = workflow(`
      state A = agent bot session one timeout 1m {
        on success -> B
        otherwise -> FAILED
      }
      state B = loop agent bot max 2 until success {
        session two
        on success -> C
        otherwise -> FAILED
      }
      state C = foreach f in ["x"] agent bot concurrency 1 session three {
        on success -> D
        otherwise -> FAILED
      }
      state D = agent "b{{input.x}}" session four {
        on success -> DONE
        otherwise -> FAILED
      }
      input x: string = "ot"
    `);
    const parsed = parse(text, "t.aegis");
    expect(parsed.findings).toEqual([]);
    const states = parsed.ast.workflow!.states;
    expect(states.map((s) => sessionSetting(s.settings))).toEqual([
      "one",
      "two",
      "three",
      "four",
      undefined,
      undefined,
    ]);
    const setting = states[0]!.settings.find((s) => s.kind === "session")!;
    expect(text.slice(setting.span.start, setting.span.end)).toBe("session one");
    expect(diagnose(text)).toEqual([]);
  });

  it("keeps `session` usable as a name: of an agent, an input, a state, a session", () => {
    const text = source(`
      workflow session {
        input session: string = "s"
        agent session = claude() session
        start session
        state session = agent session session session {
          prompt "{{input.session}}"
          on success -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `);
    const result = compileSource(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.graph.getAttribute("agents").session!.session).toBe(true);
    expect(result.graph.getNodeAttribute("session", "session")).toBe("session");
  });

  it("reports a `session` without a name as a syntax error", () => {
    const text = workflow(`
      state A = agent bot session {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG101", line: 4, column: 31 }]);
  });
});

describe("lowering", () => {
  const graph = compileSource(tdd).graph;

  it("compiles the workflow without diagnostics", () => {
    expect(compileSource(tdd).diagnostics).toEqual([]);
  });

  it("sets AgentSpec.session on agents declared with `session`, and leaves it absent otherwise", () => {
    const agents = graph.getAttribute("agents");
    expect(agents.worker!.session).toBe(true);
    expect(agents.helper!.session).toBe(true);
    expect(agents.helper!.provider).toBeUndefined();
    expect(agents.reviewer).not.toHaveProperty("session");
  });

  it("sets StateNode.session from the state's `session NAME`, and leaves it absent otherwise", () => {
    const session = (name: string) => graph.getNodeAttributes(name).session;
    expect(session("IMPLEMENT")).toBe("worker");
    expect(session("REVIEW")).toBe("review");
    expect(session("EXPERT")).toBe("review");
    expect(session("NOTES")).toBe("notes");
    for (const name of ["WRITE_TESTS", "DOCS", "DONE", "FAILED"])
      expect(graph.getNodeAttributes(name), name).not.toHaveProperty("session");
  });

  it("leaves a workflow without sessions as it was: no session field, so the same hash", () => {
    const plain = compileSource(
      workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    );
    expect(canonicalJson(plain.document)).not.toContain("session");
  });

  it("gives a workflow with a session another content hash", () => {
    const body = (setting: string) =>
      workflow(`
        state A = agent bot${setting} {
          on success -> DONE
          otherwise -> FAILED
        }
      `);
    const hashes = new Set([
      compileSource(body("")).document.hash,
      compileSource(body(" session a")).document.hash,
      compileSource(body(" session b")).document.hash,
      compileSource(
        workflow(
          `
        state A = agent bot {
          on success -> DONE
          otherwise -> FAILED
        }
      `,
          { agent: "agent bot = claude() session" },
        ),
      ).document.hash,
    ]);
    expect(hashes.size).toBe(4);
  });
});

describe("where `session` is allowed (AEG110, AEG106)", () => {
  it.each([
    ["run", 'run "make"', "a run state"],
    ["human", "human timeout 1h", "a human state"],
    ["parallel", "parallel", "a parallel state"],
    ["branch", "branch", "a branch state"],
    ["coordinate", "coordinate [bot] by bot steps 2", "a coordinate state"],
    ["container", 'container "alpine"', "a container state"],
  ])("is AEG110 on a %s state", (_kind, head, what) => {
    const judge = head === "parallel" ? "judge bot\n" : "";
    const text = workflow(`
      state A = ${head} session s {
        ${judge}on success -> DONE
        otherwise -> FAILED
      }
    `);
    const found = findings(text, "AEG110");
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toBe(`'session' is not allowed in ${what}`);
    expect({ line: found[0]!.line, column: found[0]!.column }).toEqual(
      positionOf(text, "session s"),
    );
  });

  it("is AEG110 on a run state, and that is the only finding", () => {
    const text = workflow(
      `
      state A = run "make" session build {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG110", line: 4, column: 24 }]);
  });

  it("is AEG106 when given twice, at the second, in the header or the body", () => {
    const text = workflow(`
      state A = agent bot session one {
        session two
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG106", line: 5, column: 5 }]);
    expect(findings(text, "AEG106")[0]!.message).toBe("'session' is given twice in state 'A'");
    // The first one counts.
    expect(compileSource(text).graph.getNodeAttribute("A", "session")).toBe("one");
  });

  it("takes `session` on a final state whose action is an agent", () => {
    const text = workflow(
      `
      final A = agent bot session wrap
    `,
      { finals: false },
    );
    const result = compileSource(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.graph.getNodeAttribute("A", "session")).toBe("wrap");
  });
});

describe("AEG511 session-agents", () => {
  const twoAgents = source(`
    workflow tdd {
      agent worker = claude(model: "sonnet")
      agent reviewer = claude(model: "opus")
      start WRITE_TESTS
      state WRITE_TESTS = agent worker session tdd {
        on success -> REVIEW
        otherwise -> FAILED
      }
      state REVIEW = agent reviewer session tdd {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE
      final FAILED failure
    }
  `);

  it("reports a session continued by a second agent at that state's `session`, naming both", () => {
    expect(diagnose(twoAgents)).toEqual([{ code: "AEG511", line: 9, column: 33 }]);
    const [d] = findings(twoAgents, "AEG511");
    expect(d!.severity).toBe("error");
    expect(d!.rule).toBe("session-agents");
    expect(d!.message).toBe(
      "session 'tdd' continues agent 'worker''s conversation (state WRITE_TESTS); state REVIEW calls 'reviewer'",
    );
    expect(d!.hint).toBe("a session is one agent's conversation; give REVIEW a session of its own");
    expect(d!.endColumn - d!.column).toBe("session tdd".length);
    expect(d!.related).toHaveLength(1);
    expect(d!.related[0]).toMatchObject({ line: 5, column: 36 });
    expect(d!.related[0]!.message).toContain("WRITE_TESTS");
  });

  it("takes an agent declared with `session` as the owner of the session named after it", () => {
    const text = workflow(
      `
      agent critic = claude()
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = loop agent critic max 2 until success session bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: "agent bot = claude() session" },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG511", line: 9, column: 51 }]);
    const [d] = findings(text, "AEG511");
    expect(d!.message).toBe(
      "session 'bot' continues agent 'bot''s conversation (agent 'bot' is declared with `session`); state B calls 'critic'",
    );
    expect(d!.related[0]).toMatchObject({ line: 2, column: 24 });
  });

  it("reports every state whose agent differs from the first, not the ones that agree", () => {
    const text = workflow(`
      agent critic = claude()
      agent tester = claude()
      state A = agent bot session s {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent critic session s {
        on success -> C
        otherwise -> FAILED
      }
      state C = agent bot session s {
        on success -> D
        otherwise -> FAILED
      }
      state D = foreach f in ["x"] agent tester concurrency 1 session s {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG511", line: 10, column: 26 },
      { code: "AEG511", line: 18, column: 59 },
    ]);
    for (const d of findings(text, "AEG511")) expect(d.message).toContain("agent 'bot''s");
  });

  it("is not reported for one agent in several sessions, an agent template, or states without one", () => {
    const text = workflow(`
      agent critic = claude()
      input who: string = "critic"
      state A = agent bot session plan {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot session code {
        on success -> C
        otherwise -> FAILED
      }
      state C = agent "{{input.who}}" session plan {
        on success -> D
        otherwise -> FAILED
      }
      state D = agent critic {
        on success -> E
        otherwise -> FAILED
      }
      state E = agent bot session plan {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("is not reported on a workflow that uses sessions every way it may", () => {
    expect(diagnose(tdd)).toEqual([]);
  });
});

describe("AEG512 session-concurrent", () => {
  it("warns about a foreach with a concurrency above 1 in its own session, at the concurrency", () => {
    const text = workflow(`
      state A = foreach f in ["x", "y"] agent bot concurrency 3 session s {
        prompt "{{f}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG512", line: 4, column: 47 }]);
    const [d] = findings(text, "AEG512");
    expect(d!.severity).toBe("warning");
    expect(d!.rule).toBe("session-concurrent");
    expect(d!.message).toBe(
      "foreach state 'A' has concurrency 3, but its calls continue session 's': they will run one at a time, since one conversation cannot take two turns at once",
    );
    expect(d!.hint).toContain("concurrency 1");
    expect(compileSource(text).ok).toBe(true);
  });

  it("warns about the default concurrency when the foreach's agent is declared with `session`", () => {
    const text = workflow(
      `
      state A = foreach f in ["x", "y"] agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: "agent bot = claude() session" },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG512", line: 4, column: 43 }]);
    expect(findings(text, "AEG512")[0]!.message).toBe(
      "foreach state 'A' has concurrency 4 (the default), but its calls continue session 'bot': they will run one at a time, since one conversation cannot take two turns at once",
    );
  });

  it("is at the `session` setting when no concurrency is written", () => {
    const text = workflow(`
      state A = foreach f in ["x", "y"] agent bot {
        session s
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG512", line: 5, column: 5 }]);
  });

  it("is not reported with concurrency 1, without a session, or on loop and agent states", () => {
    const text = workflow(`
      agent critic = claude()
      state A = foreach f in ["x", "y"] agent bot concurrency 1 session s {
        on success -> B
        otherwise -> FAILED
      }
      state B = foreach f in ["x", "y"] agent critic concurrency 4 {
        on success -> C
        otherwise -> FAILED
      }
      state C = loop agent bot max 3 until success session s {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("can be suppressed like any other finding", () => {
    const text = workflow(`
      // aegis-ignore AEG512 -- the calls are meant to follow one another
      state A = foreach f in ["x", "y"] agent bot concurrency 2 session s {
        on success -> DONE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });
});

describe("formatting (aegis fmt)", () => {
  const messy = source(`
    workflow tdd {
      agent worker = claude(model: "sonnet")    session   // the coder
      agent helper   session
      agent wide = claude(model: "a-model-with-a-rather-long-name", effort: "high", permission: "write") session
      start A
      state A = agent worker timeout 10m session   tdd {
        on success -> B
        otherwise -> FAILED
      }
      state B = loop agent helper max 2 until success {
        session notes
        timeout 5m
        on success -> C
        otherwise -> FAILED
      }
      state C = foreach f in ["x"] agent wide concurrency 1 {
        session    fan
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE
      final FAILED failure
    }
  `);

  it("prints `session` on agents and `session NAME` with the header settings", () => {
    const result = formatSource(messy, "tdd.aegis");
    if (!result.ok) throw new Error("does not format");
    expect(result.text).toBe(
      source(`
        workflow tdd {
          agent worker = claude(model: "sonnet") session // the coder
          agent helper session
          agent wide = claude(
            model: "a-model-with-a-rather-long-name",
            effort: "high",
            permission: "write",
          ) session
          start A

          state A = agent worker timeout 10m session tdd {
            on success -> B
            otherwise -> FAILED
          }

          state B = loop agent helper max 2 until success session notes timeout 5m {
            on success -> C
            otherwise -> FAILED
          }

          state C = foreach f in ["x"] agent wide concurrency 1 session fan {
            on success -> DONE
            otherwise -> FAILED
          }

          final DONE
          final FAILED failure
        }
      `),
    );
    // Idempotent, and the same graph.
    expect(formatSource(result.text, "tdd.aegis")).toEqual({
      ok: true,
      text: result.text,
      changed: false,
    });
    const before = compileSource(messy);
    expect(before.diagnostics).toEqual([]);
    expect(compileSource(result.text).document.hash).toBe(before.document.hash);
  });

  it("keeps the hash of the workflow that uses sessions every way, printed with and without its text", () => {
    const parsed = parse(tdd, "tdd.aegis");
    const hash = compileSource(tdd).document.hash;
    const formatted = formatSource(tdd, "tdd.aegis");
    if (!formatted.ok) throw new Error("does not format");
    expect(compileSource(formatted.text).document.hash).toBe(hash);
    expect(compileSource(printAegis(parsed.ast)).document.hash).toBe(hash);
  });

  it("keeps comments written around `session`", () => {
    const text = source(`
      workflow w {
        agent a = claude(model: "x") /* before */ session // after
        agent b /* supplied */ session
        start A
        state A = agent a session /* name */ s {
          on success -> B
          otherwise -> DONE
        }
        state B = agent b {
          on success -> DONE
        }
        final DONE
      }
    `);
    const result = formatSource(text, "w.aegis");
    if (!result.ok) throw new Error("does not format");
    for (const comment of ["/* before */", "// after", "/* supplied */", "/* name */"])
      expect(result.text).toContain(comment);
    expect(compileSource(result.text).document.hash).toBe(compileSource(text).document.hash);
  });
});

describe("pictures", () => {
  const graph = compileSource(tdd).graph;

  it("show the session a state's calls continue, its own or its agent's", () => {
    const mermaid = toMermaid(graph);
    expect(mermaid).toContain('s_WRITE__TESTS["WRITE_TESTS<br/>agent worker · session worker"]');
    expect(mermaid).toContain('s_REVIEW["REVIEW<br/>loop reviewer · session review"]');
    expect(mermaid).toContain('s_DOCS["DOCS<br/>foreach helper · session helper"]');
    expect(mermaid).toContain('s_NOTES["NOTES<br/>agent reviewer · session notes"]');
    const dot = toDot(graph);
    expect(dot).toContain('"IMPLEMENT" [label="IMPLEMENT\\nagent worker · session worker"]');
  });

  it("show nothing more for states without a session", () => {
    const plain = compileSource(
      workflow(`
        state A = agent bot {
          on success -> DONE
          otherwise -> FAILED
        }
      `),
    ).graph;
    expect(toMermaid(plain)).toContain('s_A["A<br/>agent bot"]');
    expect(toMermaid(plain)).not.toContain("session");
  });
});
