// The grammar as Chevrotain records it, kept as data. Chevrotain learns a parser's grammar
// by running every rule once in a "recording" mode when the parser is built: a third of
// the cost of building it, paid by every process that compiles a file. The recording is a
// pure function of the rules in parser.ts, so `npm run grammar` writes it to
// grammar-recorded.ts, the parser is built from that, and tests/grammar/generated.test.ts
// fails when the file no longer matches what recording the rules gives. The follow sets
// Chevrotain's error recovery uses, computed from the recorded grammar when the parser is
// built, are kept there too.
import {
  Alternation,
  Alternative,
  NonTerminal,
  Option,
  Repetition,
  RepetitionMandatory,
  RepetitionMandatoryWithSeparator,
  RepetitionWithSeparator,
  Rule,
  Terminal,
  type TokenType,
} from "chevrotain";

/** A production as data: its kind, its own fields, tokens by name, and its children. */
export interface RecordedNode {
  kind: string;
  fields: Record<string, string | number | boolean>;
  /** Fields that hold a token type, by the token's name. */
  tokens?: Record<string, string>;
  definition?: RecordedNode[];
}

// By kind name, not constructor name: a minified bundle renames classes.
const kinds = [
  ["Rule", Rule],
  ["NonTerminal", NonTerminal],
  ["Alternative", Alternative],
  ["Alternation", Alternation],
  ["Option", Option],
  ["RepetitionMandatoryWithSeparator", RepetitionMandatoryWithSeparator],
  ["RepetitionMandatory", RepetitionMandatory],
  ["RepetitionWithSeparator", RepetitionWithSeparator],
  ["Repetition", Repetition],
  ["Terminal", Terminal],
] as const;

type Production = InstanceType<(typeof kinds)[number][1]>;

/** Fields that are not data: the children (recorded apart) and links resolved when built. */
const skipped = new Set(["_definition", "referencedRule"]);

export function recordNode(node: Production): RecordedNode {
  const kind = kinds.find(([, type]) => node instanceof type)?.[0];
  if (!kind) throw new Error(`not a grammar production: ${String(node)}`);
  const recorded: RecordedNode = { kind, fields: {} };
  for (const [key, value] of Object.entries(node)) {
    if (skipped.has(key) || value === undefined) continue;
    if (typeof value === "object" && value !== null && "tokenTypeIdx" in value) {
      recorded.tokens ??= {};
      recorded.tokens[key] = (value as TokenType).name;
    } else if (typeof value === "string" || typeof value === "number" || typeof value === "boolean")
      recorded.fields[key] = value;
    else throw new Error(`${kind}.${key}: a field that cannot be recorded`);
  }
  if (!(node instanceof Terminal) && !(node instanceof NonTerminal))
    recorded.definition = node.definition.map((child) => recordNode(child as Production));
  return recorded;
}

function tokenNamed(tokens: ReadonlyMap<string, TokenType>, name: string): TokenType {
  const token = tokens.get(name);
  if (!token)
    throw new Error(`grammar-recorded.ts names an unknown token ${name}: run npm run grammar`);
  return token;
}

const kindNamed = new Map<string, (typeof kinds)[number][1]>(kinds);

/**
 * Builds the productions back, with the token types of `tokens` (by name). The recording
 * holds every field a production's constructor would set (its defaults too), so each is
 * made from its class's prototype and given them directly: Chevrotain's constructors copy
 * their options through entries, filter and fromEntries, at every start.
 */
export function replayNode(node: RecordedNode, tokens: ReadonlyMap<string, TokenType>): Production {
  const type = kindNamed.get(node.kind);
  if (!type) throw new Error(`unknown grammar production kind ${node.kind}`);
  const production = Object.create(type.prototype) as Production & Record<string, unknown>;
  (production as unknown as { _definition: Production[] })._definition = node.definition
    ? node.definition.map((n) => replayNode(n, tokens))
    : [];
  Object.assign(production, node.fields);
  if (node.tokens)
    for (const key in node.tokens) production[key] = tokenNamed(tokens, node.tokens[key]!);
  return production;
}

/** The tokens that may follow each production (Chevrotain's `resyncFollows`), by key. */
export type FollowSets = Record<string, TokenType[]>;

/** Chevrotain's follow sets of a built parser (not in its typings). */
export const resyncFollowsOf = (parser: object): FollowSets =>
  (parser as { resyncFollows: FollowSets }).resyncFollows;

/** Follow sets as data: token names by key. */
export function recordFollows(follows: FollowSets): Record<string, string[]> {
  return Object.fromEntries(
    Object.entries(follows).map(([key, tokens]) => [key, tokens.map((token) => token.name)]),
  );
}

/** Builds follow sets back, with the token types of `tokens` (by name). */
export function replayFollows(
  recorded: Record<string, string[]>,
  tokens: ReadonlyMap<string, TokenType>,
): FollowSets {
  return Object.fromEntries(
    Object.entries(recorded).map(([key, names]) => [
      key,
      names.map((name) => tokenNamed(tokens, name)),
    ]),
  );
}

/**
 * Chevrotain's lookahead paths (`getLookaheadPaths`) of every decision of the grammar, by
 * `rule:production:occurrence`: for an alternation, each alternative's paths; for an
 * optional production, the paths into it. Computing them is most of what building a
 * decision's lookahead costs, paid on the first parse of every process.
 */
export type LookaheadPaths = Record<string, TokenType[][][]>;

/** The key of a decision: its rule, its production kind, and its occurrence in the rule. */
export const decisionKey = (rule: string, production: string, occurrence: number): string =>
  `${rule}:${production}:${occurrence}`;

/** Lookahead paths as data: token names. */
export function recordLookahead(paths: LookaheadPaths): Record<string, string[][][]> {
  return Object.fromEntries(
    Object.entries(paths).map(([key, alts]) => [
      key,
      alts.map((alt) => alt.map((path) => path.map((token) => token.name))),
    ]),
  );
}

/** Builds one decision's lookahead paths back, with the token types of `tokens` (by name). */
export function replayLookahead(
  recorded: string[][][],
  tokens: ReadonlyMap<string, TokenType>,
): TokenType[][][] {
  return recorded.map((alt) => alt.map((path) => path.map((name) => tokenNamed(tokens, name))));
}
