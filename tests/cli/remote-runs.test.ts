// The run commands against a real `aegis serve` (a child process) through the real CLI with
// AEGIS_SERVER: run by name to its gate, status, list, signal, logs (and --follow while the
// run goes on), cancel, resume — each compared with the same command on a local store
// (same lines, but for times, durations and who answered), with the same exit codes; the
// options that name this machine's things refused; a server that is not there, one line.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  aegis,
  aegisAsync,
  bin,
  childEnv,
  node,
  type Run,
  releaseWorkflow,
  type Served,
  serve,
} from "../server/serve.ts";

const release = releaseWorkflow();

const dirs: string[] = [];
let server: Served;
/** Where the server runs, and where the local store is: two workspaces with the same file. */
let served: string;
let local: string;
let env: Record<string, string>;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "aegis-remote-runs-"));
  dirs.push(dir);
  writeFileSync(join(dir, "release.aegis"), release);
  return dir;
}

beforeAll(async () => {
  served = workspace();
  local = workspace();
  server = await serve(served);
  env = { AEGIS_SERVER: server.url };
  const deployed = aegis(served, ["deploy", "release.aegis"], env);
  expect(deployed.status, deployed.stderr).toBe(0);
}, 180_000);

afterAll(async () => {
  if (server && server.process.exitCode === null) await server.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The same command on the server (by name) and on the local store (from the file). */
function both(args: (target: string) => string[]): { remote: Run; local: Run } {
  return {
    remote: aegis(served, args("release"), env),
    local: aegis(local, args("release.aegis")),
  };
}

/** Output with what differs between two runs of the same thing made alike. */
function alike(text: string): string {
  return text
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "TIME")
    .replace(/\b\d+(\.\d+)?(ms|s)\b/g, "DURATION")
    .replace(/ by \S+/g, " by SOMEONE");
}

function expectSame(pair: { remote: Run; local: Run }): void {
  expect(pair.remote.stderr).toBe(pair.local.stderr);
  expect(pair.remote.status).toBe(pair.local.status);
  expect(alike(pair.remote.stdout)).toBe(alike(pair.local.stdout));
}

/** Starts `aegis ARGS` and resolves once its stdout matches `ready`; `done` is its end. */
function following(cwd: string, args: string[], ready: RegExp) {
  const child = spawn(node, [bin, ...args], { cwd, env: childEnv(env) });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  const done = new Promise<Run>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });
  const seen = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (c: string) => {
      stdout += c;
      if (ready.test(stdout)) resolve();
    });
    void done.then((r) => reject(new Error(`exited before ${ready}: ${r.stdout}${r.stderr}`)));
  });
  return { seen, done, child };
}

describe("the run commands against aegis serve", () => {
  it("run stops at the gate, status and list show it, signal finishes it, logs tell it, as locally", () => {
    const input = ["--input", '{"version": "1.2"}', "--id", "rel-1"];
    const started = both((w) => ["run", w, ...input]);
    expectSame(started);
    expect(started.remote.status).toBe(0);
    expect(started.remote.stdout).toContain("⏸ run rel-1 is waiting for a human at APPROVE");
    expect(started.remote.stdout).toContain("aegis signal rel-1 --approve");

    expectSame(both(() => ["status", "rel-1"]));
    const status = aegis(served, ["status", "rel-1"], env);
    expect(status.stdout).toMatch(/status +waiting for a human at APPROVE/);

    const listed = both(() => ["list", "--workflow", "release", "--status", "waiting"]);
    expectSame(listed);
    expect(listed.remote.stdout).toMatch(/^rel-1 +release +waiting at APPROVE/m);
    const none = aegis(served, ["list", "--status", "succeeded"], env);
    expect(none.stdout).toBe(`no runs of that kind at ${server.url}\n`);

    // Resuming a run that waits at its gate: it waits there still, said the same way.
    const waiting = both(() => ["resume", "rel-1"]);
    expectSame(waiting);
    expect(waiting.remote.stdout).toContain("⏸ run rel-1 is waiting for a human at APPROVE");

    const signalled = both(() => ["signal", "rel-1", "--approve"]);
    expectSame(signalled);
    expect(signalled.remote.status).toBe(0);
    expect(signalled.remote.stdout).toContain("✓ run rel-1 succeeded");

    const logs = both(() => ["logs", "rel-1"]);
    expectSame(logs);
    expect(logs.remote.stdout).toContain("APPROVE approved by local");
    expectSame(both(() => ["status", "rel-1"]));

    // A finished run: nothing to resume, nothing to cancel (exit 1 both ways).
    const resumed = both(() => ["resume", "rel-1"]);
    expect(resumed.remote.status).toBe(1);
    expect(resumed.local.status).toBe(1);
    expect(resumed.remote.stderr).toMatch(/^aegis: error\[not-resumable\]: .*\n$/);
    const cancelled = both(() => ["cancel", "rel-1"]);
    expect(cancelled.remote.status).toBe(1);
    expect(cancelled.local.status).toBe(1);
    expect(cancelled.remote.stderr).toMatch(/^aegis: error\[not-cancellable\]: .*\n$/);
  });

  it("cancel stops a waiting run (twice: exit 1, as locally); a rejected gate fails the run", () => {
    const input = ["--input", '{"version": "2"}', "--id", "rel-2"];
    expectSame(both((w) => ["run", w, ...input]));
    const once = both(() => ["cancel", "rel-2", "--reason", "not today"]);
    expectSame(once);
    expect(once.remote.status).toBe(0);
    expect(once.remote.stdout).toBe("run rel-2 cancelled: not today (it was at APPROVE)\n");
    const twice = both(() => ["cancel", "rel-2"]);
    expect(twice.remote.status).toBe(1);
    expect(twice.local.status).toBe(1);

    const rejected = ["--input", '{"version": "3"}', "--id", "rel-3"];
    expectSame(both((w) => ["run", w, ...rejected]));
    const no = both(() => ["signal", "rel-3", "--reject", "--feedback", "not yet"]);
    expectSame(no);
    expect(no.remote.status).toBe(1);
    expect(no.remote.stdout).toContain("✗ run rel-3 failed at FAILED");
    // Answering a gate that is no longer waited at: exit 1 both ways.
    const again = both(() => ["signal", "rel-3", "--approve"]);
    expect(again.remote.status).toBe(1);
    expect(again.local.status).toBe(1);
    expect(again.remote.stderr).toMatch(/^aegis: error\[not-waiting\]: .*\n$/);
  });

  it("logs --follow prints a run as it goes on, until it finishes", async () => {
    const run = aegis(
      served,
      ["run", "release", "--input", '{"version": "4"}', "--id", "rel-4"],
      env,
    );
    expect(run.status).toBe(0);
    const follow = following(served, ["logs", "--follow", "rel-4"], /waits for a human/);
    await follow.seen;
    const answer = aegis(served, ["signal", "rel-4", "--approve"], env);
    expect(answer.status).toBe(0);
    const followed = await follow.done;
    expect(followed.status).toBe(0);
    expect(followed.stderr).toBe("");
    expect(followed.stdout).toContain("run rel-4 succeeded");
    // What it printed live is the log, line for line.
    expect(followed.stdout).toBe(aegis(served, ["logs", "rel-4"], env).stdout);
  });

  it("Ctrl-C stops following a run, not the run: exit 130, and the server goes on with it", async () => {
    writeFileSync(
      join(served, "slow.aegis"),
      `workflow slow {
  start WORK
  state WORK = run "while [ ! -f go ]; do sleep 0.1; done" timeout 5m {
    on exit 0 -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`,
    );
    expect(aegis(served, ["deploy", "slow.aegis"], env).status).toBe(0);
    const run = following(served, ["run", "slow", "--id", "slow-1"], /WORK started/);
    await run.seen;
    run.child.kill("SIGINT");
    const stopped = await run.done;
    expect(stopped.status).toBe(130);
    expect(stopped.stderr).toBe(
      "\naegis: stopped following run slow-1; the server goes on with it: aegis logs --follow slow-1\n",
    );
    // The run waits for the file \`go\` in the server's directory: it was still at WORK.
    expect(aegis(served, ["status", "slow-1"], env).stdout).toMatch(/status +running WORK/);
    writeFileSync(join(served, "go"), "");
    const rest = aegis(served, ["logs", "--follow", "slow-1"], env);
    expect(rest.status).toBe(0);
    expect(rest.stdout).toContain("run slow-1 succeeded");
  });

  it("the JSON forms: run's events, status's record, list's runs", () => {
    const run = aegis(
      served,
      ["run", "release", "--json", "--input", '{"version": "5"}', "--id", "rel-5"],
      env,
    );
    expect(run.status).toBe(0);
    const types = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).type);
    expect(types[0]).toBe("run-started");
    expect(types.at(-1)).toBe("waiting-for-human");
    const status = JSON.parse(aegis(served, ["status", "rel-5", "--json"], env).stdout);
    expect(status).toMatchObject({ id: "rel-5", status: "waiting", inputs: { version: "5" } });
    const listed = JSON.parse(aegis(served, ["list", "--json", "--status", "waiting"], env).stdout);
    expect(listed.map((r: { id: string }) => r.id)).toContain("rel-5");
  });

  it("refuses what names this machine's things, a file to run, and says a missing server in one line", () => {
    const cases: [string[], RegExp][] = [
      [["run", "release", "--agents", "agents.yaml"], /^aegis: --agents names an agents file/],
      [["run", "release", "--agent", "x=claude"], /^aegis: --agent binds agents in this process/],
      [["run", "release", "--workdir", "."], /^aegis: --workdir names a directory/],
      [["status", "rel-1", "--store", "runs"], /^aegis: --store names a store of runs/],
      [["signal", "rel-1", "--approve", "--approver", "bob"], /^aegis: --approver /],
      [["resume", "--due"], /^aegis: --due takes due gate timeouts in a local store/],
      [["run", "release.aegis"], /^aegis: 'release.aegis' is a file.*aegis deploy release.aegis/],
    ];
    for (const [args, message] of cases) {
      const r = aegis(served, args, env);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split("\n")).toHaveLength(2); // the line, and where help is
      expect(r.stderr).toContain(`Run 'aegis ${args[0]} --help' for usage.`);
    }
    const unknown = aegis(served, ["run", "nope"], env);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^aegis: error\[unknown-workflow\]: [^\n]*\n$/);

    const gone = { AEGIS_SERVER: "http://127.0.0.1:1" };
    for (const args of [["run", "release"], ["status", "x"], ["logs", "-f", "x"], ["list"]]) {
      const r = aegis(served, args, gone);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^aegis: error\[server-unreachable\]: cannot reach [^\n]*\n$/);
    }
    // --server names it too, and wins over AEGIS_SERVER.
    const flag = aegis(served, ["status", "rel-1", "--server", server.url], gone);
    expect(flag.status).toBe(0);
    expect(flag.stdout).toContain("run rel-1 (release)");
  });
});

describe("the CLI's event stream reader", () => {
  it("makes a dropped (or early ended) stream again with Last-Event-ID: nothing twice, nothing lost", async () => {
    const at = "2026-12-02T06:00:00.000Z";
    const observations = [
      { type: "run-started", run: "x", workflow: "w", at },
      { type: "state-entered", run: "x", state: "A", visit: 1, at },
      { type: "run-finished", run: "x", status: "succeeded", at },
    ];
    const event = (n: number, eol: string) =>
      [
        `id: ${n}`,
        `event: ${observations[n - 1]!.type}`,
        `data: ${JSON.stringify(observations[n - 1])}`,
        "",
        "",
      ].join(eol);
    const asked: (string | undefined)[] = [];
    // A stand-in for the server: the first stream is cut after one event; the second ends
    // after the next while the run still waits (a server stopping); the third (CRLF line
    // ends, a comment) must start after the last id the client saw.
    const fake = createServer((req, res) => {
      if (req.url === "/v1/runs/x") {
        res.writeHead(200, { "content-type": "application/json" });
        const status = asked.length < 3 ? "waiting" : "succeeded";
        res.end(JSON.stringify({ run: { status }, record: { status }, meta: {} }));
        return;
      }
      if (req.url !== "/v1/runs/x/events") {
        res.writeHead(404).end();
        return;
      }
      asked.push(req.headers["last-event-id"] as string | undefined);
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (asked.length === 1) {
        res.write(event(1, "\n"), () => res.destroy());
        return;
      }
      if (asked.length === 2) {
        res.end(event(2, "\n"));
        return;
      }
      res.end(`: keep-alive\r\n\r\n${event(3, "\r\n")}`);
    });
    await new Promise<void>((done) => fake.listen(0, "127.0.0.1", done));
    try {
      const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
      const r = await aegisAsync(local, ["logs", "--follow", "x", "--server", url]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(asked).toEqual([undefined, "1", "2"]);
      expect(r.stdout).toBe(
        [`${at}  run x (w) started`, `${at}  A started`, `${at}  run x succeeded`, ""].join("\n"),
      );
    } finally {
      fake.close();
    }
  });
});
