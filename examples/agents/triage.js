#!/usr/bin/env node
// The support team's router (examples/support_team): reads the context at the end of its
// prompt and replies with the next specialist and what to ask them, or finishes with the
// answer to the customer. Rules stand in for a model: billing words go to billing,
// technical words to technical, anything else to general; when a specialist fails, general
// covers its part; once every part is answered, the answers become one reply.
import { agent, routerContext } from "./lib.js";

const topics = [
  { specialist: "billing", words: /refund|invoice|charged|bill|subscription|payment/i },
  { specialist: "technical", words: /crash|error|bug|log ?in|broken|integration/i },
];

await agent("triage", (prompt) => {
  const context = routerContext(prompt);
  const message = String(context.inputs.message ?? context.task);
  const parts = topics.filter((t) => t.words.test(message)).map((t) => t.specialist);
  if (parts.length === 0) parts.push("general");
  const calls = context.results;
  const answers = [];
  const unanswered = [];
  for (const part of parts) {
    const own = calls.filter((c) => c.agent === part);
    const done = own.find((c) => c.status === "succeeded");
    if (done) {
      answers.push(done.output);
      continue;
    }
    if (own.length === 0) {
      return { next: part, input: `The customer wrote: "${message}". Answer the ${part} part.` };
    }
    // The specialist failed: general covers its part, once.
    const cover = `The ${part} specialist is unavailable`;
    const covering = calls.filter((c) => c.agent === "general" && c.input.startsWith(cover));
    const covered = covering.find((c) => c.status === "succeeded");
    if (covered) answers.push(covered.output);
    else if (covering.length === 0) {
      const why = own.at(-1).error?.message ?? "it failed";
      return {
        next: "general",
        input: `${cover} (${why}). The customer wrote: "${message}". Answer the ${part} part as well as you can.`,
      };
    } else unanswered.push(part);
  }
  const sorry =
    unanswered.length > 0
      ? ` We could not answer your ${unanswered.join(" and ")} question yet; we will write again.`
      : "";
  return { finish: true, answer: `Hello! ${answers.join(" ")}${sorry}` };
});
