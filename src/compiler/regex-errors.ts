// Why a pattern of `matches` is not a regular expression, in words, and where in the
// pattern: JavaScript's messages ("Nothing to repeat") name neither the character nor
// its place.

export interface RegexProblem {
  /** What is wrong, in words. */
  message: string;
  /** What to write instead. */
  hint?: string;
  /** Index in the pattern of the character at fault, when it is known. */
  index?: number;
}

/** The problem with `pattern`, whose compilation threw `error`. */
export function explainRegexError(pattern: string, error: Error): RegexProblem {
  const reason = /: ([^:]+)$/.exec(error.message)?.[1]?.trim() ?? error.message;
  const scan = scanPattern(pattern);
  switch (reason) {
    case "Unterminated group":
      return {
        message: "a '(' is not closed",
        hint: "close it with ')', or write \\( to match a parenthesis",
        ...at(scan.openGroups.at(-1)),
      };
    case "Unmatched ')'":
      return {
        message: "a ')' closes no '('",
        hint: "remove it, or write \\) to match a parenthesis",
        ...at(scan.unmatchedClose),
      };
    case "Unterminated character class":
      return {
        message: "a '[' is not closed",
        hint: "close it with ']', or write \\[ to match a bracket",
        ...at(scan.openClass),
      };
    case "Nothing to repeat": {
      const index = scan.danglingQuantifier;
      const ch = index === undefined ? "*" : pattern[index]!;
      return {
        message: `'${ch}' repeats nothing`,
        hint: `write \\${ch} to match '${ch}' itself`,
        ...at(index),
      };
    }
    case "Lone quantifier brackets":
      return {
        message: "a '{' or '}' that is no {n,m} repetition",
        hint: "write \\{ or \\} to match a brace",
        ...at(firstOf(pattern, /[{}]/)),
      };
    case "\\ at end of pattern":
      return {
        message: "the pattern ends with a lone \\",
        hint: "write \\\\ to match a backslash",
        index: pattern.length - 1,
      };
    case "numbers out of order in {} quantifier":
      return {
        message: "a repetition {n,m} whose n is above m",
        ...at(firstOf(pattern, /\{\d+,\d+\}/)),
      };
    case "Range out of order in character class":
      return {
        message: "a range in [...] from a later character to an earlier one (such as [z-a])",
        hint: "put the lower character first, or write \\- to match a '-'",
      };
    case "Invalid group":
      return {
        message: "'(?' begins no group",
        hint: "groups are (…), (?:…), (?=…), (?!…), (?<=…), (?<!…) and (?<name>…); write \\? to match '?'",
        ...at(firstOf(pattern, /\(\?(?![:=!]|<[=!]|<[A-Za-z])/)),
      };
    default:
      return { message: reason.charAt(0).toLowerCase() + reason.slice(1) };
  }
}

function at(index: number | undefined): { index?: number } {
  return index === undefined ? {} : { index };
}

function firstOf(pattern: string, re: RegExp): number | undefined {
  const m = re.exec(pattern);
  return m ? m.index : undefined;
}

/** Groups left open, a class left open, a `)` too many, a quantifier after nothing. */
function scanPattern(pattern: string): {
  openGroups: number[];
  openClass?: number;
  unmatchedClose?: number;
  danglingQuantifier?: number;
} {
  const openGroups: number[] = [];
  let openClass: number | undefined;
  let unmatchedClose: number | undefined;
  let danglingQuantifier: number | undefined;
  // Whether what comes next has something before it to repeat.
  let repeatable = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\") {
      i++;
      repeatable = true;
      continue;
    }
    if (openClass !== undefined) {
      if (ch === "]") {
        openClass = undefined;
        repeatable = true;
      }
      continue;
    }
    if (ch === "[") {
      openClass = i;
      if (pattern[i + 1] === "]") i++;
    } else if (ch === "(") {
      openGroups.push(i);
      repeatable = false;
      // `(?:`, `(?=` …: the `?` is part of the group's opening.
      if (pattern[i + 1] === "?") i++;
      continue;
    } else if (ch === ")") {
      if (openGroups.length === 0) unmatchedClose ??= i;
      else openGroups.pop();
      repeatable = true;
      continue;
    } else if (ch === "|") {
      repeatable = false;
      continue;
    } else if (ch === "*" || ch === "+" || ch === "?") {
      if (!repeatable) danglingQuantifier ??= i;
      // A lazy `*?` / `+?` is one quantifier; after it, nothing to repeat.
      if (pattern[i + 1] === "?") i++;
      repeatable = false;
      continue;
    } else if (ch === "^") {
      repeatable = false;
      continue;
    }
    repeatable = true;
  }
  return {
    openGroups,
    ...(openClass !== undefined && { openClass }),
    ...(unmatchedClose !== undefined && { unmatchedClose }),
    ...(danglingQuantifier !== undefined && { danglingQuantifier }),
  };
}
