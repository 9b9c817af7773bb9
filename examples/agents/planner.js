#!/usr/bin/env node
// The planner: turns the task into numbered requirements, taking a reviewer's feedback
// into account when the prompt carries some.
import { after, agent } from "./lib.js";

await agent("planner", (prompt) => {
  const task = after(prompt, "Write requirements for:").replace(/ in \w+\.?$/, "") || "the task";
  const feedback = after(prompt, "The reviewer asked for changes:");
  const lines = [
    `Requirements for ${task}:`,
    "1. A function that takes the input text and returns the result.",
    "2. Empty input gives an empty result; no input is rejected with a clear error.",
    "3. Unit tests cover the normal case, the empty case and one edge case.",
  ];
  if (feedback) lines.push(`4. As the reviewer asked: ${feedback}`);
  return lines.join("\n");
});
