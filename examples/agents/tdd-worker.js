#!/usr/bin/env node
// The TDD worker of examples/tdd_step: a stand-in for a coding agent in one session. It keeps
// its conversation in .aegis-sessions/<$AEGIS_SESSION_ID>.json (as a coding CLI keeps its
// own), and it needs it: asked to make tests pass, it implements what the tests it wrote
// earlier in this conversation expect — a worker called afresh has written no tests, and
// says so (exit 1). Its first implementation forgets punctuation, so the tests stay red once
// and the fix, which it makes from what it remembers doing, turns them green.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { agent } from "./lib.js";

const TESTS = `import assert from "node:assert/strict";
import { test } from "node:test";
import { slugify } from "./slugify.js";

test("words are joined by dashes, in lower case", () => {
  assert.equal(slugify("Hello World"), "hello-world");
});
test("punctuation and extra spaces go", () => {
  assert.equal(slugify("  Ship it, now!  "), "ship-it-now");
});
`;
const FIRST = `export function slugify(text) {
  return text.trim().toLowerCase().split(/\\s+/).join("-");
}
`;
const FIXED = `export function slugify(text) {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(/\\s+/)
    .join("-");
}
`;

await agent("tdd-worker", (prompt) => {
  const id = process.env.AEGIS_SESSION_ID;
  if (!id) throw new Error("the TDD worker works in a session: declare `agent worker session`");
  const file = join(".aegis-sessions", `${id}.json`);
  const turns = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : [];
  const remember = (turn) => {
    mkdirSync(".aegis-sessions", { recursive: true });
    writeFileSync(file, JSON.stringify([...turns, turn], null, 2));
  };
  const wrote = turns.find((t) => t.did === "tests");

  const asked = /Write failing tests at (\S+) for: (.+?)\./.exec(prompt);
  if (asked) {
    const [, path] = asked;
    mkdirSync(dirname(path), { recursive: true });
    rmSync(join(dirname(path), "slugify.js"), { force: true });
    writeFileSync(path, TESTS);
    remember({ did: "tests", path });
    return `Wrote two failing tests for slugify() at ${path}.`;
  }
  const make = /Make (\S+) pass\./.exec(prompt);
  if (make) {
    if (!wrote || wrote.path !== make[1]) {
      process.stderr.write(
        `Error: I have written no tests at ${make[1]} in this conversation (turn ${process.env.AEGIS_SESSION_TURN})\n`,
      );
      process.exit(1);
    }
    writeFileSync(join(dirname(wrote.path), "slugify.js"), FIRST);
    remember({ did: "implement" });
    return "Implemented slugify() in slugify.js.";
  }
  if (/still red/.test(prompt) && wrote) {
    writeFileSync(join(dirname(wrote.path), "slugify.js"), FIXED);
    remember({ did: "fix" });
    return "Punctuation is now dropped before the words are joined.";
  }
  process.stderr.write("Error: I do not know what to do with that\n");
  process.exit(1);
});
