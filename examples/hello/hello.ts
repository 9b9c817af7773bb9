// hello.aegis written with the TypeScript builder: one agent, one prompt, one input with a
// default. TypeScript checks the names as it is written (a transition to a state that does
// not exist, an input a template reads but nobody declares); `aegis compile --check` runs
// every check of the language on it, with findings at these lines.
//
//   aegis run examples/hello/hello.ts --param who=Alex --agent default=command:"echo hi"
import { agent, input, on, otherwise, state, workflow } from "aegis-workflows/builder";

export default workflow("hello", {
  title: "Say hello",
  version: "1.0.0",
  description: "Say hi via the default agent and return the reply.",
  labels: { category: "tutorial" },
  inputs: {
    who: input.string("Who to greet").default("world"),
  },
  // No provider: the runtime supplies its default agent.
  agents: { default: agent.supplied() },
  start: "GREET",
  output: "{{GREET.output}}",
  states: {
    GREET: state.agent("default", {
      timeout: "1m",
      prompt: "Say hello to {{input.who}} in one short sentence.",
      on: [on("success", "DONE"), otherwise("FAILED")],
    }),
    DONE: state.final(),
    FAILED: state.final("failure"),
  },
});
