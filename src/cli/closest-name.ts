/**
 * The candidate nearest to a misspelt name, when it is close enough to be a
 * likely typo ("did you mean" hints for syscall and constant names).
 */
export function closestName(requested: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(requested.length / 3)));
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    // Length alone rules most candidates out; skip the quadratic work for them.
    if (Math.abs(candidate.length - requested.length) > limit) continue;
    const distance = editDistance(requested.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  return best !== undefined && best.distance <= limit ? best.name : undefined;
}

export const didYouMean = (suggestion: string | undefined): string => (suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`);

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
