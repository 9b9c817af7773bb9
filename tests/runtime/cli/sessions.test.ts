// Agent sessions through the `aegis` CLI, with executables that keep conversations and take
// the resume flags exactly as the real coding-agent CLIs do (tests/fixtures/agents/cli/,
// checked against the real ones by scripts/check-presets.ts): one conversation across three
// states, for each CLI; and across a crash — `kill -9` of aegis in the middle of a call, then
// `aegis resume` — the same conversation is continued, never a second one begun.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../src/runtime/types.ts";
import { FAKE_BIN } from "../executors/helpers.ts";
import {
  aegis,
  json,
  launch,
  ROOT,
  stray,
  tddRun,
  tddWorkerAgents,
  tempDir,
  until,
} from "./helpers.ts";

const WORKFLOW = `
workflow tdd {
  input step: string
  agent worker session
  start WRITE
  state WRITE = agent worker timeout 5m { prompt "Write failing tests for {{input.step}}."; on success -> IMPLEMENT }
  state IMPLEMENT = agent worker timeout 5m { prompt "Make the tests for {{input.step}} pass."; on success -> FIX }
  state FIX = agent worker timeout 5m { prompt "Fix what is still red in {{input.step}}."; on success -> DONE }
  final DONE
}
`;
const PROMPTS = [
  "Write failing tests for VS1 inbox.",
  "Make the tests for VS1 inbox pass.",
  "Fix what is still red in VS1 inbox.",
];

type Cli = "claude" | "gemini" | "codex" | "opencode";
const clis: Cli[] = ["claude", "gemini", "codex", "opencode"];

interface Logged {
  program: string;
  args: string[];
  session: string | null;
  turn: number | null;
  prompt: string | null;
}

/** A directory with the workflow, an agents file giving `worker` the CLI, and a HOME of its own. */
function project(cli: Cli) {
  const dir = tempDir();
  writeFileSync(join(dir, "tdd.aegis"), WORKFLOW);
  writeFileSync(
    join(dir, "agents.json"),
    JSON.stringify({ agents: { worker: { provider: cli } } }),
  );
  const log = join(dir, "cli.log");
  const env = { PATH: `${FAKE_BIN}:${process.env.PATH}`, HOME: dir, FAKE_CLI_LOG: log };
  const calls = (): Logged[] =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Logged);
  const run = ["run", "tdd.aegis", "--agents", "agents.json", "--param", "step=VS1 inbox"];
  const common = ["--id", "s", "--store", "runs"];
  return { dir, env, calls, runArgs: [...run, ...common], store: ["--store", "runs"] };
}

function record(dir: string): RunRecord {
  return json<RunRecord>(aegis(dir, ["status", "s", "--json", "--store", "runs"]).stdout);
}

/** What the fake's model was told of the conversation, by state. */
function seenSession(r: RunRecord, state: string): { id: string; turn: number; history: string[] } {
  return (r.results[state]!.output as { session: { id: string; turn: number; history: string[] } })
    .session;
}

/** How many conversations the CLI keeps, in the store under its HOME. */
function conversations(home: string, cli: Cli): number {
  const root = {
    claude: ".claude/projects",
    gemini: ".gemini/tmp",
    codex: ".codex/sessions",
    opencode: ".local/share/opencode",
  }[cli];
  return readdirSync(join(home, root), { recursive: true }).filter((f) =>
    String(f).endsWith(".jsonl"),
  ).length;
}

/** How each call asked for its conversation: begun (with or without an id) or continued. */
function how(cli: Cli, args: string[]): string {
  if (cli === "codex") return args[1] === "resume" ? "resume" : "begin";
  if (cli === "opencode") return args.includes("--session") ? "resume" : "begin";
  if (args.includes("--resume")) return "resume";
  return args.includes("--session-id") ? "begin with id" : "begin";
}

describe("one conversation across three states", () => {
  it.each(clis)("%s: begun, then continued twice, under one id", (cli) => {
    const p = project(cli);
    const run = aegis(p.dir, p.runArgs, p.env);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const r = record(p.dir);
    expect(r.status).toBe("succeeded");
    const calls = p.calls();
    expect(calls.map((c) => how(cli, c.args))).toEqual([
      cli === "claude" || cli === "gemini" ? "begin with id" : "begin",
      "resume",
      "resume",
    ]);
    const ids = new Set(calls.map((c) => c.session));
    expect(ids.size).toBe(1);
    expect(conversations(p.dir, cli)).toBe(1);
    const [id] = [...ids];
    // The conversation, as the CLI's model saw it at the third state.
    expect(seenSession(r, "FIX")).toEqual({ id, turn: 2, history: PROMPTS.slice(0, 2) });
    // Journaled: the id the CLI knows it by (aegis's own for claude and gemini).
    const session = r.sessions?.worker;
    expect(session).toMatchObject({ agent: "worker", turns: 3, unsettled: false });
    expect(session?.providerId ?? session?.id).toBe(id);
    if (cli === "claude" || cli === "gemini") expect(session?.id).toBe(id);
    const status = aegis(p.dir, ["status", "s", ...p.store]);
    expect(status.stdout).toContain(`session   worker: agent worker, 3 turns, id ${id}`);
  });
});

describe("kill -9 in the middle of a call, then aegis resume", () => {
  it.each(["claude", "codex"] as const)(
    "%s: the second turn is made again in the same conversation",
    async (cli) => {
      const p = project(cli);
      const pidFile = join(p.dir, "hung.pid");
      const hang = { FAKE_CLI_HANG: "1", FAKE_CLI_HANG_TURN: "1", FAKE_CLI_HANG_FILE: pidFile };
      const running = launch(p.dir, p.runArgs, { ...p.env, ...hang });
      await until("the second turn to hang", () => {
        try {
          return readFileSync(pidFile, "utf8").trim() !== "";
        } catch {
          return false;
        }
      });
      running.child.kill("SIGKILL");
      await running.exited;
      stray(Number(readFileSync(pidFile, "utf8")));
      const stopped = record(p.dir);
      expect(stopped).toMatchObject({ status: "running", current: "IMPLEMENT" });
      expect(stopped.sessions?.worker).toMatchObject({ turns: 1, unsettled: true });

      const resume = aegis(p.dir, ["resume", "s", ...p.store], p.env);
      expect(resume.stderr).toBe("");
      expect(resume.status).toBe(0);
      const r = record(p.dir);
      expect(r.status).toBe("succeeded");
      const calls = p.calls();
      expect(new Set(calls.map((c) => c.session)).size).toBe(1);
      expect(conversations(p.dir, cli)).toBe(1);
      expect(calls.map((c) => how(cli, c.args)).slice(1)).toEqual(["resume", "resume", "resume"]);
      // The crashed turn's prompt stays in the conversation, as the real CLIs keep it.
      expect(seenSession(r, "FIX").history).toEqual([PROMPTS[0], PROMPTS[1], PROMPTS[1]]);
      expect(r.sessions?.worker).toMatchObject({ turns: 3, unsettled: false });
    },
  );

  it.each(["claude", "gemini", "codex", "opencode"] as const)(
    "%s: a crash before the CLI stored the conversation — it is begun on resume, once",
    async (cli) => {
      const p = project(cli);
      const pidFile = join(p.dir, "hung.pid");
      const hang = {
        FAKE_CLI_HANG_BEFORE_SESSION: "1",
        FAKE_CLI_HANG_TURN: "0",
        FAKE_CLI_HANG_FILE: pidFile,
      };
      const running = launch(p.dir, p.runArgs, { ...p.env, ...hang });
      await until("the first turn to hang", () => {
        try {
          return readFileSync(pidFile, "utf8").trim() !== "";
        } catch {
          return false;
        }
      });
      running.child.kill("SIGKILL");
      await running.exited;
      stray(Number(readFileSync(pidFile, "utf8")));
      expect(record(p.dir).sessions?.worker).toMatchObject({ turns: 0, unsettled: true });

      const resume = aegis(p.dir, ["resume", "s", ...p.store], p.env);
      expect(resume.stderr).toBe("");
      expect(resume.status).toBe(0);
      const r = record(p.dir);
      expect(r.status).toBe("succeeded");
      // One conversation in the CLI's store, whose first turn is the first state's prompt:
      // nothing was forked (the hung call, killed before it stored anything, left none).
      const after = p.calls().slice(1);
      // (A refused call — "no such conversation" — has no session.)
      expect(new Set(after.flatMap((c) => (c.session ? [c.session] : []))).size).toBe(1);
      expect(conversations(p.dir, cli)).toBe(1);
      expect(seenSession(r, "FIX").history).toEqual(PROMPTS.slice(0, 2));
      if (cli === "claude" || cli === "gemini") {
        // aegis's id was journaled before the crash: the CLI was asked to continue it, said it
        // had none, and it was begun under that same id.
        const kinds = p.calls().map((c) => how(cli, c.args));
        expect(kinds.slice(1, 3)).toEqual(["resume", "begin with id"]);
        expect(after[1]!.session).toBe(r.sessions?.worker?.id);
      }
    },
  );
});

describe("examples/tdd_step", () => {
  const example = (name: string) => join(ROOT, "examples", name);
  const tdd = (dir: string, agentsFile: string) => [
    ...tddRun(example("tdd_step/tdd_step.aegis"), agentsFile, dir),
    "--store",
    "runs",
  ];

  it("runs offline: one worker session writes the tests, implements, and fixes from memory", () => {
    const dir = tempDir();
    const agentsFile = tddWorkerAgents(dir);
    const run = aegis(dir, tdd(dir, agentsFile), { AEGIS_AGENT_DELAY_MS: "0" });
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("✓ run t succeeded");
    const r = json<RunRecord>(aegis(dir, ["status", "t", "--json", "--store", "runs"]).stdout);
    expect(r.output).toBe("green: tdd-project/slugify.test.js");
    // Red, implemented, still red, fixed, green: three turns of one conversation.
    expect(r.visits).toMatchObject({ CHECK_GREEN: 2, FIX: 1 });
    expect(r.sessions?.worker?.turns).toBe(3);
    const memory = JSON.parse(
      readFileSync(join(dir, ".aegis-sessions", `${r.sessions?.worker?.id}.json`), "utf8"),
    );
    expect(memory.map((t: { did: string }) => t.did)).toEqual(["tests", "implement", "fix"]);
  });

  it("without the session, the worker that must implement has no memory of the tests", () => {
    const dir = tempDir();
    const source = readFileSync(example("tdd_step/tdd_step.aegis"), "utf8");
    // The same workflow, each call of the worker a fresh one: it gets no session id at all;
    // a worker that kept one anyway would start with an empty conversation.
    const fresh = source.replace("agent worker session", "agent worker");
    expect(fresh).not.toBe(source);
    writeFileSync(join(dir, "tdd.aegis"), fresh);
    const agentsFile = join(dir, "agents.json");
    const worker = `AEGIS_SESSION_ID=fresh-$AEGIS_STATE AEGIS_SESSION_TURN=0 node ${JSON.stringify(example("agents/tdd-worker.js"))}`;
    writeFileSync(
      agentsFile,
      JSON.stringify({ agents: { worker: { provider: "command", command: worker } } }),
    );
    const args = tdd(dir, agentsFile);
    args[1] = join(dir, "tdd.aegis");
    const run = aegis(dir, args, { AEGIS_AGENT_DELAY_MS: "0" });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      "I have written no tests at tdd-project/slugify.test.js in this conversation",
    );
  });
});
