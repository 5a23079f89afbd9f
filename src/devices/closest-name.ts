/**
 * The candidate nearest to a misspelt name, when it is close enough to be a
 * likely typo (used for "did you mean" hints on device and transport names).
 */
export function closestName(requested: string, candidates: Iterable<string>): string | undefined {
  const wanted = requested.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = typoDistance(wanted, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  // Short names get little slack, or every three-letter device would "match" every other.
  const limit = requested.length <= 3 ? 1 : requested.length < 8 ? 2 : 3;
  return best !== undefined && best.distance <= limit ? best.name : undefined;
}

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
