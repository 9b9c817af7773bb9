// What the example agents share: read the prompt (standard input), note the call when
// $AEGIS_AGENT_LOG names a file (one JSON line per invocation, with the idempotency key
// aegis passes in $AEGIS_IDEMPOTENCY_KEY, the intent in $AEGIS_INTENT, the options in
// $AEGIS_OPTIONS and the prompt), take a moment as a real agent would
// ($AEGIS_AGENT_DELAY_MS, default 300), then print the answer.
import { appendFileSync } from "node:fs";

async function readStdin() {
  if (process.stdin.isTTY) return "";
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs an agent: `answer(prompt)` returns the text (or an object, printed as JSON). */
export async function agent(name, answer) {
  const prompt = await readStdin();
  const log = process.env.AEGIS_AGENT_LOG;
  if (log) {
    const entry = {
      agent: name,
      key: process.env.AEGIS_IDEMPOTENCY_KEY ?? "",
      state: process.env.AEGIS_STATE ?? "",
      ...(process.env.AEGIS_INTENT !== undefined && { intent: process.env.AEGIS_INTENT }),
      // The state's options: an AgentOS step's config.
      ...(process.env.AEGIS_OPTIONS !== undefined && {
        options: JSON.parse(process.env.AEGIS_OPTIONS),
      }),
      prompt,
      pid: process.pid,
      at: new Date().toISOString(),
    };
    appendFileSync(log, `${JSON.stringify(entry)}\n`);
  }
  const delay = Number(process.env.AEGIS_AGENT_DELAY_MS ?? 300);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const reply = await answer(prompt);
  process.stdout.write(typeof reply === "string" ? `${reply}\n` : `${JSON.stringify(reply)}\n`);
}

/** The text after `label` in the prompt, up to the end of its line. */
export function after(prompt, label) {
  const at = prompt.indexOf(label);
  if (at < 0) return "";
  return prompt
    .slice(at + label.length)
    .split("\n")[0]
    .trim();
}

/**
 * What aegis gives a coordinator's router: the context, the ```json block that ends its
 * prompt (task, inputs, specialists, results, step_count, max_steps, feedback).
 */
export function routerContext(prompt) {
  const open = prompt.lastIndexOf("```json\n");
  const close = prompt.lastIndexOf("\n```");
  if (open < 0 || close < open) throw new Error("the prompt holds no ```json context block");
  return JSON.parse(prompt.slice(open + "```json\n".length, close));
}
