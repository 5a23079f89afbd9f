/**
 * Generated stress policies for the code generators: many distinct values
 * tested on one argument, or many distinct syscall numbers. Values and
 * numbers are spaced two apart so no two merge into one range: each adds
 * two boundaries to the search tree, the worst case for its size.
 */
import { resolveArch } from '../src/arch/index.js';
import type { ArchTable } from '../src/arch/types.js';

export type LargePolicyKind = 'argument-values' | 'syscall-numbers' | 'syscall-numbers-x32';

export interface LargePolicy {
  readonly text: string;
  readonly arch: ArchTable;
}

/** `ioctl: arg1 == 1 || arg1 == 3 || ...` with `count` values, on x86_64. */
function argumentValuesPolicy(count: number): LargePolicy {
  const clauses = Array.from({ length: count }, (_, index) => `arg1 == ${2 * index + 1}`);
  return { text: `ioctl: ${clauses.join(' || ')}\n`, arch: resolveArch('x86_64') };
}

/**
 * `count` plainly allowed syscalls numbered 0, 2, 4, ... on a synthetic arch
 * (x86_64's audit value and constants). With `x32`, one more numbered
 * 0x40000001, inside the x32 range the optimized layout kills: its case
 * overlaps the hardening's, the rare path of the range tree.
 */
function syscallNumbersPolicy(count: number, x32: boolean): LargePolicy {
  const base = resolveArch('x86_64');
  const syscalls = new Map<string, number>();
  for (let index = 0; index < count; index++) syscalls.set(`synthetic_${index}`, 2 * index);
  if (x32) syscalls.set('synthetic_x32', 0x40000001);
  const arch: ArchTable = { ...base, name: 'synthetic', minijailName: 'synthetic', syscalls, syscallGroups: new Map() };
  const text = [...syscalls.keys()].map((name) => `${name}: 1\n`).join('');
  return { text, arch };
}

export function largePolicy(kind: LargePolicyKind, count: number): LargePolicy {
  return kind === 'argument-values' ? argumentValuesPolicy(count) : syscallNumbersPolicy(count, kind === 'syscall-numbers-x32');
}
