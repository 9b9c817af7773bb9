// The default store: one directory per run under a project-local root (.aegis/runs).
//
//   <id>/graph.json     the compiled graph (GraphDocument): resuming needs no source
//   <id>/run.json       what was fixed at creation: inputs, agents, parent, workdir
//   <id>/journal.jsonl  one RunEvent per line, each appended with one durable write (O_DSYNC)
//                       before anything else happens (write-ahead): the truth
//   <id>/record.json    a snapshot of the record (the journal's fold), to spare a replay:
//                       written to a temporary file, fsync'd and renamed over the old one
//                       every SNAPSHOT_EVERY events and when the run stops
//   <id>/events.jsonl   the observations, for `aegis logs` (not fsync'd: not the truth)
//   <id>/lock           the process driving the run (pid, host), while it does
//   <id>/cancel         a cancellation asked for by another process
//
// While a process holds a run's lock, the store keeps the run's journal and log open and
// knows the journal's length: a completed state costs one durable write. Snapshots are
// written behind the run (the next state does not wait for them); releasing the lock waits
// for the last one.
//
// A crash can leave the record behind the journal (a snapshot not yet renamed, or lost) or
// the journal's last line half written. Loading rebuilds the record from the journal in the
// first case and ignores the torn line in the second; the first commit after the run is
// locked again moves the torn bytes aside (journal.jsonl.torn-*) before it appends. A line
// that is damaged anywhere else is not guessed at: loading fails with "journal-corrupt",
// naming the file and line, and nothing is rewritten. A write that fails (a full disk, a
// read-only directory) is undone (the journal is cut back to its last whole line) and
// reported as "store-full" or "store-readonly": the run stays at its last committed event.
import { randomUUID } from "node:crypto";
import { constants, readFileSync } from "node:fs";
import {
  appendFile,
  type FileHandle,
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
import { isRunEvent, isRunRecord, metaOf, summarize } from "./replay.ts";
import {
  type LoadedRun,
  type LockOwner,
  RUN_ID,
  type RunLock,
  type RunMeta,
  type RunStore,
  type RunSummary,
} from "./types.ts";

/** A run directory being created that has not changed for this long was abandoned. */
const ABANDONED_AFTER_MS = 10 * 60_000;

const errno = (error: unknown) => (error as NodeJS.ErrnoException).code;

const STAYS = "The run stays at its last recorded event, with nothing lost";
const FULL = new Set(["ENOSPC", "EDQUOT", "EFBIG"]);
const READONLY = new Set(["EACCES", "EPERM", "EROFS"]);

/**
 * A failed write as the user's to fix: "store-full" (no space, quota, file size limit) or
 * "store-readonly" (permissions, a read-only file system), naming the path, what became of
 * the run (`outcome`) and what to do `then` once it is fixed; other errors pass unchanged.
 */
function storeWriteError(error: unknown, path: string, outcome: string, then: string) {
  const code = errno(error);
  if (code === undefined || error instanceof RuntimeError) return error;
  const [kind, why, fix] = FULL.has(code)
    ? [
        "store-full",
        code === "EFBIG" ? "the file size limit is reached" : "no space is left on the device",
        "free some space",
      ]
    : READONLY.has(code)
      ? [
          "store-readonly",
          code === "EROFS" ? "the file system is read-only" : "permission denied",
          "make it writable",
        ]
      : [];
  if (!kind) return error;
  return new RuntimeError(
    kind,
    `cannot write ${path}: ${why} (${code}). ${outcome}: ${fix}, then ${then}.`,
  );
}

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

/** Writes a file and flushes it to the disk. */
async function writeDurable(path: string, text: string): Promise<void> {
  const handle = await open(path, "w");
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a file so that a reader sees the old content or the new, never a mix. */
async function writeAtomic(path: string, text: string, syncDir = true): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    await writeDurable(temporary, text);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  if (syncDir) await fsyncDir(resolve(path, ".."));
}

/** Writes all of `data` at the end of a file opened for appending (a write may be partial). */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done);
    done += bytesWritten;
  }
}

// One write that returns once the data are on the disk: the append and its fdatasync in a
// single system call (and a single trip to the thread pool). Where O_DSYNC does not exist,
// each write is followed by a datasync.
const DSYNC: number | undefined = constants.O_DSYNC;
const JOURNAL_FLAGS = constants.O_RDWR | constants.O_APPEND | (DSYNC ?? 0);

/** A file appended to by one process, whose length it knows without asking the disk. */
class Appender {
  private size: number;
  private queued: Buffer[] = [];
  private next: Promise<void> | undefined;
  private last: Promise<void> = Promise.resolve();
  private readonly handle: FileHandle;
  /** Each write is on the disk when it resolves (the journal), or in the page cache (the log). */
  private readonly durable: boolean;

  constructor(handle: FileHandle, size: number, durable: boolean) {
    this.handle = handle;
    this.size = size;
    this.durable = durable;
  }

  /**
   * Appends `data` after everything appended before it; appends made while a write is
   * under way go together in the next one (one write, one flush). A write that fails is
   * undone (the file is cut back to where it was), so the file never keeps a part of one.
   */
  append(data: Buffer): Promise<void> {
    this.queued.push(data);
    if (!this.next) {
      const next = this.last.then(() => {
        const batch = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued);
        this.queued = [];
        this.next = undefined;
        return this.write(batch);
      });
      this.next = next;
      this.last = next.catch(() => undefined);
    }
    return this.next;
  }

  private async write(data: Buffer): Promise<void> {
    try {
      await writeAll(this.handle, data);
      if (this.durable && DSYNC === undefined) await this.handle.datasync();
      this.size += data.length;
    } catch (error) {
      await this.handle.truncate(this.size).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.last;
    await this.handle.close().catch(() => undefined);
  }
}

/** What the store keeps open for a run while this process holds its lock. */
interface HeldRun {
  journal?: Appender;
  log?: Promise<Appender>;
  /** The latest snapshot (record.json's text) not yet written, and the writes under way. */
  snapshot?: string;
  snapshots: Promise<void>;
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
  /** The runs this store object holds the lock of. */
  private readonly held = new Map<string, HeldRun>();

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
    try {
      await mkdir(this.root, { recursive: true });
    } catch (error) {
      throw storeWriteError(
        error,
        this.root,
        `Run '${record.id}' was not created`,
        "start it again",
      );
    }
    await this.markGenerated();
    if (await stat(dir).catch(() => undefined)) throw this.runExists(record.id);
    // Made aside and renamed into place, so that a creation cut short (a crash, a full disk)
    // never holds the id: the next attempt (a resumed parent's child run) starts afresh. A
    // name starting with "." is no run id: list() does not see what a crash left there.
    const building = join(this.root, `.${record.id}.${randomUUID().slice(0, 8)}.creating`);
    try {
      await mkdir(building);
      await Promise.all([
        writeDurable(join(building, "graph.json"), `${JSON.stringify(document)}\n`),
        writeDurable(join(building, "record.json"), `${JSON.stringify(record, null, 2)}\n`),
        writeDurable(
          join(building, "run.json"),
          `${JSON.stringify(metaOf(record, meta), null, 2)}\n`,
        ),
        writeDurable(join(building, "journal.jsonl"), ""),
      ]);
      await fsyncDir(building);
      await rename(building, dir);
    } catch (error) {
      await rm(building, { recursive: true, force: true }).catch(() => undefined);
      if (errno(error) === "EEXIST" || errno(error) === "ENOTEMPTY")
        throw this.runExists(record.id);
      throw storeWriteError(
        error,
        this.root,
        `Run '${record.id}' was not created`,
        "start it again",
      );
    }
    await fsyncDir(this.root);
  }

  /**
   * Removes what creations cut short by a crash left (`.<id>.<uuid>.creating`), once they
   * are old enough not to be a creation still under way.
   */
  private async removeAbandoned(names: string[]): Promise<void> {
    for (const name of names) {
      if (!name.startsWith(".") || !name.endsWith(".creating")) continue;
      const path = join(this.root, name);
      const info = await stat(path).catch(() => undefined);
      if (info && Date.now() - info.mtimeMs > ABANDONED_AFTER_MS)
        await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  private runExists(id: string): RuntimeError {
    return new RuntimeError(
      "run-exists",
      `a run with the id '${id}' exists already in ${this.location}`,
    );
  }

  private marked = false;

  /**
   * Tells the tools that read a project's files that the store's are none of theirs: git
   * (a .gitignore of everything) and Biome (a nested configuration that includes nothing),
   * so that `biome check .` after a run does not lint its JSON.
   */
  private async markGenerated(): Promise<void> {
    if (this.marked) return; // once per store, not at every run's creation
    this.marked = true;
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
      // Loaded only here: reading a run whose record is up to date needs none of the core.
      const { replay } = await import("./rebuild.ts");
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
    const line = Buffer.from(`${JSON.stringify(event)}\n`);
    const held = this.held.get(record.id);
    const journal = held?.journal ?? (await this.openJournal(path));
    try {
      await journal.append(line);
    } catch (error) {
      // Opened again by the next commit, which checks the journal's end anew.
      if (held) delete held.journal;
      await journal.close();
      throw storeWriteError(
        error,
        path,
        `Run '${record.id}' stays at its event ${record.seq - 1}, with nothing it recorded lost`,
        "resume it",
      );
    }
    if (held) held.journal = journal;
    else await journal.close();
    // The journal is the truth (durable above); the record is a snapshot that spares a
    // replay. It is written when the run stops (waiting, finished) and every
    // SNAPSHOT_EVERY events; load() replays whatever the journal has beyond it.
    // Serialized now, written later: the text is this event's record whatever happens next.
    if (record.status !== "running" || record.seq % SNAPSHOT_EVERY === 0) {
      const text = `${JSON.stringify(record, null, 2)}\n`;
      if (held) this.snapshotBehind(held, record.id, text);
      else await this.writeSnapshot(record.id, text);
    }
  }

  /** Opens a journal for appending; a torn last line is moved aside first. */
  private async openJournal(path: string): Promise<Appender> {
    const handle = await open(path, JOURNAL_FLAGS).catch((error) => {
      throw storeWriteError(error, path, STAYS, "resume it");
    });
    try {
      let { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) size = await this.setTornTailAside(handle, path);
      }
      return new Appender(handle, size, true);
    } catch (error) {
      await handle.close();
      throw storeWriteError(error, path, STAYS, "resume it");
    }
  }

  private async writeSnapshot(id: string, text: string): Promise<void> {
    await writeAtomic(this.file(id, "record.json"), text, false).catch(() => {
      // Only a snapshot: load() rebuilds the record from the journal when it is behind.
    });
  }

  /** Writes the record behind the run: the newest one asked for, one write at a time. */
  private snapshotBehind(held: HeldRun, id: string, text: string): void {
    const queued = held.snapshot !== undefined;
    held.snapshot = text;
    if (queued) return;
    held.snapshots = held.snapshots.then(() => {
      const latest = held.snapshot!;
      delete held.snapshot;
      return this.writeSnapshot(id, latest);
    });
  }

  /** Moves a half-written last line to journal.jsonl.torn-<time>; returns the new size. */
  private async setTornTailAside(handle: FileHandle, path: string): Promise<number> {
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
      const entries = await readdir(this.root, { withFileTypes: true });
      await this.removeAbandoned(entries.map((d) => d.name));
      names = entries.filter((d) => d.isDirectory() && RUN_ID.test(d.name)).map((d) => d.name);
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

  async appendLog(id: string, observations: readonly RunObservation[]): Promise<void> {
    if (observations.length === 0) return;
    const path = this.file(id, "events.jsonl");
    const lines = Buffer.from(observations.map((o) => `${JSON.stringify(o)}\n`).join(""));
    const held = this.held.get(id);
    try {
      if (!held) return await appendFile(path, lines);
      // Opened once per run; a failed opening is tried again with the next observation.
      held.log ??= this.openLog(path).catch((error) => {
        delete held.log;
        throw error;
      });
      await (await held.log).append(lines);
    } catch (error) {
      throw storeWriteError(
        error,
        path,
        "An observation is missing from the log (the run itself is unharmed)",
        "go on",
      );
    }
  }

  private async openLog(path: string): Promise<Appender> {
    const handle = await open(path, "a+");
    try {
      let { size } = await handle.stat();
      const last = Buffer.alloc(1);
      if (
        size > 0 &&
        (await handle.read(last, 0, 1, size - 1)).bytesRead === 1 &&
        last[0] !== 0x0a
      ) {
        // A line cut short by a crash ends here, so that it does not swallow the next one.
        await handle.write("\n");
        size += 1;
      }
      return new Appender(handle, size, false);
    } catch (error) {
      await handle.close();
      throw error;
    }
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
      if (await this.writeLock(path, mine)) return this.holding(id, path, mine);
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

  /** Creates the lock file with `mine` in it; false if it exists already. */
  private async writeLock(path: string, mine: LockFile): Promise<boolean> {
    let handle: FileHandle;
    try {
      handle = await open(path, "wx");
    } catch (error) {
      if (errno(error) === "EEXIST") return false;
      throw storeWriteError(error, path, "The run was not changed", "try again");
    }
    try {
      await handle.writeFile(JSON.stringify(mine));
    } catch (error) {
      // An empty lock file (a full disk) would keep every other process out for a while.
      await handle.close().catch(() => undefined);
      await rm(path, { force: true }).catch(() => undefined);
      throw storeWriteError(error, path, "The run was not changed", "try again");
    }
    await handle.close();
    return true;
  }

  /** Temporary snapshots left by a process that died while writing one (only holders write them). */
  private async removeStaleSnapshots(id: string): Promise<void> {
    const dir = this.dir(id);
    const names = await readdir(dir).catch(() => []);
    await Promise.all(
      names
        .filter((name) => name.startsWith("record.json.") && name.endsWith(".tmp"))
        .map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)),
    );
  }

  /** The lock just taken: the run's files stay open until it is released. */
  private holding(id: string, path: string, mine: LockFile): RunLock {
    const held: HeldRun = { snapshots: this.removeStaleSnapshots(id) };
    this.held.set(id, held);
    return {
      release: async () => {
        if (this.held.get(id) !== held) return;
        this.held.delete(id);
        await held.snapshots;
        await held.journal?.close();
        await (await held.log?.catch(() => undefined))?.close();
        const current = await this.readLock(path);
        if (current && current !== "unreadable" && current.token === mine.token) {
          // Left behind if the directory became read-only: a lock whose process is gone is
          // taken over by the next one.
          await rm(path, { force: true }).catch(() => undefined);
        }
      },
    };
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
    const path = this.file(id, "cancel");
    await writeAtomic(path, reason).catch((error) => {
      throw storeWriteError(error, path, `Run '${id}' was not cancelled`, "cancel it again");
    });
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
