#!/usr/bin/env node
// The coder: answers with an implementation (a small function and its tests), fixing what
// the feedback in the prompt names, if anything.
import { after, agent } from "./lib.js";

await agent("coder", (prompt) => {
  const fix = after(prompt, "Fix this first:");
  return [
    "export function solve(text) {",
    '  if (typeof text !== "string") throw new TypeError("text must be a string");',
    "  return text.split(/\\s+/).filter(Boolean).length;",
    "}",
    "",
    "test('counts words', () => expect(solve('a b  c')).toBe(3));",
    "test('empty input', () => expect(solve('')).toBe(0));",
    fix ? `// fixed: ${fix}` : "// first version",
  ].join("\n");
});
