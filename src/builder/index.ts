// Workflows written in TypeScript (`aegis-workflows/builder`): the parts of the language as
// functions, checked by TypeScript as they are written and by the compiler's checks when
// compiled, with findings at the program's lines.
//
//   import { workflow, input, agent, state, on, otherwise } from "aegis-workflows/builder";
//   export default workflow("hello", {
//     inputs: { who: input.string("Who to greet").default("world") },
//     agents: { greeter: agent.claude({ model: "claude-haiku-4-5" }) },
//     start: "GREET",
//     states: {
//       GREET: state.agent("greeter", {
//         prompt: "Say hello to {{input.who}}.",
//         on: [on("success", "DONE"), otherwise("FAILED")],
//       }),
//       DONE: state.final(),
//       FAILED: state.final("failure"),
//     },
//   });
export type { CallSite } from "./call-site.ts";
export {
  type AgentDeclaration,
  agent,
  type Duration,
  duration,
  env,
  InputDeclaration,
  type InputLike,
  input,
  JsonSchemaInput,
  type Judge,
  judge,
  type OptionValue,
  on,
  otherwise,
  type Reference,
  type StandardSchemaLike,
  secret,
  type Transition,
} from "./parts.ts";
export { type State, type StateKind, state } from "./states.ts";
export type { InputsRead } from "./typing.ts";
export { isWorkflow, Workflow, type WorkflowSpec, workflow } from "./workflow.ts";
