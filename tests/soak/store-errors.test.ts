// A full disk and a read-only run directory, through the command line: each gives a clear
// error with a stable code ("store-full", "store-readonly"), exit status 2 and no stack
// trace, and loses nothing: once space is freed or the directory is writable again, the
// run goes on to the same end as a run that never met the problem, with no state executed
// twice. A full disk is a small tmpfs (ENOSPC) where this process may mount one, and a file
// size limit (`ulimit -f`: EFBIG) everywhere; permissions are not checked for root, so a
// root process runs the command line as the user "nobody" for the read-only case.
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent, RunRecord } from "../../src/runtime/types.ts";
import {
  agentCalls,
  BIN,
  env,
  json,
  LOCAL_AGENTS,
  PIPELINE,
  type Result,
  tempDir,
} from "../runtime/cli/helpers.ts";
import { essence } from "./soak.ts";

const NOBODY = 65534;
const root = process.getuid?.() === 0;

interface As {
  /** A file size limit in KiB (`ulimit -f`). */
  limitKb?: number;
  /** Run as "nobody" (when this process is root). */
  nobody?: boolean;
}

/** `aegis ARGS` in `dir`, its agents logging to dir/agents.log. */
function cli(dir: string, args: string[], as: As = {}): Result {
  const extra = { AEGIS_AGENT_LOG: join(dir, "agents.log"), HOME: dir };
  const argv = [process.execPath, BIN, ...args];
  const [command, ...rest] =
    as.limitKb === undefined
      ? argv
      : ["sh", "-c", `ulimit -f ${as.limitKb} && exec "$@"`, "sh", ...argv];
  const r = spawnSync(command!, rest, {
    cwd: dir,
    env: env(extra),
    encoding: "utf8",
    timeout: 170_000, // only catches a hang; a loaded machine is slow
    ...(as.nobody && root && { uid: NOBODY, gid: NOBODY }),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const store = (path: string) => ["--store", path];
const runArgs = (path: string, id = "demo") => [
  "run",
  PIPELINE,
  "--agents",
  LOCAL_AGENTS,
  "--param",
  "task=a word counter",
  "--id",
  id,
  ...store(path),
];
const signalArgs = (path: string) => [
  "signal",
  "demo",
  "--approve",
  "--approver",
  "ana",
  ...store(path),
];

function recordOf(dir: string, path: string, as: As = {}): RunRecord {
  const status = cli(dir, ["status", "demo", "--json", ...store(path)], as);
  expect(status.stderr).toBe("");
  return json<RunRecord>(status.stdout);
}

/** The files of a run directory and their contents. */
function files(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), "utf8")]),
  );
}

function completions(runDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync(join(runDir, "journal.jsonl"), "utf8").split("\n")) {
    if (!line) continue;
    const e = JSON.parse(line) as RunEvent;
    if (e.type === "state-completed") out[e.state] = (out[e.state] ?? 0) + 1;
  }
  return out;
}

function perKey(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of agentCalls(join(dir, "agents.log"))) out[c.key] = (out[c.key] ?? 0) + 1;
  return out;
}

/** A clear error: the code and the path, exit 2, no stack trace. */
function expectStoreError(r: Result, code: string, path: RegExp) {
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(
    new RegExp(`^aegis: error\\[${code}\\]: cannot write ${path.source}`, "m"),
  );
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toContain("internal error");
}

let reference: {
  essence: ReturnType<typeof essence>;
  completions: Record<string, number>;
  keys: string[];
};

beforeAll(() => {
  const dir = tempDir();
  expect(cli(dir, runArgs("runs")).status).toBe(0);
  expect(cli(dir, signalArgs("runs")).status).toBe(0);
  reference = {
    essence: essence(recordOf(dir, "runs")),
    completions: completions(join(dir, "runs/demo")),
    keys: Object.keys(perKey(dir)).sort(),
  };
  expect(reference.essence.status).toBe("succeeded");
}, 180_000);

/** Ended as the uninterrupted run did; each call once, but for `again` (made twice, same key). */
function expectSameAsReference(dir: string, path: string, again: string[] = [], as: As = {}) {
  expect(essence(recordOf(dir, path, as))).toEqual(reference.essence);
  expect(completions(join(dir, path, "demo"))).toEqual(reference.completions);
  const counts = perKey(dir);
  expect(Object.keys(counts).sort()).toEqual(reference.keys);
  for (const [key, n] of Object.entries(counts)) expect(n, key).toBe(again.includes(key) ? 2 : 1);
}

describe("a full disk", () => {
  it("a journal append that fails (EFBIG, a file size limit) stops the run where it was; resume finishes it", () => {
    const dir = tempDir();
    expect(cli(dir, runArgs("runs")).status).toBe(0);
    const journal = join(dir, "runs/demo/journal.jsonl");
    const before = readFileSync(journal, "utf8");
    // Room for the answer and little more: a later event of the run does not fit.
    const limitKb = Math.ceil(statSync(journal).size / 1024) + 1;
    const signal = cli(dir, signalArgs("runs"), { limitKb });
    expectStoreError(
      signal,
      "store-full",
      /\S+\/runs\/demo\/journal\.jsonl: the file size limit is reached \(EFBIG\)/,
    );
    expect(signal.stderr).toMatch(
      /Run 'demo' stays at its event \d+, with nothing it recorded lost/,
    );
    // Every line whole: what was appended before the failure is kept, the failed one is not.
    const after = readFileSync(journal, "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(after.endsWith("\n")).toBe(true);
    expect(statSync(journal).size).toBeLessThanOrEqual(limitKb * 1024);
    const stopped = recordOf(dir, "runs");
    expect(stopped.status).toBe("running");
    expect(existsSync(join(dir, "runs/demo/lock"))).toBe(false);

    const resume = cli(dir, ["resume", "demo", ...store("runs")]);
    expect(resume.stderr).toBe("");
    expect(resume.status).toBe(0);
    // The state whose completion could not be written is executed again, with its key.
    const inFlight = `demo:${stopped.current}:${stopped.visits[stopped.current!]}:${stopped.attempt}`;
    expectSameAsReference(
      dir,
      "runs",
      Object.keys(perKey(dir)).filter((k) => k.startsWith(inFlight)),
    );
  });

  const mount = (() => {
    if (!root) return undefined;
    const probe = tempDir();
    const ok = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe]).status === 0;
    if (ok) spawnSync("umount", [probe]);
    return ok;
  })();
  const mounted: string[] = [];
  afterEach(() => {
    for (const m of mounted.splice(0)) spawnSync("umount", ["-l", m]);
  });

  it(`no space left (ENOSPC): nothing changes, nothing is left half made, and the run goes on once there is room${mount ? "" : " — here a file size limit stands in for the tmpfs this process may not mount"}`, () => {
    const dir = tempDir();
    const disk = join(dir, "disk");
    mkdirSync(disk);
    let fill: () => void;
    let free: () => void;
    if (mount) {
      expect(spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]).status).toBe(0);
      mounted.push(disk);
      const filler = join(disk, "filler");
      fill = () => {
        // Until the device is full: one page at a time.
        const page = Buffer.alloc(4096);
        try {
          for (;;) writeFileSync(filler, page, { flag: "a" });
        } catch (error) {
          expect((error as NodeJS.ErrnoException).code).toBe("ENOSPC");
        }
      };
      free = () => rmSync(filler);
    } else {
      fill = () => undefined;
      free = () => undefined;
    }
    const as: As = mount ? {} : { limitKb: 0 };
    expect(cli(dir, runArgs("disk/runs")).status).toBe(0);
    const runDir = join(disk, "runs/demo");
    const before = files(runDir);
    fill();

    const code = mount ? "ENOSPC" : "EFBIG";
    const signal = cli(dir, signalArgs("disk/runs"), as);
    expectStoreError(signal, "store-full", new RegExp(`\\S+/runs/demo/lock: .*\\(${code}\\)`));
    expect(signal.stderr).toContain("The run was not changed");
    expect(files(runDir)).toEqual(before);
    const other = cli(dir, runArgs("disk/runs", "other"), as);
    expectStoreError(other, "store-full", new RegExp(`\\S+/disk/runs: .*\\(${code}\\)`));
    expect(other.stderr).toContain("Run 'other' was not created");
    // No half-made run, nothing hidden left behind.
    expect(
      readdirSync(join(disk, "runs")).filter((f) => !f.startsWith(".git") && f !== "biome.json"),
    ).toEqual(["demo"]);
    // What is there can still be read.
    expect(recordOf(dir, "disk/runs", as)).toMatchObject({ status: "waiting" });
    const logs = cli(dir, ["logs", "demo", ...store("disk/runs")], as);
    expect(logs.status).toBe(0);
    expect(logs.stdout).toContain("APPROVE");

    free();
    const again = cli(dir, signalArgs("disk/runs"));
    expect(again.stderr).toBe("");
    expect(again.status).toBe(0);
    expectSameAsReference(dir, "disk/runs");
  });
});

describe("a read-only run directory", () => {
  it("store-readonly for whatever would write; status and logs still work; writable again, the run goes on", () => {
    const dir = tempDir();
    if (root) chownSync(dir, NOBODY, NOBODY);
    const as: As = { nobody: true };
    expect(cli(dir, runArgs("runs"), as).status).toBe(0);
    const runDir = join(dir, "runs/demo");
    const before = files(runDir);
    chmodSync(runDir, 0o555);
    chmodSync(join(dir, "runs"), 0o555);

    const signal = cli(dir, signalArgs("runs"), as);
    expectStoreError(
      signal,
      "store-readonly",
      /\S+\/runs\/demo\/lock: permission denied \(EACCES\)/,
    );
    expect(signal.stderr).toContain("The run was not changed: make it writable, then try again.");
    const cancel = cli(dir, ["cancel", "demo", ...store("runs")], as);
    expectStoreError(cancel, "store-readonly", /\S+\/runs\/demo\/lock/);
    const other = cli(dir, runArgs("runs", "other"), as);
    expectStoreError(other, "store-readonly", /\S+\/runs: permission denied \(EACCES\)/);
    expect(files(runDir)).toEqual(before);
    expect(recordOf(dir, "runs", as)).toMatchObject({ status: "waiting" });
    expect(cli(dir, ["logs", "demo", ...store("runs")], as).status).toBe(0);

    chmodSync(join(dir, "runs"), 0o755);
    chmodSync(runDir, 0o755);
    const again = cli(dir, signalArgs("runs"), as);
    expect(again.stderr).toBe("");
    expect(again.status).toBe(0);
    expectSameAsReference(dir, "runs", [], as);
  }, 600_000); // about ten CLI processes in a row: a deadline for a hang only
});
