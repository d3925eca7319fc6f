/**
 * "Did you mean": the known name closest to a misspelt one, so a typo in a descriptor key or a CLI argument is
 * reported with its fix instead of silently changing nothing.
 */

/** Levenshtein distance, with a transposition counted as one edit (Damerau, optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  if (Math.abs(m - n) > 8) return Math.abs(m - n);
  let prev2: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/**
 * The closest of `known` to `typed`: same letters in another case, or at most about one edit in three characters
 * (two at least). Undefined when nothing is close enough to be a likely typo.
 */
export function closestKey(typed: string, known: readonly string[]): string | undefined {
  const lower = typed.toLowerCase();
  const sameCase = known.find((k) => k.toLowerCase() === lower);
  if (sameCase) return sameCase;
  // a name cut short or run on: `allowExec` for `allowExecAuth`
  const prefix = lower.length >= 4 ? known.filter((k) => k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())) : [];
  if (prefix.length === 1) return prefix[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  const allowed = Math.max(2, Math.floor(typed.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}
