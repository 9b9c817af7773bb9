// Trigger cases for the syntax and value codes (AEG100–AEG113).
import { source, workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

export const syntaxCases: TriggerCase[] = [
  {
    code: "AEG100",
    title: "a character that starts no token",
    trigger: workflow(`
      state A = agent bot {
        prompt "hi" $
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:17",
    clean: workflow(`
      state A = agent bot {
        prompt "hi"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG101",
    title: "a setting without its value",
    trigger: workflow(`
      state A = agent bot timeout {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:31",
    clean: workflow(`
      state A = agent bot timeout 5m {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG102",
    title: "a malformed \\u{…} escape",
    trigger: workflow(`
      state A = agent bot {
        prompt "\\u{ZZ} smile"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:13",
    clean: workflow(`
      state A = agent bot {
        prompt "\\u{1F600} smile"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG103",
    title: "a closing block that nothing opened",
    trigger: workflow(`
      state A = agent bot {
        prompt "{{/if}} hi"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:13",
    clean: workflow(`
      state A = agent bot {
        prompt "{{#if state.feedback}}{{state.feedback}}{{/if}} hi"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG104",
    title: "a zero timeout",
    trigger: workflow(`
      state A = agent bot timeout 0s {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:23",
    clean: workflow(`
      state A = agent bot timeout 30s {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG105",
    title: "a misspelled limit",
    trigger: workflow(`
      limits { transitons: 10 }
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:12",
    clean: workflow(`
      limits { transitions: 10 }
      state A = agent bot {
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG106",
    title: "an input declared twice",
    trigger: workflow(`
      input task: string
      input task: string
      state A = agent bot {
        prompt "{{input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:9",
    clean: workflow(`
      input task: string
      input topic: string
      state A = agent bot {
        prompt "{{input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG107",
    title: "a file with no workflow",
    trigger: source(`
      // a review workflow, some day
    `),
    at: "1:1",
    clean: source(`
      // a review workflow, some day
      workflow review {
        start DONE
        final DONE
      }
    `),
  },
  {
    code: "AEG108",
    title: "a misspelled input type",
    trigger: workflow(`
      input task: strng
      state A = agent bot {
        prompt "{{input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "4:15",
    clean: workflow(`
      input task: string
      state A = agent bot {
        prompt "{{input.task}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG109",
    title: "an unterminated group in a `matches` pattern",
    trigger: workflow(`
      state A = agent bot {
        on output matches "^(ok" -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:25", // the `(`
    clean: workflow(`
      state A = agent bot {
        on output matches "^(ok)" -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG110",
    title: "a prompt in a run state",
    trigger: workflow(
      `
      state A = run "make" {
        prompt "build it"
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
    at: "5:5",
    clean: workflow(
      `
      state A = run "make" {
        workdir "build"
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
  },
  {
    code: "AEG112",
    title: "a condition 63 parentheses deep, inside the workflow's and the state's braces",
    trigger: workflow(`
      state A = agent bot {
        on ${"(".repeat(63)}success${")".repeat(63)} -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:70",
    clean: workflow(`
      state A = agent bot {
        on ${"(".repeat(62)}success${")".repeat(62)} -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG113",
    title: "26 stray characters: 25 are reported, and reading stops at the 26th",
    trigger: workflow(`
      state A = agent bot {
        prompt "hi" ${"@ ".repeat(26)}
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "5:67",
    also: Array.from({ length: 25 }, (_, k) => `AEG100 5:${17 + 2 * k}`),
    clean: workflow(`
      state A = agent bot {
        prompt "hi" ${"@ ".repeat(25)}
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    cleanAlso: Array.from({ length: 25 }, (_, k) => `AEG100 5:${17 + 2 * k}`),
  },
  {
    code: "AEG111",
    title: "a loop without `until`",
    trigger: workflow(`
      state A = loop agent bot max 3 {
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
