export interface Stat {
  median: number;
  min: number;
  max: number;
  samples: number;
  unit: string;
}

export function stat(values: number[], unit: string): Stat {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { median: m, min: s[0]!, max: s[s.length - 1]!, samples: s.length, unit };
}

/** Runs `fn` `warmup` times, then `samples` times; returns each sample's duration in ms. */
export async function sample(
  fn: () => Promise<unknown> | unknown,
  warmup: number,
  samples: number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}
