// Structure (AEG201–AEG211): states and targets exist, there is one start and a final
// state, every transition can fire, every state is reachable and can finish, gates can
// reject, final states end the run.
import { describe, expect, it } from "vitest";
import { compileSource, diagnose, findings, source, workflow } from "../helpers/compile.ts";
import { checkTriggers } from "../helpers/triggers.ts";
import { structureCases } from "./cases/structure.ts";

describe("catalogue: structure (AEG201–AEG211)", () => {
  checkTriggers(structureCases);
});

describe("a sound workflow", () => {
  it("compiles without any diagnostic", () => {
    const text = source(`
      workflow release "Build, review and ship" {
        version "1.2.0"
        description "Build, have it reviewed, ask a human, ship."
        labels { team: "platform" }
        input change: string "What changed"
        input target: "staging" | "production" = "staging"
        agent writer = claude(model: "sonnet", effort: "high")
        agent reviewer = gemini(model: "gemini-2.5-pro")
        limits { transitions: 20, agent_calls: 20, wall_time: 4h }
        start NOTES
        output "{{NOTES.output}}"

        state NOTES = agent writer timeout 5m visits 3 {
          prompt """
            Write release notes for: {{input.change}}
            {{#if state.feedback}}Reviewer said: {{state.feedback}}{{/if}}
          """
          on success -> REVIEW
          otherwise -> FAILED
        }
        state REVIEW = agent reviewer timeout 5m {
          prompt "Review these notes: {{NOTES.output}}"
          on score >= 0.8 -> APPROVE
          otherwise -> NOTES feedback "{{REVIEW.reasoning}}"
        }
        state APPROVE = human timeout 1h {
          prompt "Ship to {{input.target}}? {{NOTES.output}}"
          on approved -> SHIP
          on rejected -> NOTES feedback "{{human.feedback}}"
        }
        state SHIP = run "./ship.sh" timeout 10m {
          env { TARGET: "{{input.target}}", CHANGE: "{{input.change}}" }
          on exit 0 -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `);
    const result = compileSource(text);
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });
});

describe("AEG201 unknown state", () => {
  it("suggests the closest state name for a misspelled target", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONEE
        otherwise -> FAILED
      }
    `);
    expect(findings(text, "AEG201")[0]!.hint).toBe("did you mean 'DONE'?");
  });

  it("reports a start state that does not exist, at its name", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { start: "B" },
    );
    expect(diagnose(text)).toEqual([{ code: "AEG201", line: 3, column: 9 }]);
    expect(findings(text, "AEG201")[0]!.message).toBe("start state 'B' does not exist");
  });

  it("reports each unknown target of a state", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        on timeout -> RETRY
        on failure -> ESCALATE
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG201", line: 6, column: 19 },
      { code: "AEG201", line: 7, column: 19 },
    ]);
  });
});

describe("AEG202 duplicate state", () => {
  it("points back to the first declaration", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE
      final DONE
      final FAILED failure
    `,
      { finals: false },
    );
    const [d] = findings(text, "AEG202");
    expect(d).toMatchObject({ line: 9, column: 9 });
    expect(d!.related).toMatchObject([{ line: 8, column: 9, message: "first declared here" }]);
  });
});

describe("AEG203 missing start", () => {
  it("suggests the first state", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { start: false },
    );
    expect(findings(text, "AEG203")[0]!.hint).toBe("add `start A`");
  });
});

describe("AEG204 shadowed transition", () => {
  it.each([
    ["on always", "always"],
    ["on true", "true"],
    ["otherwise", "otherwise"],
  ])("`%s` shadows every later transition", (first, label) => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        ${first} -> FAILED
        on failure -> FAILED
        on timeout -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG204", line: 7, column: 5 },
      { code: "AEG204", line: 8, column: 5 },
    ]);
    const [d] = findings(text, "AEG204");
    expect(d!.message).toContain(`('${label}')`);
    expect(d!.related).toMatchObject([{ line: 6, column: 5, message: "always matches" }]);
  });

  it("does not report a transition that can still fire after conditional ones", () => {
    const text = workflow(`
      state A = agent bot {
        on success or timeout -> DONE
        on failure -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  // `failure` is every status `success` is not (runtime/scope.ts): together they always
  // match, so what follows them can never fire (checks/conditions.ts; tests/checks/conditions.test.ts).
  it("reports `otherwise` after conditions that together always match", () => {
    const text = workflow(`
      state A = agent bot {
        on success or timeout -> DONE
        on failure -> FAILED
        otherwise -> FAILED
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG204", line: 7, column: 5 }]);
    const [d] = findings(text, "AEG204");
    expect(d!.severity).toBe("error");
    expect(d!.message).toBe(
      "this transition can never fire: the transitions before it (`success or timeout`, `failure`) together always match",
    );
  });
});

describe("AEG205 unreachable state", () => {
  it("reports every state only reachable from unreachable ones", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      state B = agent bot {
        otherwise -> C
      }
      state C = agent bot {
        otherwise -> DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG205", line: 8, column: 9 },
      { code: "AEG205", line: 11, column: 9 },
    ]);
  });

  // Names must exist even in a state no path reaches yet (it is often work in progress);
  // only "may not have run" (AEG406) needs a path, so it is not reported there.
  it("still checks the names in the templates of unreachable states", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      state B = agent bot {
        prompt "{{nobody.output}} {{A.output}}"
        otherwise -> DONE
      }
    `);
    expect(diagnose(text)).toEqual([
      { code: "AEG205", line: 8, column: 9 },
      { code: "AEG401", line: 9, column: 15 },
    ]);
  });
});

describe("AEG206 no path to final", () => {
  it("reports each state of a trap, not the states that can still finish", () => {
    const text = workflow(`
      state A = agent bot visits 3 {
        on success -> DONE
        on failure -> FAILED
        otherwise -> B
      }
      state B = agent bot visits 3 {
        on success -> C
        otherwise -> B
      }
      state C = agent bot visits 3 {
        otherwise -> B
      }
    `);
    expect(diagnose(text).filter((d) => d.code === "AEG206")).toEqual([
      { code: "AEG206", line: 9, column: 9 },
      { code: "AEG206", line: 13, column: 9 },
    ]);
  });
});

describe("AEG207 dead end", () => {
  it("names the state and suggests making it final", () => {
    const text = workflow(`
      state A = agent bot {
        on score > 0.9 -> DONE
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot
    `);
    const [d] = findings(text, "AEG207");
    expect(d!.message).toBe("state 'B' has no transitions and is not final");
    expect(d!.hint).toBe("add transitions, or declare it `final B`");
  });
});

describe("AEG208 gate without reject", () => {
  it.each([
    "on rejected -> FAILED",
    "on not approved -> FAILED",
    'on response == "no" -> FAILED',
    "on timeout -> FAILED",
    "otherwise -> FAILED",
  ])("accepts `%s` as a way to say no", (reject) => {
    const text = workflow(`
      state A = agent bot {
        on success -> GATE
        otherwise -> FAILED
      }
      state GATE = human {
        on approved -> DONE
        ${reject}
      }
    `);
    expect(diagnose(text)).toEqual([]);
  });

  it("does not apply to a gate that cannot be reached", () => {
    const text = workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      state GATE = human {
        on approved -> DONE
      }
    `);
    expect(diagnose(text)).toEqual([{ code: "AEG205", line: 8, column: 9 }]);
  });
});

describe("AEG209 final with transitions", () => {
  it("points at the first transition of the final state", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE {
        on success -> FAILED
        otherwise -> A
      }
      final FAILED failure
    `,
      { finals: false },
    );
    expect(diagnose(text).filter((d) => d.code === "AEG209")).toEqual([
      { code: "AEG209", line: 9, column: 5 },
    ]);
  });

  it("allows a final state to run an action", () => {
    const text = workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE = run "echo done" timeout 10s
      final FAILED failure
    `,
      { finals: false },
    );
    expect(diagnose(text)).toEqual([]);
  });
});

describe("AEG210 no final state", () => {
  it("reports at the workflow's name", () => {
    const text = workflow(
      `
      state A = agent bot visits 2 {
        on success -> B
        otherwise -> A
      }
      state B = agent bot visits 2 {
        otherwise -> A
      }
    `,
      { finals: false, name: "forever" },
    );
    const [d] = findings(text, "AEG210");
    expect(d).toMatchObject({ line: 1, column: 10 });
    expect(d!.message).toBe("workflow 'forever' has no final state");
  });
});
