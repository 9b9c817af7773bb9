// Trigger cases for the bounds codes (AEG301–AEG306).
import { workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

/** Three agent states of one minute each, after a limits line: 3 calls, 3 minutes. */
function chain(limits: string): string {
  return workflow(`
    ${limits}
    state A = agent bot timeout 1m {
      on success -> B
      otherwise -> FAILED
    }
    state B = agent bot timeout 1m {
      on success -> C
      otherwise -> FAILED
    }
    state C = agent bot timeout 1m {
      on success -> DONE
      otherwise -> FAILED
    }
  `);
}

export const boundsCases: TriggerCase[] = [
  {
    code: "AEG301",
    title: "a write/review cycle without any limit",
    trigger: workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on score >= 0.8 -> DONE
        otherwise -> A
      }
    `),
    at: "4:9",
    clean: workflow(`
      state A = agent bot visits 3 {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        on score >= 0.8 -> DONE
        otherwise -> A
      }
    `),
  },
  {
    code: "AEG302",
    title: "a cycle no transition leaves",
    trigger: workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot visits 3 {
        on success -> C
        otherwise -> C
      }
      state C = agent bot {
        otherwise -> B
      }
    `),
    at: "8:9",
    also: ["AEG206 8:9", "AEG206 12:9", "AEG205 15:9"],
    clean: workflow(`
      state A = agent bot {
        on success -> B
        otherwise -> FAILED
      }
      state B = agent bot visits 3 {
        on success -> C
        otherwise -> DONE
      }
      state C = agent bot {
        otherwise -> B
      }
    `),
  },
  {
    code: "AEG303",
    title: "3 agent calls against a budget of 2",
    trigger: chain("limits { agent_calls: 2 }"),
    at: "4:10",
    clean: chain("limits { agent_calls: 3 }"),
  },
  {
    code: "AEG304",
    title: "3 minutes against a budget of 2",
    trigger: chain("limits { wall_time: 2m }"),
    at: "4:10",
    clean: chain("limits { wall_time: 3m }"),
  },
  {
    code: "AEG305",
    title: "a wall-time budget with a state without timeout",
    trigger: workflow(`
      limits { wall_time: 2h }
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:10",
    clean: workflow(`
      limits { wall_time: 2h }
      state A = agent bot timeout 5m {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG306",
    title: "a loop without `max`",
    trigger: workflow(`
      state A = loop agent bot until score >= 0.9 {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:13",
    clean: workflow(`
      state A = loop agent bot max 3 until score >= 0.9 {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
];
