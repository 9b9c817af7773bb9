// The default store: one directory per run under a project-local root (.aegis/runs).
//
//   <id>/graph.json     the compiled graph (GraphDocument): resuming needs no source
//   <id>/run.json       what was fixed at creation: inputs, agents, parent, workdir
//   <id>/journal.jsonl  one RunEvent per line, appended and fsync'd before anything else
//                       happens (write-ahead): the truth
//   <id>/record.json    the record after the last event: written to a temporary file,
//                       fsync'd, renamed over the old one, directory fsync'd
//   <id>/events.jsonl   the observations, for `aegis logs`
//   <id>/lock           the process driving the run (pid, host), while it does
//   <id>/cancel         a cancellation asked for by another process
//
// A crash can leave the record behind the journal (the event was appended, the record not
// yet renamed) or the journal's last line half written. Loading rebuilds the record from
// the journal in the first case and ignores the torn line in the second; the next commit
// moves the torn bytes aside (journal.jsonl.torn-*) before it appends. A line that is
// damaged anywhere else is not guessed at: loading fails with "journal-corrupt", naming the
// file and line, and nothing is rewritten.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  appendFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import type { GraphDocument } from "../../compiler/graph.ts";
import { type RunEvent, type RunObservation, type RunRecord, RuntimeError } from "../types.ts";
import { isRunEvent, isRunRecord, metaOf, replay, summarize } from "./replay.ts";
import {
  type LoadedRun,
  type LockOwner,
  RUN_ID,
  type RunLock,
  type RunMeta,
  type RunStore,
  type RunSummary,
} from "./types.ts";

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot open or sync a directory; the rename is still atomic there.
  }
}

/** Writes a file so that a reader sees the old content or the new, never a mix. */
async function writeAtomic(path: string, text: string, syncDir = true): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const handle = await open(temporary, "w");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
  if (syncDir) await fsyncDir(resolve(path, ".."));
}

/** The start time of a process (Linux), to tell a live lock holder from a reused pid. */
function processStart(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

interface LockFile extends LockOwner {
  token: string;
  start?: string;
}

function alive(owner: LockFile): boolean {
  if (owner.host !== hostname()) return true; // cannot tell: assume it is
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (errno(error) === "ESRCH") return false;
  }
  if (owner.start !== undefined) {
    const start = processStart(owner.pid);
    if (start !== undefined && start !== owner.start) return false;
  }
  return true;
}

export interface JournalRead {
  events: RunEvent[];
  /** 1-based number of a last line cut short by a crash, ignored. */
  truncatedLine?: number;
}

/** Reads a journal; throws "journal-corrupt" for a damaged line that is not a torn tail. */
export function parseJournal(text: string, file: string): JournalRead {
  const lines = text.split("\n");
  const tail = lines.pop() ?? "";
  const events: RunEvent[] = [];
  lines.forEach((line, index) => {
    let value: unknown;
    let reason = "";
    try {
      value = JSON.parse(line);
      if (!isRunEvent(value)) reason = "it is JSON but not a run event";
    } catch (error) {
      reason = line.trim() === "" ? "the line is empty" : (error as Error).message;
    }
    if (reason) {
      throw new RuntimeError(
        "journal-corrupt",
        `the journal ${file} is damaged at line ${index + 1} of ${lines.length + (tail ? 1 : 0)}: ${reason}. ` +
          "Nothing was changed: the events before and after it are still there. Repair or " +
          "remove that line by hand, then resume the run.",
      );
    }
    events.push(value as RunEvent);
  });
  return tail === "" ? { events } : { events, truncatedLine: lines.length + 1 };
}

/** Events between two snapshots of record.json while a run is under way. */
const SNAPSHOT_EVERY = 32;

export class FileStore implements RunStore {
  readonly root: string;
  readonly location: string;

  constructor(root = ".aegis/runs") {
    this.root = resolve(root);
    this.location = root;
  }

  private dir(id: string): string {
    if (!RUN_ID.test(id)) {
      throw new RuntimeError(
        "invalid-run-id",
        `'${id}' is not a run id (letters, digits, '.', '_' and '-'; at most 200)`,
      );
    }
    return join(this.root, id);
  }

  private file(id: string, name: string): string {
    return join(this.dir(id), name);
  }

  async create(record: RunRecord, document: GraphDocument, meta: Partial<RunMeta> = {}) {
    const dir = this.dir(record.id);
    await mkdir(this.root, { recursive: true });
    await this.markGenerated();
    try {
      await mkdir(dir);
    } catch (error) {
      if (errno(error) === "EEXIST") {
        throw new RuntimeError(
          "run-exists",
          `a run with the id '${record.id}' exists already in ${this.location}`,
        );
      }
      throw error;
    }
    await writeAtomic(join(dir, "graph.json"), `${JSON.stringify(document)}\n`, false);
    await writeAtomic(
      join(dir, "run.json"),
      `${JSON.stringify(metaOf(record, meta), null, 2)}\n`,
      false,
    );
    const journal = await open(join(dir, "journal.jsonl"), "a");
    await journal.sync();
    await journal.close();
    // The record last: a directory without one is a creation that did not finish.
    await writeAtomic(join(dir, "record.json"), `${JSON.stringify(record, null, 2)}\n`, false);
    await fsyncDir(dir);
    await fsyncDir(this.root);
  }

  /**
   * Tells the tools that read a project's files that the store's are none of theirs: git
   * (a .gitignore of everything) and Biome (a nested configuration that includes nothing),
   * so that `biome check .` after a run does not lint its JSON.
   */
  private async markGenerated(): Promise<void> {
    const files: [string, string][] = [
      [".gitignore", "# aegis runs: generated, not source\n*\n"],
      ["biome.json", `${JSON.stringify({ root: false, files: { includes: ["!**"] } })}\n`],
    ];
    for (const [name, text] of files) {
      await writeFile(join(this.root, name), text, { flag: "wx" }).catch(() => undefined);
    }
  }

  async exists(id: string): Promise<boolean> {
    try {
      await stat(this.file(id, "run.json"));
      return true;
    } catch {
      return false;
    }
  }

  private async readJson(id: string, name: string): Promise<unknown> {
    const path = this.file(id, name);
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new RuntimeError(
        "run-corrupt",
        `run '${id}' cannot be read: ${path} ${errno(error) === "ENOENT" ? "is missing" : `cannot be read (${(error as Error).message})`}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new RuntimeError(
        "run-corrupt",
        `run '${id}' cannot be read: ${path} is not valid JSON (${(error as Error).message})`,
      );
    }
  }

  async load(id: string): Promise<LoadedRun> {
    const dir = this.dir(id);
    try {
      await stat(dir);
    } catch {
      throw new RuntimeError("run-not-found", `no run '${id}' in ${this.location}`);
    }
    const meta = (await this.readJson(id, "run.json")) as RunMeta;
    const document = (await this.readJson(id, "graph.json")) as GraphDocument;
    // The record before the journal: a writer appends to the journal, then replaces the
    // record, so read in this order the record is never ahead of the journal.
    let record: unknown;
    let why = "";
    try {
      record = JSON.parse(await readFile(join(dir, "record.json"), "utf8"));
      if (!isRunRecord(record, id)) why = "record.json is not a run record";
    } catch (error) {
      why = errno(error) === "ENOENT" ? "record.json is missing" : "record.json is not valid JSON";
    }
    const journalPath = join(dir, "journal.jsonl");
    let text = "";
    try {
      text = await readFile(journalPath, "utf8");
    } catch (error) {
      if (errno(error) !== "ENOENT") throw error;
    }
    const journal = parseJournal(text, journalPath);
    const recovery: LoadedRun["recovery"] = {};
    if (journal.truncatedLine !== undefined) recovery.truncatedLine = journal.truncatedLine;
    if (!why) {
      const seq = (record as RunRecord).seq;
      if (seq === journal.events.length) {
        return {
          record: record as RunRecord,
          document,
          meta,
          ...(recovery.truncatedLine && { recovery }),
        };
      }
      if (seq > journal.events.length) {
        throw new RuntimeError(
          "journal-corrupt",
          `the journal ${journalPath} has ${journal.events.length} events but record.json was written after event ${seq}: ` +
            "events are missing from the journal. Nothing was changed.",
        );
      }
      why = `record.json is at event ${seq}, the journal at ${journal.events.length}`;
    }
    let rebuilt: RunRecord;
    try {
      rebuilt = replay(document, meta, journal.events);
    } catch (error) {
      throw new RuntimeError(
        "run-corrupt",
        `run '${id}' cannot be rebuilt from its journal (${why}): ${(error as Error).message}`,
      );
    }
    return { record: rebuilt, document, meta, recovery: { ...recovery, rebuilt: why } };
  }

  async commit(record: RunRecord, event: RunEvent): Promise<void> {
    const dir = this.dir(record.id);
    const path = join(dir, "journal.jsonl");
    const handle = await open(path, "r+");
    try {
      let { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) size = await this.setTornTailAside(handle, path);
      }
      const line = Buffer.from(`${JSON.stringify(event)}\n`);
      await handle.write(line, 0, line.length, size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The journal is the truth (fsync'ed above); the record is a snapshot that spares a
    // replay. It is written when the run stops (waiting, finished) and every
    // SNAPSHOT_EVERY events; load() replays whatever the journal has beyond it.
    if (record.status !== "running" || record.seq % SNAPSHOT_EVERY === 0) {
      await writeAtomic(join(dir, "record.json"), `${JSON.stringify(record, null, 2)}\n`);
    }
  }

  /** Moves a half-written last line to journal.jsonl.torn-<time>; returns the new size. */
  private async setTornTailAside(
    handle: Awaited<ReturnType<typeof open>>,
    path: string,
  ): Promise<number> {
    const content = await readFile(path);
    const cut = content.lastIndexOf(0x0a) + 1;
    await writeAtomic(`${path}.torn-${Date.now()}`, content.subarray(cut).toString("latin1"));
    await handle.truncate(cut);
    await handle.sync();
    return cut;
  }

  async list(): Promise<RunSummary[]> {
    let names: string[];
    try {
      names = (await readdir(this.root, { withFileTypes: true }))
        .filter((d) => d.isDirectory() && RUN_ID.test(d.name))
        .map((d) => d.name);
    } catch (error) {
      if (errno(error) === "ENOENT") return [];
      throw error;
    }
    const summaries: RunSummary[] = [];
    for (const id of names) {
      if (!(await this.exists(id))) continue;
      const owner = await this.owner(id);
      try {
        const { record, meta } = await this.load(id);
        summaries.push({ ...summarize(record, meta), ...(owner && { owner }) });
      } catch (error) {
        const meta = (await this.readJson(id, "run.json").catch(() => ({}))) as Partial<RunMeta>;
        summaries.push({
          id,
          workflow: meta.workflow ?? "?",
          status: "failed",
          startedAt: meta.startedAt ?? "",
          updatedAt: meta.startedAt ?? "",
          seq: 0,
          problem: {
            code: (error as RuntimeError).code ?? "run-corrupt",
            message: (error as Error).message,
          },
        });
      }
    }
    return summaries.sort((a, b) =>
      a.startedAt === b.startedAt ? (a.id < b.id ? -1 : 1) : a.startedAt < b.startedAt ? -1 : 1,
    );
  }

  async appendLog(id: string, observation: RunObservation): Promise<void> {
    await appendFile(this.file(id, "events.jsonl"), `${JSON.stringify(observation)}\n`);
  }

  async readLog(id: string): Promise<RunObservation[]> {
    if (!(await this.exists(id)))
      throw new RuntimeError("run-not-found", `no run '${id}' in ${this.location}`);
    let text: string;
    try {
      text = await readFile(this.file(id, "events.jsonl"), "utf8");
    } catch (error) {
      if (errno(error) === "ENOENT") return [];
      throw error;
    }
    const out: RunObservation[] = [];
    for (const line of text.split("\n")) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // A line cut short by a crash: the log is informative, the journal is the truth.
      }
    }
    return out;
  }

  private async readLock(path: string): Promise<LockFile | "unreadable" | undefined> {
    try {
      const text = await readFile(path, "utf8");
      const value = JSON.parse(text) as LockFile;
      return typeof value.pid === "number" ? value : "unreadable";
    } catch (error) {
      return errno(error) === "ENOENT" ? undefined : "unreadable";
    }
  }

  async lock(id: string): Promise<RunLock> {
    const path = this.file(id, "lock");
    if (!(await this.exists(id)))
      throw new RuntimeError("run-not-found", `no run '${id}' in ${this.location}`);
    const mine: LockFile = {
      pid: process.pid,
      host: hostname(),
      since: new Date().toISOString(),
      token: randomUUID(),
      ...(processStart(process.pid) !== undefined && { start: processStart(process.pid) }),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await writeFile(path, JSON.stringify(mine), { flag: "wx" });
        return {
          release: async () => {
            const current = await this.readLock(path);
            if (current && current !== "unreadable" && current.token === mine.token) {
              await rm(path, { force: true });
            }
          },
        };
      } catch (error) {
        if (errno(error) !== "EEXIST") throw error;
      }
      const held = await this.readLock(path);
      if (held === undefined) continue;
      if (held === "unreadable") {
        // Being written by another process right now, or left empty by a crash.
        const age = Date.now() - (await stat(path).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
        if (age < 5000) throw this.locked(id);
      } else if (alive(held)) {
        throw this.locked(id, held);
      }
      // A stale lock (its process is gone): move it aside, and make sure it was that one.
      const aside = `${path}.${mine.token}`;
      try {
        await rename(path, aside);
      } catch {
        continue;
      }
      const moved = await this.readLock(aside);
      const same =
        held === "unreadable"
          ? moved === "unreadable"
          : moved !== undefined && moved !== "unreadable" && moved.token === held.token;
      if (!same) {
        await link(aside, path).catch(() => undefined);
        await rm(aside, { force: true });
        throw this.locked(id, moved && moved !== "unreadable" ? moved : undefined);
      }
      await rm(aside, { force: true });
    }
    throw this.locked(id);
  }

  private locked(id: string, owner?: LockOwner): RuntimeError {
    return new RuntimeError(
      "run-locked",
      owner
        ? `run '${id}' is being driven by process ${owner.pid} on ${owner.host} (since ${owner.since})`
        : `run '${id}' is being driven by another process`,
    );
  }

  async owner(id: string): Promise<LockOwner | undefined> {
    const held = await this.readLock(this.file(id, "lock"));
    if (!held || held === "unreadable" || !alive(held)) return undefined;
    return { pid: held.pid, host: held.host, since: held.since };
  }

  async requestCancel(id: string, reason: string): Promise<void> {
    await writeAtomic(this.file(id, "cancel"), reason);
  }

  async cancelRequest(id: string): Promise<string | undefined> {
    try {
      return await readFile(this.file(id, "cancel"), "utf8");
    } catch {
      return undefined;
    }
  }

  async clearCancelRequest(id: string): Promise<void> {
    await rm(this.file(id, "cancel"), { force: true });
  }

  async remove(id: string): Promise<void> {
    // A directory without run.json (a creation cut short) can be removed too.
    if (!(await stat(this.dir(id)).catch(() => undefined)))
      throw new RuntimeError("run-not-found", `no run '${id}' in ${this.location}`);
    const owner = await this.owner(id);
    if (owner) throw this.locked(id, owner);
    await rm(this.dir(id), { recursive: true, force: true });
  }
}
