// Trigger cases for the security codes (AEG601–AEG608).
import { workflow } from "../../helpers/compile.ts";
import type { TriggerCase } from "../../helpers/triggers.ts";

/** An agent state A, then a run state B whose command is `command`. */
export function agentThenRun(command: string, env = ""): string {
  return workflow(`
    state A = agent bot {
      on success -> B
      otherwise -> FAILED
    }
    state B = run ${command} {
      ${env}
      on exit 0 -> DONE
      otherwise -> FAILED
    }
  `);
}

/** A human gate (1h timeout) between an agent and a deployment; `lines` make up its body. */
export function gate(lines: string[]): string {
  return workflow(`
    state A = agent bot {
      on success -> GATE
      otherwise -> FAILED
    }
    state GATE = human timeout 1h {
      ${lines.join("\n      ")}
    }
    state DEPLOY = run "deploy" {
      on exit 0 -> DONE
      otherwise -> FAILED
    }
  `);
}

export const securityCases: TriggerCase[] = [
  {
    code: "AEG601",
    title: "an agent's output in a shell command",
    trigger: agentThenRun('"echo {{A.output}}"'),
    at: "8:25",
    clean: agentThenRun('"echo {{quote A.output}}"'),
  },
  {
    code: "AEG602",
    title: "a token written in an env block",
    trigger: workflow(
      `
      secret API_TOKEN
      state A = run "deploy" {
        env { API_TOKEN: "abcd1234efgh" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
    at: "6:22",
    clean: workflow(
      `
      secret API_TOKEN
      state A = run "deploy" {
        env { API_TOKEN: "{{secrets.API_TOKEN}}" }
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
  },
  {
    code: "AEG603",
    title: "a secret in a prompt",
    trigger: workflow(`
      secret API_TOKEN
      state A = agent bot {
        prompt "use {{secrets.API_TOKEN}}"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
    at: "6:19",
    clean: workflow(`
      secret API_TOKEN
      state A = agent bot {
        prompt "use the API token"
        on success -> DONE
        otherwise -> FAILED
      }
    `),
  },
  {
    code: "AEG604",
    title: "a rejection that deploys anyway",
    trigger: gate(["on approved -> DEPLOY", "on rejected -> DEPLOY"]),
    at: "10:5",
    clean: gate(["on approved -> DEPLOY", "on rejected -> FAILED"]),
  },
  {
    code: "AEG605",
    title: "a gate that approves when nobody answers",
    trigger: gate(["default approved", "on approved -> DEPLOY", "on rejected -> FAILED"]),
    at: "9:5",
    clean: gate(["default rejected", "on approved -> DEPLOY", "on rejected -> FAILED"]),
  },
  {
    code: "AEG606",
    title: "a string input in a shell command",
    trigger: workflow(
      `
      input branch: string
      state A = run "git checkout {{input.branch}}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
    at: "5:33",
    clean: workflow(
      `
      input branch: string
      state A = run "git checkout {{quote input.branch}}" {
        on exit 0 -> DONE
        otherwise -> FAILED
      }
    `,
      { agent: false },
    ),
  },
  {
    code: "AEG607",
    title: "an agent's output passed in env and given to eval",
    trigger: agentThenRun('"eval \\"$TEXT\\""', 'env { TEXT: "{{A.output}}" }'),
    at: "8:25",
    clean: agentThenRun('"printf \'%s\\n\' \\"$TEXT\\""', 'env { TEXT: "{{A.output}}" }'),
  },
  {
    code: "AEG608",
    title: "an agent's output passed in env and expanded unquoted",
    trigger: agentThenRun('"git log $TEXT"', 'env { TEXT: "{{A.output}}" }'),
    at: "8:26",
    clean: agentThenRun('"git log \\"$TEXT\\""', 'env { TEXT: "{{A.output}}" }'),
  },
];
