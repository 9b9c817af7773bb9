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

/** A word without the parentheses of the subexpressions it opens: `(lookup` → `lookup`. */
type Opened<W extends string> = W extends `(${infer Rest}` ? Opened<Rest> : W;

/** The input a word of an expression reads: `input.NAME…` (a path that begins with input). */
type InputOf<W extends string> =
  Opened<W> extends `input.${infer After}` ? LeadingName<After> : never;

/**
 * The input names a template reads: `{{input.NAME}}`, also inside helpers and blocks.
 * (Tail-recursive, as all of these: a prompt may hold hundreds of `{{ … }}`.)
 */
export type InputsRead<S extends string, Found extends string = never> = string extends S
  ? never
  : S extends `${string}{{${infer Inside}}}${infer Rest}`
    ? InputsRead<Rest, Found | InputOf<Words<Inside>>>
    : Found;

/** The words of an expression, split at spaces. */
type Words<S extends string, Found extends string = never> = S extends `${infer W} ${infer Rest}`
  ? Words<Rest, Found | W>
  : Found | S;

/** The fields of a state's result a template reads it by. */
type ResultField = "output" | "stdout" | "stderr" | "exit_code";

/** Names a template reads that are not states: the scopes' roots. */
type Root =
  | "input"
  | "context"
  | "state"
  | "secrets"
  | "env"
  | "item"
  | "index"
  | "intent"
  | "this"
  | "output"
  | "result";

/** `NAME` of a word `NAME.output…` (a name, not a root). */
type StateOf<W extends string> =
  Opened<W> extends `${infer Name}.${infer Field}`
    ? LeadingName<Field> extends ResultField
      ? LeadingName<Name> extends Name
        ? Name extends Root | ""
          ? never
          : Name
        : never
      : never
    : never;

/** The names of `{{#each … as |a b|}}` blocks: locals, not states. */
type Locals<
  S extends string,
  Found extends string = never,
> = S extends `${string}as |${infer Names}|${infer Rest}`
  ? Locals<Rest, Found | Words<Names>>
  : Found;

type StatesIn<
  S extends string,
  Found extends string = never,
> = S extends `${string}{{${infer Inside}}}${infer Rest}`
  ? StatesIn<Rest, Found | StateOf<Words<Inside>>>
  : Found;

/** The states a template reads the result of: `{{NAME.output}}`, `{{quote NAME.stdout}}` … */
export type StatesRead<S extends string> = string extends S
  ? never
  : Exclude<StatesIn<S>, Locals<S>>;

type Targets<S> = S extends State<infer T, string, string> ? T : never;
type Agents<S> = S extends State<string, infer A, string> ? A : never;
type Templates<S> = S extends State<string, string, infer P> ? P : never;

/**
 * What each state must be: itself when all it names exists, else the same state naming
 * only what exists (so the error says which name is wrong). Inputs are not checked when
 * the workflow takes undeclared ones too (`otherInputs`).
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
        ? [StatesRead<Templates<S[K]>>] extends [StateNames]
          ? S[K]
          : State<
              Targets<S[K]>,
              Agents<S[K]>,
              `reads a state that does not exist: ${Exclude<StatesRead<Templates<S[K]>>, StateNames>}`
            >
        : State<
            Targets<S[K]>,
            Agents<S[K]>,
            `reads an input that is not declared: ${Exclude<InputsRead<Templates<S[K]>>, InputNames>}`
          >
      : State<Targets<S[K]>, AgentNames, Templates<S[K]>>
    : State<StateNames, Agents<S[K]>, Templates<S[K]>>;
};

/** The workflow's output template, if it reads only states that exist (else what it reads). */
export type CheckedOutput<O extends string, StateNames extends string> = [StatesRead<O>] extends [
  StateNames,
]
  ? O
  : `reads a state that does not exist: ${Exclude<StatesRead<O>, StateNames>}`;
