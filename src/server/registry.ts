// The registry: compiled workflows stored by name, each version by its content hash (and
// the `version` the workflow declares), one of them current. Runs hold the version they
// started with (retain/release); prune() removes the versions nothing holds and that are not
// current. Its own database file, synchronous=FULL: it is the source of truth for what is
// deployed, and written rarely.
import { join } from "node:path";
import type {
  DeployResponse,
  WorkflowDetail,
  WorkflowSummary,
  WorkflowVersion,
} from "../api/workflows.ts";
import { type GraphDocument, loadGraph, type WorkflowAttributes } from "../compiler/graph.ts";
import { RuntimeError } from "../runtime/types.ts";
import { type Database, openDatabase } from "./db.ts";

export const REGISTRY_FILE = "registry.db";

const migrations = [
  `CREATE TABLE workflows (
     name TEXT PRIMARY KEY,
     current TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE versions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     hash TEXT NOT NULL UNIQUE,
     name TEXT NOT NULL,
     declared_version TEXT,
     title TEXT,
     description TEXT,
     input_schema TEXT NOT NULL,
     document TEXT NOT NULL,
     deployed_at TEXT NOT NULL
   );
   CREATE INDEX versions_by_name ON versions (name, seq);
   -- Who holds a version (a run's id): a version is kept while anything holds it.
   CREATE TABLE holds (
     holder TEXT PRIMARY KEY,
     hash TEXT NOT NULL REFERENCES versions (hash) ON DELETE RESTRICT
   );
   CREATE INDEX holds_by_hash ON holds (hash);`,
];

/** A version as the registry hands it to whoever starts a run. */
/** Versions of a workflow kept besides those runs hold: the latest deployed, to go back to. */
export const KEEP_VERSIONS = 10;

export interface StoredVersion {
  name: string;
  version: string;
  declaredVersion?: string;
  document: GraphDocument;
}

export interface Registry {
  /** Stores a compiled workflow and makes it current (`created: false`: it was stored). */
  deploy(document: unknown, now?: Date): DeployResponse;
  list(): WorkflowSummary[];
  /** A workflow and its versions, newest first; undefined when none is deployed. */
  get(name: string): WorkflowDetail | undefined;
  /** A version's document (the current one when `version` is not given). */
  version(name: string, version?: string): StoredVersion | undefined;
  /** `holder` (a run's id) holds `version`; idempotent. Refused for an unknown version. */
  retain(version: string, holder: string): void;
  /** `holder` holds nothing any more; idempotent. */
  release(holder: string): void;
  /**
   * Removes the versions that are not current, that nothing holds, and that are not among
   * the `keep` latest deployed of their workflow (default: none kept); says which.
   */
  prune(keep?: number): { name: string; version: string }[];
  close(): void;
}

interface VersionRow {
  hash: string;
  name: string;
  declared_version: string | null;
  title: string | null;
  description: string | null;
  input_schema: string;
  deployed_at: string;
}

/** Opens the registry of the server whose data directory is `dir`. */
export async function openRegistry(dir: string): Promise<Registry> {
  const db = await openDatabase(join(dir, REGISTRY_FILE), { synchronous: "FULL", migrations });
  return registryOn(db);
}

function registryOn(db: Database): Registry {
  const q = {
    versionByHash: db.sql.prepare("SELECT * FROM versions WHERE hash = ?"),
    insertVersion: db.sql.prepare(
      `INSERT INTO versions (hash, name, declared_version, title, description, input_schema, document, deployed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    current: db.sql.prepare("SELECT current FROM workflows WHERE name = ?"),
    setCurrent: db.sql.prepare(
      `INSERT INTO workflows (name, current, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET current = excluded.current, updated_at = excluded.updated_at`,
    ),
    list: db.sql.prepare(
      `SELECT v.*, (SELECT count(*) FROM versions o WHERE o.name = w.name) AS versions
       FROM workflows w JOIN versions v ON v.hash = w.current ORDER BY w.name`,
    ),
    versionsOf: db.sql.prepare(
      `SELECT v.*, (SELECT count(*) FROM holds h WHERE h.hash = v.hash) AS runs
       FROM versions v WHERE v.name = ? ORDER BY v.seq DESC`,
    ),
    document: db.sql.prepare(
      "SELECT name, hash, declared_version, document FROM versions WHERE name = ? AND hash = ?",
    ),
    retain: db.sql.prepare(
      "INSERT INTO holds (holder, hash) VALUES (?, ?) ON CONFLICT (holder) DO UPDATE SET hash = excluded.hash",
    ),
    release: db.sql.prepare("DELETE FROM holds WHERE holder = ?"),
    prunable: db.sql.prepare(
      `SELECT v.name, v.hash FROM versions v
       WHERE v.hash NOT IN (SELECT current FROM workflows)
         AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.hash = v.hash)
         AND (SELECT count(*) FROM versions n WHERE n.name = v.name AND n.seq > v.seq) >= ?`,
    ),
    remove: db.sql.prepare("DELETE FROM versions WHERE hash = ?"),
  };

  const response = (row: VersionRow, created: boolean, previous?: string): DeployResponse => ({
    name: row.name,
    version: row.hash,
    ...(row.declared_version !== null && { declaredVersion: row.declared_version }),
    deployedAt: row.deployed_at,
    created,
    ...(previous !== undefined && { previous }),
  });

  return {
    deploy(document, now = new Date()) {
      const doc = checked(document);
      const attributes = doc.graph.attributes as WorkflowAttributes;
      const name = attributes.name;
      return db.tx(() => {
        const at = now.toISOString();
        const stored = q.versionByHash.get(doc.hash) as VersionRow | undefined;
        const previous = (q.current.get(name) as { current: string } | undefined)?.current;
        if (stored) {
          // The same content again: nothing is stored; it becomes current again if it was not.
          if (previous === doc.hash) return response(stored, false);
          q.setCurrent.run(name, doc.hash, at);
          return response(stored, false, previous);
        }
        q.insertVersion.run(
          doc.hash,
          name,
          attributes.version ?? null,
          attributes.title ?? null,
          attributes.description ?? null,
          JSON.stringify(attributes.inputSchema ?? {}),
          JSON.stringify(doc),
          at,
        );
        q.setCurrent.run(name, doc.hash, at);
        return response(q.versionByHash.get(doc.hash) as unknown as VersionRow, true, previous);
      });
    },

    list() {
      return (q.list.all() as unknown as (VersionRow & { versions: number })[]).map((row) => ({
        name: row.name,
        version: row.hash,
        ...(row.declared_version !== null && { declaredVersion: row.declared_version }),
        ...(row.title !== null && { title: row.title }),
        ...(row.description !== null && { description: row.description }),
        deployedAt: row.deployed_at,
        versions: Number(row.versions),
        inputSchema: JSON.parse(row.input_schema),
      }));
    },

    get(name) {
      const current = q.current.get(name) as { current: string } | undefined;
      if (!current) return undefined;
      const rows = q.versionsOf.all(name) as unknown as (VersionRow & { runs: number })[];
      const versions: WorkflowVersion[] = rows.map((row) => ({
        version: row.hash,
        ...(row.declared_version !== null && { declaredVersion: row.declared_version }),
        deployedAt: row.deployed_at,
        current: row.hash === current.current,
        runs: Number(row.runs),
      }));
      return { name, current: current.current, versions };
    },

    version(name, version) {
      const hash = version ?? (q.current.get(name) as { current: string } | undefined)?.current;
      if (hash === undefined) return undefined;
      const row = q.document.get(name, hash) as
        | { name: string; hash: string; declared_version: string | null; document: string }
        | undefined;
      if (!row) return undefined;
      return {
        name: row.name,
        version: row.hash,
        ...(row.declared_version !== null && { declaredVersion: row.declared_version }),
        document: JSON.parse(row.document) as GraphDocument,
      };
    },

    retain(version, holder) {
      try {
        q.retain.run(holder, version);
      } catch (error) {
        if (/FOREIGN KEY/i.test((error as Error).message)) {
          throw new RuntimeError("unknown-version", `no deployed version ${version}`);
        }
        throw error;
      }
    },

    release(holder) {
      q.release.run(holder);
    },

    prune(keep = 0) {
      return db.tx(() => {
        const rows = q.prunable.all(keep) as unknown as { name: string; hash: string }[];
        for (const row of rows) q.remove.run(row.hash);
        return rows.map((row) => ({ name: row.name, version: row.hash }));
      });
    },

    close: () => db.close(),
  };
}

/** A deployable document: loadable (its hash checked), with a workflow name. */
function checked(document: unknown): GraphDocument {
  try {
    loadGraph(document);
  } catch (error) {
    throw new RuntimeError("invalid-workflow", (error as Error).message);
  }
  const doc = document as GraphDocument;
  const name = (doc.graph.attributes as Partial<WorkflowAttributes> | undefined)?.name;
  if (typeof name !== "string" || name.trim() === "") {
    throw new RuntimeError("invalid-workflow", "the workflow has no name");
  }
  return doc;
}
