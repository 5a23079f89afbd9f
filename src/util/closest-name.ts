/**
 * "Did you mean" hints: the candidate nearest to a misspelt name (syscall,
 * constant, arch, device or transport), when it is close enough to be a
 * likely typo. One implementation for every hint, so they all judge alike.
 */

/** How far a name may be from what was typed: short names get little slack, or every three-letter name would "match" every other. */
export const typoLimit = (length: number): number => (length <= 3 ? 1 : length < 8 ? 2 : 3);

export function closestName(requested: string, candidates: Iterable<string>, limit: number = typoLimit(requested.length)): string | undefined {
  const wanted = requested.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    // Length alone rules most candidates out (syscall and constant tables are large); skip the quadratic work for them.
    if (Math.abs(candidate.length - requested.length) > limit) continue;
    const distance = typoDistance(wanted, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  return best !== undefined && best.distance <= limit ? best.name : undefined;
}

export const didYouMean = (suggestion: string | undefined): string => (suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`);

/** Edit distance counting a swap of two neighbouring letters as one edit (the commonest typo). */
function typoDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const substitution = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + substitution);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
    }
  }
  return rows[a.length][b.length];
}
