// The checks TypeScript makes on a workflow as it is written: a transition to a state that
// does not exist, a state that uses an agent the workflow does not declare, a template that
// reads an input it does not declare, a start that is no state. Each turns the offending
// state's type into one it cannot have, so the editor underlines that state and says why.
// The compiler's checks (the same as for text) find the rest when the workflow is compiled.
import type { State } from "./states.ts";

type IdentChar =
  | "a"
  | "b"
  | "c"
  | "d"
  | "e"
  | "f"
  | "g"
  | "h"
  | "i"
  | "j"
  | "k"
  | "l"
  | "m"
  | "n"
  | "o"
  | "p"
  | "q"
  | "r"
  | "s"
  | "t"
  | "u"
  | "v"
  | "w"
  | "x"
  | "y"
  | "z"
  | "A"
  | "B"
  | "C"
  | "D"
  | "E"
  | "F"
  | "G"
  | "H"
  | "I"
  | "J"
  | "K"
  | "L"
  | "M"
  | "N"
  | "O"
  | "P"
  | "Q"
  | "R"
  | "S"
  | "T"
  | "U"
  | "V"
  | "W"
  | "X"
  | "Y"
  | "Z"
  | "0"
  | "1"
  | "2"
  | "3"
  | "4"
  | "5"
  | "6"
  | "7"
  | "8"
  | "9"
  | "_"
  | "-";

/** The name at the start of `S` (letters, digits, `_` and `-`). */
type LeadingName<S extends string, Name extends string = ""> = S extends `${infer C}${infer Rest}`
  ? C extends IdentChar
    ? LeadingName<Rest, `${Name}${C}`>
    : Name
  : Name;

/** The names after `input.` in one `{{ … }}` expression. */
type InputsIn<S extends string> = S extends `${string}input.${infer After}`
  ? LeadingName<After> | InputsIn<After>
  : never;

/** The input names a template reads: `{{input.NAME}}`, also inside helpers and blocks. */
export type InputsRead<S extends string> = string extends S
  ? never
  : S extends `${string}{{${infer Inside}}}${infer Rest}`
    ? InputsIn<Inside> | InputsRead<Rest>
    : never;

type Targets<S> = S extends State<infer T, string, string> ? T : never;
type Agents<S> = S extends State<string, infer A, string> ? A : never;
type Templates<S> = S extends State<string, string, infer P> ? P : never;

/**
 * What each state must be: itself when all it names exists, else the same state naming
 * only what exists (so the error says which name is wrong). An agent name is checked only
 * when the workflow declares agents; an input only when it declares inputs.
 */
export type CheckedStates<
  S,
  StateNames extends string,
  AgentNames extends string,
  InputNames extends string,
> = {
  [K in keyof S]: [Targets<S[K]>] extends [StateNames]
    ? [Agents<S[K]>] extends [AgentNames]
      ? [InputsRead<Templates<S[K]>>] extends [InputNames]
        ? S[K]
        : State<
            Targets<S[K]>,
            Agents<S[K]>,
            `reads an input that is not declared: ${Exclude<InputsRead<Templates<S[K]>>, InputNames>}`
          >
      : State<Targets<S[K]>, AgentNames, Templates<S[K]>>
    : State<StateNames, Agents<S[K]>, Templates<S[K]>>;
};
