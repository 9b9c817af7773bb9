// The server's embedded database: node:sqlite (no native dependency), one connection per
// file, in the server process only (the CLI talks HTTP and never opens it). WAL, a busy
// timeout, foreign keys, a transaction helper, and schema migrations by PRAGMA user_version.
// node:sqlite is loaded when a database is first opened: only `aegis serve` pays for it.
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { RuntimeError } from "../runtime/types.ts";
import { withoutWarning } from "../runtime/without-warning.ts";

export interface Database {
  readonly sql: DatabaseSync;
  /** Runs `fn` in one transaction (BEGIN IMMEDIATE): committed if it returns, rolled back
   * if it throws. Nested calls join the outer transaction. */
  tx<T>(fn: () => T): T;
  close(): void;
}

export interface DatabaseOptions {
  /**
   * FULL: a commit survives a power loss (a source of truth, written rarely: the registry).
   * NORMAL: a commit survives a crash of the process, and may be lost with the machine's
   * power, never corrupt (what can be rebuilt from elsewhere: indexes).
   */
  synchronous: "FULL" | "NORMAL";
  /** The schema, one step per entry: entry i brings user_version i to i + 1. */
  migrations: readonly string[];
  /** Milliseconds a writer waits for another's lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
}

let loaded: typeof import("node:sqlite") | undefined;

/**
 * node:sqlite, loaded once. Node 22.13 to 24.14 warn "SQLite is an experimental feature"
 * as the module loads (synchronously, through process.emitWarning); that warning alone is
 * left out. Later Nodes do not warn.
 */
async function sqlite(): Promise<typeof import("node:sqlite")> {
  // Not import(): the packaged command line is a script run by vm (bin/bundle-loader.js),
  // where import() is still experimental and warns.
  loaded ??= withoutWarning(
    (text) => text.startsWith("SQLite is an experimental feature"),
    () => process.getBuiltinModule("node:sqlite"),
  );
  return loaded;
}

/** Opens (creating it and its directory if needed) and migrates the database at `path`. */
export async function openDatabase(path: string, options: DatabaseOptions): Promise<Database> {
  const { DatabaseSync } = await sqlite();
  let sql: DatabaseSync;
  try {
    mkdirSync(dirname(path), { recursive: true });
    sql = new DatabaseSync(path, {
      timeout: options.busyTimeoutMs ?? 5000,
      enableForeignKeyConstraints: true,
    });
  } catch (error) {
    throw new RuntimeError("server-data", `cannot open ${path}: ${(error as Error).message}`);
  }
  try {
    sql.exec("PRAGMA journal_mode = WAL");
    sql.exec(`PRAGMA synchronous = ${options.synchronous === "FULL" ? "FULL" : "NORMAL"}`);
    sql.exec("PRAGMA foreign_keys = ON");
  } catch (error) {
    sql.close();
    throw new RuntimeError("server-data", `cannot use ${path}: ${(error as Error).message}`);
  }
  const db: Database = {
    sql,
    tx<T>(fn: () => T): T {
      if (sql.isTransaction) return fn();
      sql.exec("BEGIN IMMEDIATE");
      try {
        const result = fn();
        sql.exec("COMMIT");
        return result;
      } catch (error) {
        if (sql.isTransaction) sql.exec("ROLLBACK");
        throw error;
      }
    },
    close: () => {
      if (sql.isOpen) sql.close();
    },
  };
  try {
    migrate(db, path, options.migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/** Brings the schema up to date, one migration per transaction. */
function migrate(db: Database, path: string, migrations: readonly string[]): void {
  const version = () =>
    Number((db.sql.prepare("PRAGMA user_version").get() as { user_version: number }).user_version);
  const at = version();
  if (at > migrations.length) {
    throw new RuntimeError(
      "server-data",
      `${path} has schema version ${at}, newer than this aegis knows (${migrations.length}); use a newer aegis`,
    );
  }
  for (let i = at; i < migrations.length; i++) {
    db.tx(() => {
      db.sql.exec(migrations[i]!);
      db.sql.exec(`PRAGMA user_version = ${i + 1}`);
    });
  }
}
