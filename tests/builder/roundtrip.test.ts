// The round trip on random workflows: whatever a program builds, its source (toSource)
// compiles to the same graph (content hash), and so does the module `convert --to ts`
// writes of that source, imported. Names, texts, settings and transitions are drawn at
// random, findings or not: the round trip must hold for a workflow with mistakes too.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  agent,
  input,
  on,
  otherwise,
  state,
  type Workflow,
  workflow,
} from "../../src/builder/index.ts";
import { compile } from "../../src/compiler/compile.ts";
import { printTypeScript } from "../../src/compiler/emit/typescript.ts";
import { parse } from "../../src/compiler/parse.ts";

const NAMES = ["A", "B", "C", "D", "E", "F"];
const name = fc.constantFrom(...NAMES);
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "Greet {{input.who}}",
    'say "hi" \\ {{#if input.flag}}yes{{/if}}',
    "\n  two\n    lines {{A.output}}\n",
    "tab\there ünïcødé 🚀",
  ),
);
const duration = fc.constantFrom("1s", "90s", "10m", "1h30m", "2d", "250ms");
const condition = fc.constantFrom(
  "success",
  "failure",
  "exit 0",
  'output contains "ok"',
  "visits >= 2",
  "approved",
);

const settings = fc.record(
  {
    timeout: duration,
    visits: fc.integer({ min: 1, max: 5 }),
    retry: fc.oneof(
      fc.integer({ min: 0, max: 3 }),
      fc.record({ times: fc.integer({ min: 1, max: 3 }), backoff: duration }),
    ),
  },
  { requiredKeys: [] },
);

const transitions = fc.array(
  fc.tuple(fc.option(condition, { nil: undefined }), name, fc.option(text, { nil: undefined })),
  {
    maxLength: 3,
  },
);

function transitionsOf(list: [string | undefined, string, string | undefined][]) {
  return list.map(([c, target, feedback]) => {
    const options = feedback === undefined ? {} : { feedback };
    return c === undefined ? otherwise(target, options) : on(c, target, options);
  });
}

const stateSpec = fc.oneof(
  fc.record({ kind: fc.constant("agent"), prompt: text, settings, t: transitions }),
  fc.record({
    kind: fc.constant("run"),
    command: fc.oneof(text, fc.array(text, { minLength: 1, maxLength: 3 })),
    settings,
    t: transitions,
  }),
  fc.record({ kind: fc.constant("human"), prompt: text, t: transitions }),
  fc.record({ kind: fc.constant("final"), failure: fc.boolean() }),
);

const spec = fc.record({
  states: fc.dictionary(name, stateSpec, { minKeys: 1, maxKeys: 6 }),
  who: fc.option(text, { nil: undefined }),
  provider: fc.constantFrom("claude", "command", "supplied"),
  model: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
  wallTime: fc.option(duration, { nil: undefined }),
});

type Spec = typeof spec extends fc.Arbitrary<infer T> ? T : never;

function build(s: Spec): Workflow {
  const bot =
    s.provider === "claude"
      ? agent.claude(s.model === undefined ? {} : { model: s.model })
      : s.provider === "command"
        ? agent.command(s.model ?? "cat")
        : agent.supplied({ session: s.model !== undefined });
  const states: Record<string, unknown> = {};
  for (const [n, st] of Object.entries(s.states) as [string, Spec["states"][string]][]) {
    if (st.kind === "final") states[n] = state.final(st.failure ? "failure" : "success");
    else if (st.kind === "agent")
      states[n] = state.agent("bot", {
        prompt: st.prompt,
        ...st.settings,
        on: transitionsOf(st.t),
      });
    else if (st.kind === "run")
      states[n] = state.run(st.command, { ...st.settings, on: transitionsOf(st.t) });
    else states[n] = state.human({ prompt: st.prompt, on: transitionsOf(st.t) });
  }
  // Random names: TypeScript's checks of them are beside the point here.
  return workflow("random", {
    inputs: {
      who: s.who === undefined ? input.string() : input.string(s.who).default(s.who),
      flag: input.boolean().optional(),
    },
    agents: { bot },
    ...(s.wallTime !== undefined && { limits: { wall_time: s.wallTime as "1s" } }),
    start: Object.keys(s.states)[0]!,
    states: states as never,
  });
}

describe("round trip of random built workflows", () => {
  const dir = mkdtempSync(join(tmpdir(), "aegis-roundtrip-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("builder → source → compile: the same hash", () => {
    fc.assert(
      fc.property(spec, (s) => {
        const wf = build(s);
        const built = wf.compile();
        const again = compile(wf.toSource(), { filename: join(dir, "random.aegis") });
        expect(again.document.hash).toBe(built.document.hash);
      }),
      { numRuns: 300 },
    );
  });

  it("builder → source → TypeScript module → compile: the same hash", async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        const wf = build(s);
        const source = wf.toSource();
        const parsed = parse(source, "random.aegis");
        const file = join(dir, `random-${n++}.ts`);
        writeFileSync(
          file,
          printTypeScript(parsed.ast, {
            builder: join(import.meta.dirname, "../../src/builder/index.ts"),
          }),
        );
        const module = (await import(file)) as { default: Workflow };
        expect(module.default.compile().document.hash).toBe(wf.compile().document.hash);
      }),
      { numRuns: 40 },
    );
  });
});
