/**
 * Q17: two listed syscall names with the same number (arm's
 * arm_sync_file_range and sync_file_range2, both 341). The reference's
 * linear chain tests both and the first test reached wins; its BST crashes.
 * For the BST we keep, for each shared number, only the entry the linear
 * chain would let decide, so both strategies give every syscall the same
 * action, and the ranges become disjoint as the search tree needs.
 */
import { chainBuildOrder } from './linear-chain.js';
import { toRanges, type DispatchEntry } from './ranges.js';

export function resolveAliasedNumbers(entries: readonly DispatchEntry[]): DispatchEntry[] {
  const countByNumber = new Map<number, number>();
  for (const entry of entries) countByNumber.set(entry.number, (countByNumber.get(entry.number) ?? 0) + 1);
  if ([...countByNumber.values()].every((count) => count === 1)) return [...entries];

  // The chain is built in chainBuildOrder and tested in reverse: the last range built is tested first.
  const testOrder = chainBuildOrder(toRanges(entries)).reverse();
  const winners = new Set<DispatchEntry>();
  for (const [number, count] of countByNumber) {
    if (count === 1) continue;
    const deciding = testOrder.find((range) => range.start <= number && number < range.end)!;
    winners.add(deciding.entries.find((entry) => entry.number === number)!);
  }
  return entries.filter((entry) => countByNumber.get(entry.number) === 1 || winners.has(entry));
}
