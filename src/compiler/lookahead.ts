// The parser's LL(k) decisions. Chevrotain builds each decision's lookahead function from its
// lookahead paths (the token sequences that lead into each alternative), and computing those
// paths from the grammar is most of what the first parse of a process costs. The paths are
// a pure function of the grammar: the validating parser (the grammar tests, `npm run
// grammar`) computes them with Chevrotain and records them; the compiler's parser replays
// the recording (grammar-recorded.ts). Both build their functions here, the way Chevrotain's
// LLkLookaheadStrategy does (lookahead.js: the same paths give the same choices).
import {
  getLookaheadPaths,
  type ILookaheadStrategy,
  type IOrAlt,
  type IToken,
  LLkLookaheadStrategy,
  type TokenType,
} from "chevrotain";
import { decisionKey, type LookaheadPaths } from "./grammar-record.ts";

/** What a parser's lookahead functions read: Chevrotain's token lookahead. */
interface Reader {
  LA(howMuch: number): IToken;
}

type AlternationLookahead = (this: Reader, alts?: IOrAlt<unknown>[]) => number | undefined;
type OptionalLookahead = (this: Reader) => boolean;

/** Whether `token` is of `type`, or of a type in the category `type`. */
const matches = (token: IToken, type: TokenType): boolean =>
  token.tokenTypeIdx === type.tokenTypeIdx ||
  (type.isParent === true && type.categoryMatchesMap?.[token.tokenTypeIdx] === true);

/** Whether the next tokens are `path`. */
function follows(reader: Reader, path: readonly TokenType[]): boolean {
  for (let i = 0; i < path.length; i++) if (!matches(reader.LA(i + 1), path[i]!)) return false;
  return true;
}

/** The token type indices, categories' members included, that one-token paths start with. */
function firstTokens(paths: readonly TokenType[][]): number[] {
  return paths.flatMap(([type]) => [type!.tokenTypeIdx!, ...(type!.categoryMatches ?? [])]);
}

const oneToken = (paths: readonly TokenType[][]) => paths.every((path) => path.length === 1);

/** The alternative to take: the first whose gate is open and one of whose paths follows. */
export function alternationLookahead(
  alts: readonly TokenType[][][],
  hasPredicates: boolean,
): AlternationLookahead {
  if (!hasPredicates && alts.every(oneToken)) {
    // One token decides (the common case): a table from the next token's type.
    const choice = new Map<number, number>();
    alts.forEach((paths, alt) => {
      for (const type of firstTokens(paths)) if (!choice.has(type)) choice.set(type, alt);
    });
    return function (this: Reader) {
      return choice.get(this.LA(1).tokenTypeIdx);
    };
  }
  return function (this: Reader, orAlts) {
    for (let alt = 0; alt < alts.length; alt++) {
      const gate = hasPredicates ? orAlts?.[alt]?.GATE : undefined;
      if (gate && gate.call(this) === false) continue;
      if (alts[alt]!.some((path) => follows(this, path))) return alt;
    }
    return undefined;
  };
}

/** Whether to enter an optional production: one of the paths into it follows. */
export function optionalLookahead(paths: readonly TokenType[][]): OptionalLookahead {
  if (oneToken(paths)) {
    const first = new Set(firstTokens(paths));
    return function (this: Reader) {
      return first.has(this.LA(1).tokenTypeIdx);
    };
  }
  return function (this: Reader) {
    return paths.some((path) => follows(this, path));
  };
}

/** A lookahead function built the first time the parser reaches its decision. */
function once<F extends (this: Reader, ...args: never[]) => unknown>(build: () => F): F {
  let built: F | undefined;
  return function (this: Reader, ...args: Parameters<F>) {
    built ??= build();
    return built.apply(this, args);
  } as F;
}

/** The validating parser's strategy: Chevrotain's LL(k), recording each decision's paths. */
export function recordingLookahead(maxLookahead: number): ILookaheadStrategy & {
  paths: LookaheadPaths;
} {
  const llk = new LLkLookaheadStrategy({ maxLookahead });
  const paths: LookaheadPaths = {};
  return {
    paths,
    validate: (options) => llk.validate(options),
    initialize: (options) => llk.initialize?.(options),
    buildLookaheadForAlternation: ({ rule, prodOccurrence, maxLookahead, hasPredicates }) => {
      const alts = getLookaheadPaths({
        occurrence: prodOccurrence,
        rule,
        prodType: "Alternation",
        maxLookahead,
      });
      paths[decisionKey(rule.name, "Alternation", prodOccurrence)] = alts;
      return alternationLookahead(alts, hasPredicates) as never;
    },
    buildLookaheadForOptional: ({ rule, prodOccurrence, prodType, maxLookahead }) => {
      // For an optional production, the paths into it and those past it: the first decide.
      const [inside] = getLookaheadPaths({
        occurrence: prodOccurrence,
        rule,
        prodType,
        maxLookahead,
      });
      paths[decisionKey(rule.name, prodType, prodOccurrence)] = [inside!];
      return optionalLookahead(inside!) as never;
    },
  };
}

/**
 * The compiler's parser's strategy: each decision's function built from its recorded paths
 * when the parser first reaches it. `recorded` gives a decision's paths, or undefined when
 * the recording lacks it (grammar-recorded.ts is stale; tests/grammar/generated.test.ts fails).
 */
export function lookaheadFromRecording(
  recorded: (key: string) => TokenType[][][] | undefined,
): ILookaheadStrategy {
  const pathsOf = (key: string) => {
    const paths = recorded(key);
    if (!paths) throw new Error(`grammar-recorded.ts has no decision ${key}: run npm run grammar`);
    return paths;
  };
  return {
    validate: () => [],
    buildLookaheadForAlternation: ({ rule, prodOccurrence, hasPredicates }) =>
      once(() =>
        alternationLookahead(
          pathsOf(decisionKey(rule.name, "Alternation", prodOccurrence)),
          hasPredicates,
        ),
      ) as never,
    buildLookaheadForOptional: ({ rule, prodOccurrence, prodType }) =>
      once(() => optionalLookahead(pathsOf(decisionKey(rule.name, prodType, prodOccurrence))[0]!)),
  };
}
