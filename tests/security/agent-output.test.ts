// Hostile agent output in a real run: bytes that are not UTF-8, 100 MiB of output, a JSON
// nesting bomb, garbage where JSON was asked for, an HTTP endpoint that answers without
// end. Each costs bounded memory and disk, ends with a clear coded error where one is due,
// and leaves a journal whose every line is JSON.
//   npx vitest run tests/security/agent-output.test.ts
import { statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/runtime/providers/output.ts";
import { agentPath } from "../runtime/executors/helpers.ts";
import { type Finished, hostile, jsonLines, runWorkflow } from "./helpers.ts";

const MiB = 1024 * 1024;

function oneAgent(
  agent: string,
  options = "",
  after = "printf '%s' {{quote ASK.output}} | wc -c",
): string {
  return `
workflow hostile "One agent, then a command that reads its answer" {
  agent a = command(${agent}${options})
  start ASK
  state ASK = agent a timeout 60s { prompt "answer" on success -> AFTER on failure -> FAILED }
  state AFTER = run "${after}" timeout 30s { on exit 0 -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`;
}

/** The run's journal and log are JSON, line by line, and small. */
function expectSaneFiles(run: Finished, maxBytes: number) {
  for (const name of ["journal.jsonl", "events.jsonl"]) {
    const file = join(run.dir, name);
    expect(() => jsonLines(file), name).not.toThrow();
    expect(statSync(file).size, name).toBeLessThan(maxBytes);
  }
}

describe("bytes that are not UTF-8", () => {
  it("are decoded with replacement characters; the run goes on, its journal stays JSON", async () => {
    const run = await runWorkflow(oneAgent(hostile("bytes"), `, output: "text"`));
    expect(run.record.status).toBe("succeeded");
    const output = String(run.record.results.ASK?.output);
    expect(output.startsWith("ok ")).toBe(true);
    expect(output).toContain("\uFFFD");
    expect(output).toContain("😀"); // the valid sequence after the bad ones survives
    expectSaneFiles(run, MiB);
  });
});

describe("100 MiB of output", () => {
  let peak = 0;
  let sampler: ReturnType<typeof setInterval> | undefined;
  const sample = () => {
    peak = 0;
    sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  };
  afterEach(() => clearInterval(sampler));

  it("from an agent: the state fails with agent-output-too-large; memory and files stay bounded", async () => {
    sample();
    const run = await runWorkflow(oneAgent(hostile("flood", "100")));
    console.info(
      `agent flood of 100 MiB: peak RSS of the test process ${Math.round(peak / MiB)} MiB`,
    );
    const ask = run.record.results.ASK!;
    expect(ask.status).toBe("failed");
    expect(ask.error?.code).toBe("agent-output-too-large");
    expect(ask.error?.message).toMatch(/printed 104857600 characters on standard output/);
    expect(run.record.current).toBe("FAILED");
    expectSaneFiles(run, 3 * MiB);
    // What was shown as it came stopped at the limit, with one notice.
    const shown = run.observations.filter((o) => o.type === "state-output");
    const text = shown.map((o) => (o.type === "state-output" ? o.text : "")).join("");
    expect(text.length).toBeLessThan(MiB + 1000);
    expect(text).toMatch(/\[aegis: stdout passed 1048576 characters; the rest is not shown/);
  });

  it("from a command: it ends by itself, its last 1 MiB is kept, the rest is dropped", async () => {
    sample();
    const run = await runWorkflow(`
workflow flood "A command that prints 100 MiB" {
  start LOUD
  state LOUD = run ${hostile("flood", "100")} timeout 60s { on exit 0 -> DONE otherwise -> FAILED }
  final DONE
  final FAILED failure
}`);
    console.info(
      `command flood of 100 MiB: peak RSS of the test process ${Math.round(peak / MiB)} MiB`,
    );
    expect(run.record.status).toBe("succeeded");
    expect(String(run.record.results.LOUD?.stdout).length).toBe(MiB);
    expectSaneFiles(run, 3 * MiB);
  });
});

describe("a JSON nesting bomb", () => {
  // 400,000 levels: 800 kB, under the output limit; far deeper than JSON.stringify can save.
  it("is read as text, not parsed: the run goes on and can be saved", async () => {
    const run = await runWorkflow(
      oneAgent(hostile("nest", "400000"), "", "echo {{len ASK.output}}"),
    );
    expect(run.record.status, JSON.stringify(run.record.error)).toBe("succeeded");
    const output = run.record.results.ASK?.output;
    expect(typeof output).toBe("string");
    expect(String(output)).toMatch(/^\{"a":\[\[\[/);
    expect(String(run.record.results.AFTER?.stdout).trim()).toBe(String(800_006));
    expectSaneFiles(run, 4 * MiB);
  });

  it("fails with agent-output when JSON is required", async () => {
    const run = await runWorkflow(oneAgent(hostile("nest", "400000"), `, output: "json"`));
    const ask = run.record.results.ASK!;
    expect(ask.status).toBe("failed");
    expect(ask.error?.code).toBe("agent-output");
    expect(ask.error?.message).toContain(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    expectSaneFiles(run, 4 * MiB);
  });

  it("a JSON answer nested as deep as allowed is still parsed", async () => {
    const run = await runWorkflow(oneAgent(hostile("nest", String(MAX_JSON_DEPTH - 1))));
    expect(run.record.status).toBe("succeeded");
    expect(typeof run.record.results.ASK?.output).toBe("object");
  });
});

describe("garbage where JSON was asked for", () => {
  it("fails the state with agent-output, quoting what was printed", async () => {
    const agent = JSON.stringify(`node ${agentPath("garbage-agent.js")}`);
    const run = await runWorkflow(oneAgent(agent, `, output: "json"`));
    const ask = run.record.results.ASK!;
    expect(ask.status).toBe("failed");
    expect(ask.error?.code).toBe("agent-output");
    expect(ask.error?.message).toMatch(
      /was to answer with a JSON object, but printed: \{"score": 0\.9, oops/,
    );
    expectSaneFiles(run, MiB);
  });
});

describe("an OpenAI-compatible endpoint", () => {
  it("that answers without end is cut off with agent-output-too-large", async () => {
    let sent = 0;
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(MiB, " ");
      const more = () => {
        while (sent < 200 * MiB) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once("drain", more);
        }
        res.end();
      };
      res.on("error", () => undefined);
      more();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const run = await runWorkflow(`
workflow endless "An endpoint that never stops" {
  agent a = openai(${JSON.stringify(url)}, model: "m")
  start ASK
  state ASK = agent a timeout 60s { prompt "answer" on success -> DONE on failure -> FAILED }
  final DONE
  final FAILED failure
}`);
      const ask = run.record.results.ASK!;
      expect(ask.error?.code).toBe("agent-output-too-large");
      expect(sent).toBeLessThan(200 * MiB); // it stopped reading
      expectSaneFiles(run, MiB);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe("a score out of range", () => {
  // The checker proves conditions over scores from 0 to 1 (AEG211): an agent's 85 (percent)
  // or 7 (out of 10) is no score, so it cannot pass `score >= 0.8`.
  function gate(score: string) {
    return `
workflow gate "A score gate" {
  agent a = command(${JSON.stringify(`node ${agentPath("score-agent.js")} ${score} 1`)})
  start ASK
  state ASK = agent a timeout 60s {
    prompt "rate it"
    on score >= 0.8 -> PASSED
    on success -> LOW
    otherwise -> FAILED
  }
  final PASSED
  final LOW
  final FAILED failure
}`;
  }

  it.each([["85"], ["7"], ["-0.5"], ["1.01"]])(
    "%s is no score: the gate is not passed",
    async (score) => {
      const run = await runWorkflow(gate(score));
      expect(run.record.current).toBe("LOW");
      expect(run.record.results.ASK?.score).toBeUndefined();
    },
  );

  it.each([["0.85"], ["1"]])("%s is a score, and passes", async (score) => {
    const run = await runWorkflow(gate(score));
    expect(run.record.current).toBe("PASSED");
    expect(run.record.results.ASK?.score).toBe(Number(score));
  });
});
