// The registry and its database, on real SQLite files: deploy by content hash, versions and
// the current one, holds and prune, persistence, migrations, transactions.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compile } from "../../src/compiler/compile.ts";
import type { GraphDocument } from "../../src/compiler/graph.ts";
import { openDatabase } from "../../src/server/db.ts";
import { openRegistry, type Registry } from "../../src/server/registry.ts";

let dir: string;
let registry: Registry | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aegis-registry-"));
});
afterEach(() => {
  registry?.close();
  registry = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function workflow(name: string, version?: string, input = "task"): GraphDocument {
  const source = `workflow ${name} {
  ${version ? `version "${version}"` : ""}
  input ${input}: string
  agent default
  start WORK
  state WORK = agent default {
    prompt "do {{input.${input}}}"
    on success -> DONE
    otherwise -> FAILED
  }
  final DONE
  final FAILED failure
}
`;
  const result = compile(source, { filename: `${name}.aegis` });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return result.document;
}

describe("registry", () => {
  it("stores a workflow by name, its version the content hash, with its declared version", async () => {
    registry = await openRegistry(dir);
    const doc = workflow("review", "2.1");
    const at = new Date("2026-01-02T03:04:05.000Z");
    expect(registry.deploy(doc, at)).toEqual({
      name: "review",
      version: doc.hash,
      declaredVersion: "2.1",
      deployedAt: "2026-01-02T03:04:05.000Z",
      created: true,
    });
    const [summary, ...rest] = registry.list();
    expect(rest).toEqual([]);
    expect(summary).toMatchObject({ name: "review", version: doc.hash, versions: 1 });
    expect(summary!.inputSchema).toMatchObject({ required: ["task"] });
    expect(registry.version("review")?.document).toEqual(doc);
  });

  it("the same hash again is stored once; a new one becomes current; an old one comes back", async () => {
    registry = await openRegistry(dir);
    const v1 = workflow("review", "1");
    const v2 = workflow("review", "2");
    expect(registry.deploy(v1).created).toBe(true);
    expect(registry.deploy(v1)).toMatchObject({ created: false });
    expect(registry.deploy(v1)).not.toHaveProperty("previous");
    expect(registry.deploy(v2)).toMatchObject({ created: true, previous: v1.hash });
    expect(registry.get("review")).toMatchObject({
      current: v2.hash,
      versions: [
        { version: v2.hash, current: true, declaredVersion: "2" },
        { version: v1.hash, current: false, declaredVersion: "1" },
      ],
    });
    expect(registry.deploy(v1)).toMatchObject({ created: false, previous: v2.hash });
    expect(registry.get("review")?.current).toBe(v1.hash);
    expect(registry.version("review", v2.hash)?.declaredVersion).toBe("2");
    expect(registry.version("review", "0".repeat(64))).toBeUndefined();
    expect(registry.version("other")).toBeUndefined();
    expect(registry.get("other")).toBeUndefined();
  });

  it("refuses a document whose hash does not match, or that is not a graph", async () => {
    registry = await openRegistry(dir);
    const doc = workflow("review");
    expect(() => registry!.deploy({ ...doc, hash: "0".repeat(64) })).toThrow(
      expect.objectContaining({ code: "invalid-workflow" }),
    );
    expect(() => registry!.deploy({ format: "nope" })).toThrow(
      expect.objectContaining({ code: "invalid-workflow" }),
    );
    expect(registry.list()).toEqual([]);
  });

  it("keeps a version while a run holds it; prune removes the others that are not current", async () => {
    registry = await openRegistry(dir);
    const [v1, v2, v3] = [
      workflow("review", "1"),
      workflow("review", "2"),
      workflow("review", "3"),
    ];
    for (const v of [v1, v2, v3]) registry.deploy(v);
    registry.retain(v1.hash, "run-a");
    registry.retain(v1.hash, "run-a");
    registry.retain(v1.hash, "run-b");
    expect(registry.get("review")!.versions.map((v) => v.runs)).toEqual([0, 0, 2]);
    expect(registry.prune()).toEqual([{ name: "review", version: v2.hash }]);
    expect(registry.get("review")!.versions.map((v) => v.version)).toEqual([v3.hash, v1.hash]);
    registry.release("run-a");
    expect(registry.prune()).toEqual([]);
    registry.release("run-b");
    registry.release("run-b");
    expect(registry.prune()).toEqual([{ name: "review", version: v1.hash }]);
    expect(registry.get("review")!.versions.map((v) => v.version)).toEqual([v3.hash]);
    expect(() => registry!.retain("f".repeat(64), "run-c")).toThrow(
      expect.objectContaining({ code: "unknown-version" }),
    );
  });

  it("what is deployed and held survives closing and opening again", async () => {
    registry = await openRegistry(dir);
    const [a, b] = [workflow("alpha"), workflow("beta", "9")];
    registry.deploy(a);
    registry.deploy(b);
    registry.retain(b.hash, "run-1");
    registry.close();
    registry = await openRegistry(dir);
    expect(registry.list().map((w) => [w.name, w.version])).toEqual([
      ["alpha", a.hash],
      ["beta", b.hash],
    ]);
    expect(registry.get("beta")!.versions[0]!.runs).toBe(1);
  });
});

describe("database", () => {
  it("WAL, foreign keys, and the migrations applied once each, by user_version", async () => {
    const path = join(dir, "x.db");
    const migrations = ["CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"];
    const db = await openDatabase(path, {
      synchronous: "NORMAL",
      migrations: migrations.slice(0, 1),
    });
    expect(db.sql.prepare("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.sql.prepare("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    expect(db.sql.prepare("PRAGMA synchronous").get()).toEqual({ synchronous: 1 });
    db.close();
    const again = await openDatabase(path, { synchronous: "FULL", migrations });
    expect(again.sql.prepare("PRAGMA user_version").get()).toEqual({ user_version: 2 });
    expect(again.sql.prepare("PRAGMA synchronous").get()).toEqual({ synchronous: 2 });
    const tables = again.sql
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual(["a", "b"]);
    again.close();
  });

  it("refuses a database of a newer schema than it knows, in one line", async () => {
    const path = join(dir, "y.db");
    (
      await openDatabase(path, { synchronous: "FULL", migrations: ["SELECT 1", "SELECT 2"] })
    ).close();
    await expect(
      openDatabase(path, { synchronous: "FULL", migrations: ["SELECT 1"] }),
    ).rejects.toThrow(
      expect.objectContaining({
        code: "server-data",
        message: expect.stringContaining("has schema version 2, newer than this aegis knows (1)"),
      }),
    );
  });

  it("tx commits what returns and rolls back what throws", async () => {
    const db = await openDatabase(join(dir, "z.db"), {
      synchronous: "NORMAL",
      migrations: ["CREATE TABLE t (v INTEGER)"],
    });
    const insert = db.sql.prepare("INSERT INTO t (v) VALUES (?)");
    const count = () => (db.sql.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
    db.tx(() => {
      insert.run(1);
      db.tx(() => insert.run(2));
    });
    expect(count()).toBe(2);
    expect(() =>
      db.tx(() => {
        insert.run(3);
        throw new Error("no");
      }),
    ).toThrow("no");
    expect(count()).toBe(2);
    expect(db.sql.isTransaction).toBe(false);
    db.close();
  });
});
