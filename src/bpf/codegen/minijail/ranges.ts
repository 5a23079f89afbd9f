/**
 * Syscall-number dispatch input (policy-language.md §7.3): one entry per
 * listed syscall, merged into ranges of consecutive numbers with equal blocks.
 */
import type { Instruction } from '../../instruction.js';
import type { BlockNode } from './nodes.js';

export interface DispatchEntry {
  readonly name: string;
  readonly number: number;
  readonly frequency: number;
  /** The syscall's filter block; null when it is plainly allowed. */
  readonly block: BlockNode | null;
}

export interface SyscallRange {
  /** First number in the range. */
  readonly start: number;
  /** One past the last number. */
  readonly end: number;
  readonly frequency: number;
  /** The first entry's block: ranges only merge entries with equal blocks. */
  readonly block: BlockNode | null;
  readonly entries: readonly DispatchEntry[];
}

const sameInstructions = (a: readonly Instruction[], b: readonly Instruction[]): boolean =>
  a.length === b.length && a.every((item, index) => item.code === b[index].code && item.jt === b[index].jt && item.jf === b[index].jf && item.k === b[index].k);

/** Blocks compare by their instructions; "plainly allowed" equals only itself. */
export const sameBlock = (a: BlockNode | null, b: BlockNode | null): boolean =>
  a === null || b === null ? a === b : sameInstructions(a.instructions, b.instructions);

/**
 * Sorted by number (stable, so aliased numbers keep policy order), then cut
 * into maximal runs of consecutive numbers with equal blocks. Two entries
 * with the same number never merge: consecutive means +1.
 */
export function toRanges(entries: readonly DispatchEntry[]): SyscallRange[] {
  const sorted = [...entries].sort((a, b) => a.number - b.number);
  const ranges: SyscallRange[] = [];
  let first = 0;
  while (first < sorted.length) {
    let last = first + 1;
    while (last < sorted.length && sameBlock(sorted[last - 1].block, sorted[last].block) && sorted[last - 1].number + 1 === sorted[last].number) {
      last++;
    }
    const run = sorted.slice(first, last);
    ranges.push({
      start: run[0].number,
      end: run[run.length - 1].number + 1,
      frequency: run.reduce((sum, entry) => sum + entry.frequency, 0),
      block: run[0].block,
      entries: run,
    });
    first = last;
  }
  return ranges;
}
