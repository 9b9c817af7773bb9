// Agent sessions through the library (grammar/README.md#sessions): states that continue one
// agent's conversation. A function agent is given the conversation so far; an openai agent
// sends it (to a local server speaking chat completions); a command agent gets the session's
// id and turn. The session is journaled — the record rebuilt from the journal has it — calls
// in one session are made one at a time, and a retried or resumed call continues it.
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createEngine } from "../../../src/runtime/engine.ts";
import { FileStore } from "../../../src/runtime/store/file.ts";
import type { AgentInvocation, RunEvent, SessionEvent } from "../../../src/runtime/types.ts";
import { compileSource, tempDir } from "./helpers.ts";

const threeStates = (agentDecl: string, session = "") => `
workflow tdd {
  input step: string
  ${agentDecl}
  start WRITE
  state WRITE = agent worker ${session} { prompt "write tests for {{input.step}}"; on success -> IMPLEMENT }
  state IMPLEMENT = agent worker ${session} { prompt "implement {{input.step}}"; on success -> FIX }
  state FIX = agent worker ${session} { prompt "fix {{input.step}}"; on success -> DONE }
  final DONE
}`;

interface Seen {
  state: string;
  name?: string;
  id?: string;
  turns?: number;
  messages?: { role: string; content: string }[];
}

function recorder() {
  const seen: Seen[] = [];
  const worker = (inv: AgentInvocation) => {
    seen.push({
      state: inv.state,
      ...(inv.session && {
        name: inv.session.name,
        id: inv.session.id,
        turns: inv.session.turns,
        messages: inv.session.messages.map((m) => ({ ...m })),
      }),
    });
    return `answer ${seen.length}`;
  };
  return { seen, worker };
}

function journal(root: string, id: string): RunEvent[] {
  return readFileSync(join(root, id, "journal.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as RunEvent);
}

describe("a session per agent (`agent worker session`)", () => {
  it("a function agent is given one conversation across three states, growing", async () => {
    const { seen, worker } = recorder();
    const root = join(tempDir(), "runs");
    const engine = createEngine({ store: new FileStore(root), functions: { worker } });
    const workflow = compileSource(threeStates("agent worker session"));
    const record = await (await engine.start(workflow, { step: "VS1" }, { id: "r" })).result();
    expect(record.status).toBe("succeeded");
    expect(seen.map((s) => [s.state, s.name, s.turns])).toEqual([
      ["WRITE", "worker", 0],
      ["IMPLEMENT", "worker", 1],
      ["FIX", "worker", 2],
    ]);
    const id = seen[0]!.id!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(seen.every((s) => s.id === id)).toBe(true);
    expect(seen[2]!.messages).toEqual([
      { role: "user", content: "write tests for VS1" },
      { role: "assistant", content: "answer 1" },
      { role: "user", content: "implement VS1" },
      { role: "assistant", content: "answer 2" },
    ]);
    expect(record.sessions?.worker).toMatchObject({
      agent: "worker",
      id,
      turns: 3,
      unsettled: false,
    });
    expect(record.sessions?.worker?.messages).toHaveLength(6);

    // Journaled: a start and an end per call, and the record rebuilt from the journal has it.
    const events = journal(root, "r").filter((e): e is SessionEvent => e.type === "session");
    expect(events.map((e) => e.call)).toEqual([
      "started",
      "ended",
      "started",
      "ended",
      "started",
      "ended",
    ]);
    expect(events[0]!.id).toBe(id);
    const reloaded = await new FileStore(root).load("r");
    expect(reloaded.record.sessions).toEqual(record.sessions);
  });

  it("without `session`, each call is a fresh one and no session is kept", async () => {
    const { seen, worker } = recorder();
    const engine = createEngine({ functions: { worker } });
    const record = await (
      await engine.start(compileSource(threeStates("agent worker")), { step: "x" })
    ).result();
    expect(record.status).toBe("succeeded");
    expect(seen.map((s) => s.name)).toEqual([undefined, undefined, undefined]);
    expect(record.sessions).toBeUndefined();
  });

  it("named sessions (`session NAME`) keep two conversations with the same agent apart", async () => {
    const { seen, worker } = recorder();
    const engine = createEngine({ functions: { worker } });
    const source = `
workflow two {
  agent worker
  start A
  state A = agent worker session build { prompt "a"; on success -> B }
  state B = agent worker session review { prompt "b"; on success -> C }
  state C = agent worker session build { prompt "c"; on success -> D }
  state D = agent worker { prompt "d"; on success -> DONE }
  final DONE
}`;
    const record = await (await engine.start(compileSource(source), {})).result();
    expect(record.status).toBe("succeeded");
    expect(seen.map((s) => [s.state, s.name, s.turns])).toEqual([
      ["A", "build", 0],
      ["B", "review", 0],
      ["C", "build", 1],
      ["D", undefined, undefined],
    ]);
    expect(seen[0]!.id).toBe(seen[2]!.id);
    expect(seen[1]!.id).not.toBe(seen[0]!.id);
    expect(Object.keys(record.sessions ?? {}).sort()).toEqual(["build", "review"]);
  });

  it("a retried attempt continues the conversation (the failed call is not in it)", async () => {
    const seen: Seen[] = [];
    let failures = 0;
    const worker = (inv: AgentInvocation) => {
      seen.push({ state: inv.state, id: inv.session!.id, turns: inv.session!.turns });
      if (inv.state === "IMPLEMENT" && failures++ === 0) throw new Error("the model is busy");
      return "ok";
    };
    const source = threeStates("agent worker session").replace(
      "state IMPLEMENT = agent worker ",
      "state IMPLEMENT = agent worker retry 2 ",
    );
    const engine = createEngine({ functions: { worker } });
    const record = await (await engine.start(compileSource(source), { step: "x" })).result();
    expect(record.status).toBe("succeeded");
    expect(seen.map((s) => [s.state, s.turns])).toEqual([
      ["WRITE", 0],
      ["IMPLEMENT", 1],
      ["IMPLEMENT", 1],
      ["FIX", 2],
    ]);
    expect(new Set(seen.map((s) => s.id)).size).toBe(1);
    expect(record.sessions?.worker?.turns).toBe(3);
  });

  it("calls of a foreach in one session are made one at a time, in order", async () => {
    let inFlight = 0;
    let most = 0;
    const turns: number[] = [];
    const worker = async (inv: AgentInvocation) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      turns.push(inv.session!.turns);
      await new Promise((r) => setImmediate(r));
      inFlight -= 1;
      return inv.prompt;
    };
    const source = `
workflow fan {
  agent worker session
  start EACH
  state EACH = foreach item in ["a", "b", "c", "d"] agent worker concurrency 4 {
    prompt "{{item}}"
    on success -> DONE
  }
  final DONE
}`;
    const { compile } = await import("../../../src/compiler/compile.ts");
    const compiled = compile(source, { filename: "/virtual/fan.aegis" });
    // The checker warns that these calls run one at a time.
    expect(compiled.diagnostics.map((d) => d.code)).toEqual(["AEG512"]);
    const engine = createEngine({ functions: { worker } });
    const record = await (await engine.start(compiled, {})).result();
    expect(record.status).toBe("succeeded");
    expect(most).toBe(1);
    expect(turns).toEqual([0, 1, 2, 3]);
  });

  it("a session named by an agent template refuses a call to another agent (session-agent)", async () => {
    const source = `
workflow pick {
  input who: string
  agent alice
  agent bob
  start A
  state A = agent alice session s { prompt "a"; on success -> B }
  state B = agent "{{input.who}}" session s { prompt "b"; on success -> DONE; otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;
    const engine = createEngine({ functions: { alice: () => "a", bob: () => "b" } });
    const record = await (await engine.start(compileSource(source), { who: "bob" })).result();
    expect(record.status).toBe("failed");
    expect(record.results.B?.error).toEqual({
      code: "session-agent",
      message: "session 's' is agent 'alice''s conversation; a call to 'bob' cannot continue it",
    });
  });
});

describe("a session with an openai agent", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it("sends the conversation so far with each call", async () => {
    const bodies: { messages: { role: string; content: string }[] }[] = [];
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (c) => (text += c));
      req.on("end", () => {
        bodies.push(JSON.parse(text));
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            choices: [{ message: { role: "assistant", content: `reply ${bodies.length}` } }],
          }),
        );
      });
    });
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const source = threeStates(
      `agent worker = openai("${url}", model: "m", system: "be brief") session`,
    );
    const engine = createEngine();
    const record = await (await engine.start(compileSource(source), { step: "VS1" })).result();
    expect(record.status).toBe("succeeded");
    expect(bodies.map((b) => b.messages)).toEqual([
      [
        { role: "system", content: "be brief" },
        { role: "user", content: "write tests for VS1" },
      ],
      [
        { role: "system", content: "be brief" },
        { role: "user", content: "write tests for VS1" },
        { role: "assistant", content: "reply 1" },
        { role: "user", content: "implement VS1" },
      ],
      [
        { role: "system", content: "be brief" },
        { role: "user", content: "write tests for VS1" },
        { role: "assistant", content: "reply 1" },
        { role: "user", content: "implement VS1" },
        { role: "assistant", content: "reply 2" },
        { role: "user", content: "fix VS1" },
      ],
    ]);
  });
});

describe("a session with a command agent", () => {
  it("gets AEGIS_SESSION, AEGIS_SESSION_ID and AEGIS_SESSION_TURN, and aegis keeps no messages", async () => {
    const source = threeStates(
      `agent worker = command("node -e 'process.stdout.write(JSON.stringify({s: process.env.AEGIS_SESSION, id: process.env.AEGIS_SESSION_ID, turn: process.env.AEGIS_SESSION_TURN}))'") session`,
    );
    const engine = createEngine();
    const record = await (await engine.start(compileSource(source), { step: "x" })).result();
    expect(record.status).toBe("succeeded");
    const outputs = ["WRITE", "IMPLEMENT", "FIX"].map(
      (s) => record.results[s]!.output as { s: string; id: string; turn: string },
    );
    expect(outputs.map((o) => [o.s, o.turn])).toEqual([
      ["worker", "0"],
      ["worker", "1"],
      ["worker", "2"],
    ]);
    expect(outputs[0]!.id).toBe(record.sessions?.worker?.id);
    expect(new Set(outputs.map((o) => o.id)).size).toBe(1);
    expect(record.sessions?.worker?.messages).toBeUndefined();
  });
});
