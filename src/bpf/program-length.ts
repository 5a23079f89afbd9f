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
  ) {
    super(
      `${file === undefined ? '' : `${file}: `}the compiled filter has ${length} instructions, more than the kernel's limit of ${limit}; ` +
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
