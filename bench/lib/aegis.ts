// aegis, in process, from the TypeScript sources (Node 24 strips the types).
import { compile } from "../../src/index.ts";
import { createEngine, FileStore, MemoryStore } from "../../src/runtime/index.ts";
import { chainSource, fanoutSource, loopSource } from "./aegis-sources.ts";
import type { Runner } from "./peers.ts";

export { compile, createEngine, FileStore, MemoryStore };

let counter = 0;
const functions = {
  noop: async () => {
    counter++;
    return "";
  },
};

export function compiled(source: string) {
  const result = compile(source);
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.severity === "error");
    throw new Error(
      `aegis: the benchmark workflow does not compile: ${JSON.stringify(errors.slice(0, 3))}`,
    );
  }
  return result;
}

function runner(source: string, store: () => any = () => new MemoryStore()): Runner {
  const workflow = compiled(source);
  return {
    run: async () => {
      counter = 0;
      const engine = createEngine({ store: store(), functions });
      const record = await (await engine.start(workflow, {})).result();
      if (record.status !== "succeeded") throw new Error(`aegis run ${record.status}`);
      return counter;
    },
  };
}

export const aegis = {
  build: (source: string) => compile(source),
  chain: (n: number, store?: () => any) => runner(chainSource(n), store),
  loop: (visits: number) => runner(loopSource(visits)),
  fanout: (n: number) => runner(fanoutSource(n)),
  functions,
};
