// Peer engines: each scenario built with the engine's own API. Every step is a no-op that
// returns a resolved promise (a counter increment).
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";
import { createStep, createWorkflow } from "@mastra/core/workflows";
import { assign, createActor, createMachine, fromPromise, toPromise } from "xstate";
import { z } from "zod";

export interface Runner {
  /** Performs one run and resolves with the counter (for a sanity check). */
  run(): Promise<number>;
}

// ---------------------------------------------------------------- LangGraph (StateGraph)
const Counter = Annotation.Root({
  count: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
  visits: Annotation<number>({ reducer: (_a, b) => b, default: () => 0 }),
  results: Annotation<string[]>({ reducer: (a, b) => a.concat(b), default: () => [] }),
});
type CounterState = typeof Counter.State;

export const langgraph = {
  build(n: number) {
    const g: any = new StateGraph(Counter);
    for (let i = 0; i < n; i++)
      g.addNode(`s${i}`, async (s: CounterState) => ({ count: s.count + 1 }));
    g.addEdge(START, "s0");
    for (let i = 0; i + 1 < n; i++) g.addEdge(`s${i}`, `s${i + 1}`);
    g.addEdge(`s${n - 1}`, END);
    return g.compile();
  },
  chain(n: number): Runner {
    const app = langgraph.build(n);
    return { run: async () => (await app.invoke({ count: 0 }, { recursionLimit: n + 10 })).count };
  },
  loop(visits: number): Runner {
    const g: any = new StateGraph(Counter);
    g.addNode("A", async (s: CounterState) => ({ count: s.count + 1 }));
    g.addNode("B", async (s: CounterState) => ({ count: s.count + 1, visits: s.visits + 1 }));
    g.addEdge(START, "A");
    g.addEdge("A", "B");
    g.addConditionalEdges("B", (s: CounterState) => (s.visits >= visits ? END : "A"));
    const app = g.compile();
    return {
      run: async () =>
        (await app.invoke({ count: 0, visits: 0 }, { recursionLimit: 2 * visits + 10 })).count,
    };
  },
  fanout(n: number): Runner {
    const g: any = new StateGraph(Counter);
    g.addNode("FAN", async () => ({}));
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      names.push(`b${i}`);
      g.addNode(`b${i}`, async () => ({ results: [`r${i}`] }));
    }
    g.addNode("JOIN", async (s: CounterState) => ({ count: s.results.length }));
    g.addEdge(START, "FAN");
    for (const b of names) g.addEdge("FAN", b);
    g.addEdge(names, "JOIN");
    g.addEdge("JOIN", END);
    const app = g.compile();
    return { run: async () => (await app.invoke({ count: 0, results: [] })).count };
  },
};

// ---------------------------------------------------------------- XState v5 (invoked promise actors)
const noopActor = fromPromise(async ({ input }: { input: { count: number } }) => input.count + 1);
const xsetup = { actors: { noop: noopActor } };

function xInvokeState(target: string) {
  return {
    invoke: {
      src: "noop",
      input: ({ context }: any) => ({ count: context.count }),
      onDone: { target, actions: assign({ count: ({ event }: any) => event.output }) },
    },
  };
}

export const xstate = {
  machine(n: number) {
    const states: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) states[`s${i}`] = xInvokeState(i + 1 < n ? `s${i + 1}` : "done");
    states.done = { type: "final" };
    return createMachine({
      id: "chain",
      initial: "s0",
      context: { count: 0 },
      states,
    } as any).provide(xsetup as any);
  },
  build(n: number) {
    const machine = xstate.machine(n);
    return createActor(machine);
  },
  chain(n: number): Runner {
    const machine = xstate.machine(n);
    return {
      run: async () => {
        const actor = createActor(machine).start();
        await toPromise(actor);
        return (actor.getSnapshot().context as any).count;
      },
    };
  },
  loop(visits: number): Runner {
    const machine = createMachine({
      id: "loop",
      initial: "A",
      context: { count: 0, visits: 0 },
      states: {
        A: xInvokeState("B"),
        B: {
          invoke: {
            src: "noop",
            input: ({ context }: any) => ({ count: context.count }),
            onDone: [
              {
                guard: ({ context }: any) => context.visits + 1 >= visits,
                target: "done",
                actions: assign({
                  count: ({ event }: any) => event.output,
                  visits: ({ context }: any) => context.visits + 1,
                }),
              },
              {
                target: "A",
                actions: assign({
                  count: ({ event }: any) => event.output,
                  visits: ({ context }: any) => context.visits + 1,
                }),
              },
            ],
          },
        },
        done: { type: "final" },
      },
    } as any).provide(xsetup as any);
    return {
      run: async () => {
        const actor = createActor(machine).start();
        await toPromise(actor);
        return (actor.getSnapshot().context as any).count;
      },
    };
  },
  fanout(n: number): Runner {
    const regions: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      regions[`b${i}`] = {
        initial: "work",
        states: {
          work: {
            invoke: {
              src: "noop",
              input: () => ({ count: i }),
              onDone: {
                target: "done",
                actions: assign({
                  results: ({ context, event }: any) => [...context.results, event.output],
                }),
              },
            },
          },
          done: { type: "final" },
        },
      };
    }
    const machine = createMachine({
      id: "fanout",
      initial: "FAN",
      context: { count: 0, results: [] as number[] },
      states: {
        FAN: { type: "parallel", states: regions, onDone: "JOIN" },
        JOIN: xInvokeState("done"),
        done: { type: "final" },
      },
    } as any).provide(xsetup as any);
    return {
      run: async () => {
        const actor = createActor(machine).start();
        await toPromise(actor);
        const c = actor.getSnapshot().context as any;
        return c.results.length;
      },
    };
  },
};

// ---------------------------------------------------------------- Mastra workflows
const countSchema = z.object({ count: z.number() });
const mstep = (id: string) =>
  createStep({
    id,
    inputSchema: countSchema,
    outputSchema: countSchema,
    execute: async ({ inputData }: any) => ({ count: inputData.count + 1 }),
  });

export const mastra = {
  build(n: number) {
    let w: any = createWorkflow({
      id: `chain${n}`,
      inputSchema: countSchema,
      outputSchema: countSchema,
    });
    for (let i = 0; i < n; i++) w = w.then(mstep(`s${i}`));
    return w.commit();
  },
  chain(n: number): Runner {
    const wf = mastra.build(n);
    return {
      run: async () => {
        const run = await wf.createRun();
        const r = await run.start({ inputData: { count: 0 } });
        if (r.status !== "success") throw new Error(`mastra chain: ${r.status} ${r.error ?? ""}`);
        return r.result.count;
      },
    };
  },
  loop(visits: number): Runner {
    // A -> B as a nested workflow, repeated until B has run `visits` times.
    const ab = createWorkflow({ id: "AB", inputSchema: countSchema, outputSchema: countSchema })
      .then(mstep("A"))
      .then(mstep("B"))
      .commit();
    const wf = createWorkflow({ id: "loop", inputSchema: countSchema, outputSchema: countSchema })
      .dountil(ab as any, async ({ inputData }: any) => inputData.count >= 2 * visits)
      .commit();
    return {
      run: async () => {
        const run = await wf.createRun();
        const r: any = await run.start({ inputData: { count: 0 } });
        if (r.status !== "success") throw new Error(`mastra loop: ${r.status} ${r.error ?? ""}`);
        return r.result.count;
      },
    };
  },
  fanout(n: number): Runner {
    const fan = createStep({
      id: "FAN",
      inputSchema: countSchema,
      outputSchema: countSchema,
      execute: async ({ inputData }: any) => inputData,
    });
    const branches = Array.from({ length: n }, (_, i) => mstep(`b${i}`));
    const join = createStep({
      id: "JOIN",
      inputSchema: z.record(z.string(), countSchema),
      outputSchema: countSchema,
      execute: async ({ inputData }: any) => ({ count: Object.keys(inputData).length }),
    });
    const wf = createWorkflow({ id: "fanout", inputSchema: countSchema, outputSchema: countSchema })
      .then(fan)
      .parallel(branches as any)
      .then(join as any)
      .commit();
    return {
      run: async () => {
        const run = await wf.createRun();
        const r: any = await run.start({ inputData: { count: 0 } });
        if (r.status !== "success") throw new Error(`mastra fanout: ${r.status} ${r.error ?? ""}`);
        return r.result.count;
      },
    };
  },
};
