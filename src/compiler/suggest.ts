// "Did you mean": the nearest of some names to a misspelt one.

/** Closest candidate by edit distance, for "did you mean" hints. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const list = [...candidates];
  // "maximum" → "max", "approve" → "approved": one is the start of the other.
  const prefix = list.find(
    (c) =>
      c.length >= 3 &&
      (lower.startsWith(c.toLowerCase()) || c.toLowerCase().startsWith(lower)) &&
      lower.length >= 3,
  );
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of list) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best ?? prefix;
}

/** Edits between two words; 99 when their lengths differ by more than 3 (never close). */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
