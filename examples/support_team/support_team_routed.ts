// The support team with a deterministic router: Ajolopy's `route()` override, written as a
// function of this program. The router is given the run's context (the customer's message
// and plan, the specialists, what each said so far) and names the next specialist; no
// model is asked to route, so routing is cheap, fast and reproducible. Routing once
// (`steps: { max: 1, exhausted: "finish" }`): the chosen specialist's answer is the answer.
//
// The function becomes `agent route_support = function("route_support")`: a run resumed in
// another process (`aegis signal`, `aegis resume`) finds it by that name in this module.
//
//   aegis run examples/support_team/support_team_routed.ts \
//     --agents examples/support_team/agents.routed.local.json \
//     --param "message=My invoice shows the wrong VAT number" --param plan=pro
import { agent, input, on, otherwise, state, workflow } from "aegis-workflows/builder";
import type { AgentInvocation } from "aegis-workflows/runtime";

const rules = [
  { specialist: "billing", words: /refund|invoice|charged|bill|subscription|payment|vat/i },
  { specialist: "technical", words: /crash|error|bug|log ?in|broken|integration/i },
] as const;

/** Keyword rules on the message; enterprise customers' technical questions go first. */
export function route_support(call: AgentInvocation): { next: string } {
  const message = String(call.context?.inputs.message ?? "");
  const matches = rules.filter((r) => r.words.test(message)).map((r) => r.specialist);
  if (call.context?.inputs.plan === "enterprise" && matches.includes("technical"))
    return { next: "technical" };
  return { next: matches[0] ?? "general" };
}

export default workflow("support_team_routed", {
  title: "Support team with rule-based routing",
  version: "1.0.0",
  description: "Route support requests to the right specialist with deterministic rules.",
  labels: { category: "support", source: "ajolopy" },
  inputs: {
    message: input.string("The customer's message"),
    plan: input
      .oneOf(["free", "pro", "enterprise"], "The customer's plan; the router may use it")
      .default("free"),
  },
  agents: {
    billing: agent.claude({ model: "claude-opus-4-7", permission: "read" }),
    technical: agent.claude({ model: "claude-opus-4-7", permission: "read" }),
    general: agent.claude({ model: "claude-haiku-4-5", permission: "read" }),
  },
  limits: { agent_calls: 2, wall_time: "10m" },
  start: "SUPPORT",
  output: "{{SUPPORT.output}}",
  states: {
    SUPPORT: state.coordinate(["billing", "technical", "general"], route_support, {
      steps: { max: 1, exhausted: "finish" },
      timeout: "10m",
      prompt: `
        Customer ({{input.plan}} plan) wrote:

        {{input.message}}

        Answer the customer in plain, friendly language. If you need information
        only they can give (an order number, an error message), ask for it.
      `,
      on: [on("success", "DONE"), otherwise("FAILED")],
    }),
    DONE: state.final(),
    FAILED: state.final("failure"),
  },
});
