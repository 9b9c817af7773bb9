#!/usr/bin/env node
// A general agent for AgentOS workflows (agent::chat, or a function such as hand::run bound
// to it): answers with the first sentence it was given, and approves what it is asked to
// review (it says LGTM), so that review loops end. Its role is its first argument.
import { agent } from "./lib.js";

const role = process.argv[2] ?? "chat";

await agent(role, (prompt) => {
  const ask = prompt.trim().split(/(?<=[.:])\s/)[0] ?? "";
  const review = /\breview\b/i.test(ask);
  return `${review ? "LGTM. " : ""}${role} did: ${ask}`;
});
