#!/usr/bin/env node
// A reviewer: `reviewer.js ROLE` answers with a JSON verdict (score, confidence,
// reasoning), as the workflow's judges and its final reviewer expect.
import { agent } from "./lib.js";

const verdicts = {
  security: {
    score: 0.92,
    confidence: 0.9,
    reasoning: "Input is type-checked; no shell, file or network access.",
  },
  performance: {
    score: 0.9,
    confidence: 0.85,
    reasoning: "One pass over the text; linear time and memory.",
  },
  style: {
    score: 0.88,
    confidence: 0.9,
    reasoning: "Small, named, tested; one comment could be clearer.",
  },
  reviewer: {
    score: 0.9,
    confidence: 0.9,
    reasoning: "Meets the requirements, with tests for the edge cases.",
  },
};

const role = process.argv[2] ?? "reviewer";
await agent(
  role === "reviewer" ? "reviewer" : `${role}-reviewer`,
  () => verdicts[role] ?? verdicts.reviewer,
);
