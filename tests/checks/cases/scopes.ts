// Trigger cases for the scope and type codes (AEG401–AEG409).
import { workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

/** A → B → D and A → C → D; D's prompt is `prompt`. */
export function diamond(prompt: string): string {
  return workflow(`
    state A = agent bot {
      on score >= 0.5 -> B
      otherwise -> C
    }
    state B = agent bot {
      otherwise -> D
    }
    state C = agent bot {
      otherwise -> D
    }
    state D = agent bot {
      prompt "${prompt}"
      on success -> DONE
      otherwise -> FAILED
    }
  `);
}

/** A (errors skip) leaves by `transitions`, then B reads A's output. */
export function skipThen(transitions: string, read = "use {{A.output}}"): string {
  return workflow(`
    state A = agent bot errors skip {
      prompt "fetch"
      ${transitions}
      otherwise -> FAILED
    }
    state B = agent bot {
      prompt "${read}"
      on success -> DONE
      otherwise -> FAILED
    }
  `);
}

export const scopeCases: TriggerCase[] = [
  {
    code: "AEG401",
    title: "a template naming nothing",
    trigger: workflow(`
      state A = agent bot {
        prompt "hi {{nobody}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:18",
    clean: workflow(`
      state A = agent bot {
        prompt "hi {{state.name}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG402",
    title: "a misspelled input",
    trigger: workflow(`
      input task: string
      state A = agent bot {
        prompt "do {{input.taks}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "6:18",
    clean: workflow(`
      input task: string
      state A = agent bot {
        prompt "do {{input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG403",
    title: "a context key that is not there",
    trigger: workflow(`
      context { lang: "en" }
      state A = agent bot {
        prompt "in {{context.language}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "6:18",
    clean: workflow(`
      context { lang: "en" }
      state A = agent bot {
        prompt "in {{context.lang}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG404",
    title: "a score read from a run state",
    trigger: workflow(`
      state A = run "make" {
        on exit 0 -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        prompt "{{A.score}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "9:15",
    clean: workflow(`
      state A = run "make" {
        on exit 0 -> B
        otherwise -> FAILED
      }
      state B = agent bot {
        prompt "{{A.stdout}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG405",
    title: "a helper that does not exist",
    trigger: workflow(`
      input task: string
      state A = agent bot {
        prompt "do {{shout input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "6:18",
    clean: workflow(`
      input task: string
      state A = agent bot {
        prompt "do {{upper input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG406",
    title: "a diamond's join reading one branch",
    trigger: diamond("use {{B.output}}"),
    at: "15:19",
    clean: diamond("use {{A.output}}"),
  },
  {
    code: "AEG406",
    title: "a state with errors skip read after `on success`, which a skipped state takes",
    trigger: skipThen("on success -> B"),
    at: "10:19",
    clean: skipThen("on skipped -> FAILED\n        on success -> B"),
  },
  {
    code: "AEG407",
    title: "a number compared with a string",
    trigger: workflow(`
      state A = agent bot {
        on score >= "high" -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:8",
    clean: workflow(`
      state A = agent bot {
        on score >= 0.8 -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG408",
    title: "a misspelled secret",
    trigger: workflow(
      `
      secret TOKEN
      state A = run "deploy" {
        env { T: "{{secrets.TOKN}}" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
    at: "6:17",
    clean: workflow(
      `
      secret TOKEN
      state A = run "deploy" {
        env { T: "{{secrets.TOKEN}}" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
  },
  {
    code: "AEG409",
    title: "`iteration` outside a loop state",
    trigger: workflow(`
      state A = agent bot {
        prompt "round {{iteration}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:21",
    clean: workflow(`
      state A = loop agent bot max 3 until score >= 0.9 {
        prompt "round {{iteration}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
];
