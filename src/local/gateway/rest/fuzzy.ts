/**
 * Similarity in [0, 1] from character bigrams (Dice coefficient), standing in for the fuzzy set
 * PostgREST uses for its "Perhaps you meant …" hints.
 * @example similarity("trigger_sync", "trigger_syncs") // ≈ 0.95
 */
export function similarity(a: string, b: string): number {
  if (a === b) return 1;
  const grams = (s: string) => {
    const m = new Map<string, number>();
    for (let i = 0; i < s.length - 1; i++) {
      const g = s.slice(i, i + 2);
      m.set(g, (m.get(g) ?? 0) + 1);
    }
    return m;
  };
  const ga = grams(a.toLowerCase());
  const gb = grams(b.toLowerCase());
  let overlap = 0;
  let total = 0;
  for (const n of ga.values()) total += n;
  for (const n of gb.values()) total += n;
  for (const [g, n] of ga) overlap += Math.min(n, gb.get(g) ?? 0);
  return total === 0 ? 0 : (2 * overlap) / total;
}

/** The best candidate at or above `minScore`, else undefined. */
export function bestMatch(
  target: string,
  candidates: readonly string[],
  minScore: number,
): string | undefined {
  let best: string | undefined;
  let bestScore = minScore;
  for (const c of candidates) {
    const score = similarity(target, c);
    if (score >= bestScore) {
      best = c;
      bestScore = score;
    }
  }
  return best;
}
