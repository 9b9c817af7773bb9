// A workflow built in TypeScript on a real `aegis serve --module` (a child process, over
// HTTP): deployed as the server starts, run by name through the command line against the
// server, its gate answered there, its function agents run in the server's process.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aegis, root, type Served, serve } from "../server/serve.ts";

const dir = mkdtempSync(join(tmpdir(), "aegis-builder-serve-"));
const module = join(root, "tests", "builder", "fixtures", "gated.ts");
let server: Served;

beforeAll(async () => {
  server = await serve(dir, ["--module", module]);
});
afterAll(async () => {
  if (server.process.exitCode === null) await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("aegis serve --module", () => {
  it("deploys the module's workflow and runs it, functions and all", () => {
    const env = { AEGIS_SERVER: server.url };
    const listed = aegis(dir, ["workflows", "--format", "json"], env);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout).map((w: { name: string }) => w.name)).toEqual(["gated"]);

    const started = aegis(dir, ["run", "gated", "--param", "who=Bo", "--id", "s1"], env);
    expect(started.stderr).toBe("");
    expect(started.status).toBe(0);
    expect(started.stdout).toContain("waiting for a human at ASK");
    const signalled = aegis(dir, ["signal", "s1", "--approve"], env);
    expect(signalled.status).toBe(0);
    const status = aegis(dir, ["status", "s1", "--json"], env);
    const record = JSON.parse(status.stdout) as { status: string; output: string };
    expect(record.status).toBe("succeeded");
    // Both functions ran in the server's process.
    const [, first, second] = /^AGAIN, HELLO BO FROM (\d+) \/ (\d+)$/.exec(record.output) ?? [];
    expect(first).toBe(String(server.process.pid));
    expect(second).toBe(String(server.process.pid));
  });

  it("aegis deploy takes a module too, and says where its functions must run", () => {
    const env = { AEGIS_SERVER: server.url };
    const hello = aegis(dir, ["deploy", join(root, "examples/hello/hello.ts")], env);
    expect(hello.status).toBe(0);
    expect(hello.stdout).toMatch(/^deployed hello [0-9a-f]{12} \(version 1\.0\.0\)/);
    const gated = aegis(dir, ["deploy", module], env);
    expect(gated.status).toBe(0);
    expect(gated.stdout).toMatch(/^unchanged gated /);
    expect(gated.stderr).toContain(
      "run only where the module is loaded: start the server with --module",
    );
  });

  it("a module with errors is refused before the server starts", () => {
    const r = aegis(dir, [
      "serve",
      "--port",
      "0",
      "--module",
      join(root, "tests/builder/fixtures/greeting.ts"),
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("error[AEG402]");
    expect(r.stderr).toContain("not serving");
  });
});
