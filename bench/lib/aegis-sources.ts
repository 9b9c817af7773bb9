// Generators of .aegis sources for the benchmark scenarios. Every agent is a function agent
// "noop" supplied by the embedding program (an async no-op).

/** N agent states in sequence, then DONE. */
export function chainSource(n: number, name = "chain"): string {
  const lines = [`workflow ${name} {`, `  agent noop = function("noop")`, `  start S0`];
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? `S${i + 1}` : "DONE";
    lines.push(
      `  state S${i} = agent noop { prompt "x" on success -> ${next} otherwise -> FAILED }`,
    );
  }
  lines.push(`  final DONE`, `  final FAILED failure`, `}`);
  return lines.join("\n");
}

/** A -> B -> A ... until B has been visited `visits` times. */
export function loopSource(visits: number): string {
  return `workflow loop {
  agent noop = function("noop")
  limits { transitions: ${2 * visits + 2} }
  start A
  state A = agent noop visits ${visits} { prompt "a" on success -> B otherwise -> FAILED }
  state B = agent noop visits ${visits} {
    prompt "b"
    on failure -> FAILED
    on state.visits >= ${visits} -> DONE
    otherwise -> A
  }
  final DONE
  final FAILED failure
}`;
}

/** One foreach state fans out to `n` concurrent no-op calls, then JOIN reads all results. */
export function fanoutSource(n: number): string {
  const items = Array.from({ length: n }, (_, i) => `"i${i}"`).join(", ");
  return `workflow fanout {
  agent noop = function("noop")
  start FAN
  state FAN = foreach item in [${items}] agent noop concurrency ${n} {
    prompt "{{item}}"
    on failed == 0 and count == ${n} -> JOIN
    otherwise -> FAILED
  }
  state JOIN = agent noop {
    prompt "{{json FAN.results}}"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}`;
}

/**
 * chainSource(n)'s workflow built with the TypeScript builder (aegis-workflows/builder):
 * the same graph (content hash), for the bench's row that compares the two front ends.
 */
export async function buildChain(n: number, name = "chain") {
  const { agent, on, otherwise, state, workflow } = await import("../../src/builder/index.ts");
  return () => {
    const states: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const next = i + 1 < n ? `S${i + 1}` : "DONE";
      states[`S${i}`] = state.agent("noop", {
        prompt: "x",
        on: [on("success", next), otherwise("FAILED")],
      });
    }
    states.DONE = state.final();
    states.FAILED = state.final("failure");
    return workflow(name, {
      agents: { noop: agent.fn(async () => "", { name: "noop" }) },
      start: "S0",
      states: states as never,
    });
  };
}
