// Trigger cases for the structure codes (AEG201–AEG211).
import { workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

export const structureCases: TriggerCase[] = [
  {
    code: "AEG201",
    title: "a transition to a misspelled state",
    trigger: workflow(`
      state A = agent bot {
        on success -> DONEE
        otherwise -> FAILED
      }
    `),
    at: "5:19",
    // The transition is dropped, so DONE is no longer reachable.
    also: ["AEG205 8:9"],
    clean: workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG202",
    title: "a state declared twice",
    trigger: workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        otherwise -> DONE
      }
      state B = agent bot {
        otherwise -> FAILED
      }
    `),
    at: "11:9",
    clean: workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        otherwise -> DONE
      }
    `),
  },
  {
    code: "AEG203",
    title: "a workflow without `start`",
    trigger: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `,
      { start: false },
    ),
    at: "1:10",
    clean: workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG204",
    title: "a transition after `otherwise`",
    trigger: workflow(`
      state A = agent bot {
        otherwise -> DONE
        on failure -> FAILED
      }
    `),
    at: "6:5",
    clean: workflow(`
      state A = agent bot {
        on failure -> FAILED
        otherwise -> DONE
      }
    `),
  },
  {
    code: "AEG205",
    title: "a state no transition leads to",
    trigger: workflow(`
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      state B = agent bot {
        otherwise -> DONE
      }
    `),
    at: "8:9",
    clean: workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        otherwise -> DONE
      }
    `),
  },
  {
    code: "AEG206",
    title: "a retry loop that never leads to a final state",
    trigger: workflow(`
      state A = agent bot {
        on success -> DONE
        on timeout -> FAILED
        otherwise -> B
      }
      state B = agent bot visits 2 {
        on score < 0.5 -> B
        otherwise -> B
      }
    `),
    at: "9:9",
    also: ["AEG302 9:9"],
    clean: workflow(`
      state A = agent bot {
        on success -> DONE
        on timeout -> FAILED
        otherwise -> B
      }
      state B = agent bot visits 2 {
        on score < 0.5 -> B
        otherwise -> DONE
      }
    `),
  },
  {
    code: "AEG207",
    title: "a non-final state without transitions",
    trigger: workflow(`
      state A = agent bot {
        on score > 0.9 -> DONE
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot
    `),
    at: "9:9",
    clean: workflow(`
      state A = agent bot {
        on score > 0.9 -> DONE
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot { otherwise -> DONE }
    `),
  },
  {
    code: "AEG208",
    title: "a human gate that cannot say no",
    trigger: workflow(`
      state A = agent bot {
        on success -> GATE
        otherwise -> FAILED
      }
      state GATE = human {
        prompt "Ship {{A.output}}?"
        on approved -> DONE
      }
    `),
    at: "8:9",
    clean: workflow(`
      state A = agent bot {
        on success -> GATE
        otherwise -> FAILED
      }
      state GATE = human {
        on approved -> DONE
        on rejected -> FAILED
      }
    `),
  },
  {
    code: "AEG209",
    title: "a final state with a transition",
    trigger: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE {
        on success -> FAILED
      }
      final FAILED failure
    `,
      { finals: false },
    ),
    at: "9:5",
    clean: workflow(
      `
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
      final DONE {
        output "{{A.output}}"
      }
      final FAILED failure
    `,
      { finals: false },
    ),
  },
  {
    code: "AEG210",
    title: "a workflow without a final state",
    trigger: workflow(
      `
      state A = agent bot {
        otherwise -> DONE
      }
      state DONE = branch
    `,
      { finals: false },
    ),
    at: "1:10",
    also: ["AEG206 4:9", "AEG207 7:9"],
    clean: workflow(
      `
      state A = agent bot {
        otherwise -> DONE
      }
      final DONE
    `,
      { finals: false },
    ),
  },
  {
    code: "AEG211",
    title: "a condition no score can meet",
    trigger: workflow(`
      state A = agent bot {
        on score >= 0.85 and score < 0.6 -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:8",
    clean: workflow(`
      state A = agent bot {
        on score >= 0.85 or score < 0.6 -> DONE
        otherwise -> FAILED
      }
    `),
  },
];
