import { BPF_MAXINSNS, type Instruction } from './instruction.js';

/** The kernel refuses filters longer than BPF_MAXINSNS; we refuse to emit them (Minijail does not, Q9). */
export class ProgramTooLongError extends Error {
  constructor(
    readonly length: number,
    readonly limit: number = BPF_MAXINSNS,
  ) {
    super(
      `the compiled filter has ${length} instructions, more than the kernel's limit of ${limit}; ` +
        'the kernel would refuse to load it (split the policy or simplify its argument filters)',
    );
    this.name = 'ProgramTooLongError';
  }
}

/** Throws ProgramTooLongError when the program cannot be loaded for its length alone. */
export function checkProgramLength(program: readonly Instruction[], limit: number = BPF_MAXINSNS): void {
  if (program.length > limit) throw new ProgramTooLongError(program.length, limit);
}
