// support_team.aegis written with the TypeScript builder (Ajolopy's @Workflow
// "SupportTeam"): a coordinator routes each request to billing, technical or general and
// may hand it on, up to 10 coordination steps. The router is a model (triage); see
// support_team_routed.ts for the `route()` override, a function of this program.
// It compiles to the same graph as support_team.aegis (tests/builder/examples.test.ts).
//
//   aegis run examples/support_team/support_team.ts \
//     --agents examples/support_team/agents.local.json \
//     --param "message=I was charged twice for order #4392 and the app crashes"
import { agent, input, on, otherwise, state, workflow } from "aegis-workflows/builder";

export default workflow("support_team", {
  title: "Support team",
  version: "1.0.0",
  description: "Route support requests to the right specialist.",
  labels: { category: "support", source: "ajolopy" },
  inputs: {
    message: input.string("The customer's message, e.g. \"my refund hasn't arrived, order #4392\""),
  },
  agents: {
    // The coordinator: classifies the message and picks the next specialist.
    triage: agent.claude({ model: "claude-haiku-4-5", effort: "low", permission: "read" }),
    // Refunds, invoices, subscriptions.
    billing: agent.claude({ model: "claude-opus-4-7", permission: "read" }),
    // Bugs, errors, integration help.
    technical: agent.claude({ model: "claude-opus-4-7", permission: "read" }),
    // Everything else: accounts, product questions, feedback.
    general: agent.claude({ model: "claude-haiku-4-5", permission: "read" }),
  },
  limits: { agent_calls: 20, wall_time: "30m" },
  start: "SUPPORT",
  output: "{{SUPPORT.output}}",
  states: {
    SUPPORT: state.coordinate(["billing", "technical", "general"], "triage", {
      steps: 10,
      timeout: "20m",
      prompt: `
        A customer wrote to support:

        {{input.message}}

        Classify the request as billing (refunds, invoices, subscriptions),
        technical (bugs, errors, integration help) or general, and hand it to that
        specialist. If a specialist's answer shows the request belongs elsewhere,
        hand it on. Finish with one reply to the customer that answers everything
        they asked, in plain, friendly language.
      `,
      on: [on("success", "DONE"), otherwise("FAILED")],
    }),
    DONE: state.final(),
    FAILED: state.final("failure"),
  },
});
