// Trigger cases for the agent, subworkflow and session codes (AEG501–AEG512). Imports are read
// from an in-memory file system; the file under test is /virtual/test.aegis.
import { source, workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

/** A small valid workflow to import. */
export const reviewFile = `
  workflow review {
    agent critic = claude()
    start REVIEW
    state REVIEW = agent critic {
      prompt "Review this."
      on success -> DONE
      otherwise -> FAILED
    }
    final DONE
    final FAILED failure
  }
`;

/** A file importing `path` as `review`, whose start state does or does not use it. */
function importing(path: string, uses: boolean): string {
  return source(`
    import "${path}" as review
    workflow test {
      start A
      state A = ${uses ? "subworkflow review" : 'run "true"'} {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE
      final FAILED failure
    }
  `);
}

/** Files /virtual/c1.aegis … cN.aegis, each calling the next as a subworkflow. */
function importChain(n: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let k = 1; k <= n; k++) {
    const calls = k < n;
    files[`/virtual/c${k}.aegis`] = `
      ${calls ? `import "./c${k + 1}.aegis" as next` : ""}
      workflow c${k} {
        start A
        state A = ${calls ? "subworkflow next" : 'run "true"'} {
          on success -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `;
  }
  return files;
}

export const agentCases: TriggerCase[] = [
  {
    code: "AEG501",
    title: "a misspelled agent",
    trigger: workflow(`
      state A = agent bott {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:19",
    also: ["AEG502 2:9"],
    clean: workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG502",
    title: "an agent no state uses",
    trigger: workflow(`
      agent critic = claude()
      state A = agent bot {
        prompt "draft"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:9",
    clean: workflow(`
      agent critic = claude()
      state A = agent bot {
        judge critic
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG503",
    title: "a misspelled provider",
    trigger: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: "agent bot = claud()" },
    ),
    at: "2:15",
    clean: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: "agent bot = claude()" },
    ),
  },
  {
    code: "AEG504",
    title: "a misspelled provider option",
    trigger: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: 'agent bot = claude(modle: "opus")' },
    ),
    at: "2:22",
    clean: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: 'agent bot = claude(model: "opus")' },
    ),
  },
  {
    code: "AEG505",
    title: "a subworkflow that is not imported",
    trigger: workflow(
      `
      state A = subworkflow review {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
    at: "4:25",
    clean: `import "./review.aegis" as review\n${workflow(
      `
      state A = subworkflow review {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    )}`,
    files: { "/virtual/review.aegis": reviewFile },
  },
  {
    code: "AEG506",
    title: "a workflow importing itself",
    trigger: importing("./test.aegis", true),
    at: "1:8",
    clean: importing("./review.aegis", true),
    files: { "/virtual/review.aegis": reviewFile },
  },
  {
    code: "AEG507",
    title: "an import of a missing file",
    trigger: importing("./reveiw.aegis", true),
    at: "1:8",
    clean: importing("./review.aegis", true),
    files: { "/virtual/review.aegis": reviewFile },
  },
  {
    code: "AEG509",
    title: "a chain of imports deeper than 32 files",
    trigger: importing("./c1.aegis", true),
    at: "1:8",
    clean: importing("./c3.aegis", true),
    files: importChain(33),
  },
  {
    code: "AEG510",
    title: "a subworkflow given an input it does not take",
    trigger: source(`
      import "./greet.aegis" as greet
      workflow test {
        start A
        state A = subworkflow greet {
          input { nmae: "ana" }
          on success -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `),
    at: "5:13",
    also: ["AEG510 5:11"],
    clean: source(`
      import "./greet.aegis" as greet
      workflow test {
        start A
        state A = subworkflow greet {
          input { name: "ana" }
          on success -> DONE
          otherwise -> FAILED
        }
        final DONE
        final FAILED failure
      }
    `),
    files: {
      "/virtual/greet.aegis": `
        workflow greet {
          input name: string
          start DONE
          final DONE
        }
      `,
    },
  },
  {
    code: "AEG508",
    title: "an import no state uses",
    trigger: importing("./review.aegis", false),
    at: "1:28",
    clean: importing("./review.aegis", true),
    files: { "/virtual/review.aegis": reviewFile },
  },
  {
    code: "AEG511",
    title: "a session continued by two different agents",
    trigger: workflow(`
      agent critic = claude()
      state A = agent bot session draft {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent critic session draft {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "9:26",
    clean: workflow(`
      agent critic = claude()
      state A = agent bot session draft {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent critic session review {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG512",
    title: "a foreach running calls of one session at once",
    trigger: workflow(`
      state A = foreach f in ["x", "y"] agent bot concurrency 2 session draft {
        prompt "{{f}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:47",
    clean: workflow(`
      state A = foreach f in ["x", "y"] agent bot concurrency 1 session draft {
        prompt "{{f}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
];
