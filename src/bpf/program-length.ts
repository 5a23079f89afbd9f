import { BPF_MAXINSNS, type Instruction } from './instruction.js';

/**
 * A program the kernel would refuse because it has more instructions than
 * BPF_MAXINSNS. The reference compiler emits such programs without complaint
 * (policy-language.md Q9); jail-run refuses them at compile time.
 */
export class ProgramTooLongError extends Error {
  constructor(
    readonly length: number,
    readonly limit = BPF_MAXINSNS,
    /** The policy the program was compiled from, when known. */
    readonly file?: string,
    /**
     * True when `length` is a proven lower bound rather than a count: the
     * code generator gave up before building a program that could not fit.
     */
    readonly lowerBound = false,
  ) {
    super(
      `${file === undefined ? '' : `${file}: `}the compiled filter ${lowerBound ? 'would need at least' : 'has'} ${length} instructions, more than the kernel's limit of ${limit}; ` +
        'split the policy or simplify its argument filters',
    );
    this.name = 'ProgramTooLongError';
  }
}

/** Throws ProgramTooLongError when the program is over the kernel limit; returns it otherwise. */
export function checkProgramLength<T extends readonly Instruction[]>(program: T, limit = BPF_MAXINSNS): T {
  if (program.length > limit) throw new ProgramTooLongError(program.length, limit);
  return program;
}

/**
 * The fewest instructions a program can have when it contains a search over
 * one word that tells apart `segments` runs of values, adjacent runs
 * deciding differently. Between two adjacent runs the constant of some
 * comparison must fall, or both runs would take the same path; a JEQ c
 * cuts at two places (below and above c), a JGE or JGT at one, so the
 * search has at least ceil((segments - 1) / 2) conditional jumps. The word
 * must also be loaded and at least one return ends the program.
 */
export function minimumSearchLength(segments: number): number {
  return Math.ceil(Math.max(0, segments - 1) / 2) + 2;
}

/**
 * Called by the code generators before building a search whose cost grows
 * faster than linearly: a search that cannot fit fails at once, with the
 * proven lower bound, instead of after minutes and gigabytes of planning.
 */
export function refuseSearchThatCannotFit(segments: number, limit = BPF_MAXINSNS): void {
  const minimum = minimumSearchLength(segments);
  if (minimum > limit) throw new ProgramTooLongError(minimum, limit, undefined, true);
}
