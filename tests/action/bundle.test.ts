// dist/ is committed: it must be what `npm run build:action` makes of the sources now.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it, onTestFinished } from "vitest";
import { buildAction } from "../../scripts/build-action.ts";
import { root } from "./run-action.ts";

it("dist/ is up to date (run `npm run build:action`)", async () => {
  const out = mkdtempSync(join(tmpdir(), "aegis-dist-"));
  onTestFinished(() => rmSync(out, { recursive: true, force: true }));
  await buildAction(out);
  // index.js, package.json, and the chunks index.js loads when it needs them.
  const files = (dir: string) =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => statSync(join(dir, f)).isFile())
      .sort();
  expect(files(join(root, "dist")), "dist/ holds other files: run npm run build:action").toEqual(
    files(out),
  );
  expect(files(out)).toContain("index.js");
  for (const file of files(out)) {
    const fresh = readFileSync(join(out, file));
    const committed = readFileSync(join(root, "dist", file));
    expect(fresh.equals(committed), `dist/${file} is out of date: run npm run build:action`).toBe(
      true,
    );
  }
});

it("action.yml runs the bundle on node24", () => {
  const text = readFileSync(join(root, "action.yml"), "utf8");
  expect(text).toMatch(/using: node24/);
  expect(text).toMatch(/main: dist\/index\.js/);
});

it("action.yml declares the inputs the action reads", async () => {
  const { parse } = await import("yaml");
  const action = parse(readFileSync(join(root, "action.yml"), "utf8"));
  expect(Object.keys(action.inputs).sort()).toEqual([
    "agents",
    "allow-apps",
    "allow-author",
    "approvers",
    "check-only",
    "env",
    "github-token",
    "inputs",
    "intent",
    "min-role",
    "state-secret",
    "sweep-timeouts",
    "workflow",
  ]);
  expect(Object.keys(action.outputs).sort()).toEqual(["output", "run-id", "status"]);
  expect(action.inputs["min-role"].default).toBe("write");
  expect(action.inputs["allow-author"].default).toBe("false");
});
