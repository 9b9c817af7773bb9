// `foreach ITEM in LIST agent AGENT`: LIST is evaluated against the run's scope; the agent
// is called once per item, at most `concurrency` at a time, its prompt rendered with
// {{ITEM}} and {{index}} (from 0). `results` are the answers in the list's order (null
// for an item whose call failed), `output` the answers joined by blank lines, `count` the
// number of items and `failed` how many calls failed. Any failure fails the state, unless
// the state's error mode is `skip`: then failed items are skipped (counted in `failed`)
// and the state succeeds.
import { evaluate } from "../evaluate.ts";
import { agentOf } from "./agent.ts";
import { type AgentCall, type Attempt, type Outcome, textOf } from "./attempt.ts";
import { callOptions } from "./options.ts";
import { intentOf, promptOf } from "./prompt.ts";

export async function executeForeach(a: Attempt): Promise<Outcome> {
  const node = a.state;
  const spec = node.foreach;
  const agent = agentOf(a);
  if (!spec || !agent)
    return {
      status: "failed",
      error: { code: "foreach-invalid", message: `state '${node.name}' has no list or no agent` },
    };
  const over = evaluate(spec.over, a.scope());
  if (!Array.isArray(over)) {
    const shown = over === undefined ? "nothing" : `${typeof over} ${textOf(over).slice(0, 80)}`;
    return {
      status: "failed",
      error: {
        code: "foreach-not-list",
        message: `the list of '${node.name}' is not a list (it is ${shown})`,
      },
    };
  }
  const items: unknown[] = over;
  const intent = intentOf(a);
  const calls: AgentCall[] = new Array(items.length);
  const finished = a.fanOut(items.length, items.length === 1 ? "item" : "items");
  let next = 0;
  const worker = async () => {
    while (next < items.length && !a.signal.aborted) {
      const index = next++;
      const locals = { item: { name: spec.item, value: items[index] }, index };
      calls[index] = await a.callAgent({
        agent,
        prompt: promptOf(a, intent, locals, intent !== undefined ? { intent } : {}),
        ...(intent !== undefined && { intent }),
        key: `item-${index}`,
        ...callOptions(a, locals),
      });
      finished(calls[index]!.status === "succeeded");
    }
  };
  const concurrency = Math.max(1, Math.min(spec.concurrency || 4, items.length));
  await Promise.all(Array.from({ length: concurrency }, worker));

  const results = items.map((_, i) =>
    calls[i]?.status === "succeeded" ? calls[i]!.reply!.output : null,
  );
  const failures = items.map((_, i) => i).filter((i) => calls[i]?.status !== "succeeded");
  const output = results
    .filter((_, i) => calls[i]?.status === "succeeded")
    .map(textOf)
    .join("\n\n");
  const fields: Outcome = {
    status: "succeeded",
    output,
    results,
    count: items.length,
    failed: failures.length,
  };
  if (a.signal.aborted) return a.interrupted(fields);
  if (failures.length === 0 || node.errorMode === "skip") return fields;
  const first = calls[failures[0]!];
  const allTimedOut = failures.every((i) => calls[i]?.status === "timed_out");
  return {
    ...fields,
    status: allTimedOut ? "timed_out" : "failed",
    error: {
      code: first?.error?.code ?? "agent-failed",
      message: `${failures.length} of ${items.length} items failed; item ${failures[0]}: ${first?.error?.message ?? "not run"}`,
    },
  };
}
