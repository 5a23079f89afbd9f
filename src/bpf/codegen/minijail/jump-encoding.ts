import { BPF_JMP, BPF_K } from '../../opcodes.js';
import { instruction, OP_JA, type Instruction } from '../../instruction.js';

/** jt and jf are 8-bit: the longest conditional hop. */
const MAX_CONDITIONAL_DISTANCE = 0xff;

/**
 * A conditional jump whose targets lie `whenTrue` and `whenFalse`
 * instructions past the end of this sequence, in the reference's four
 * encodings (policy-language.md §7.5): direct when both fit in 8 bits;
 * otherwise the far side goes through an unconditional JA (32-bit offset),
 * the true side preferred for the direct hop; two JAs when neither fits.
 */
export function encodeConditionalJump(operation: number, value: number, whenTrue: number, whenFalse: number): Instruction[] {
  const code = BPF_JMP | operation | BPF_K;
  if (whenTrue <= MAX_CONDITIONAL_DISTANCE && whenFalse <= MAX_CONDITIONAL_DISTANCE) {
    return [instruction(code, value, whenTrue, whenFalse)];
  }
  if (whenTrue + 1 <= MAX_CONDITIONAL_DISTANCE) {
    return [instruction(code, value, whenTrue + 1, 0), instruction(OP_JA, whenFalse)];
  }
  if (whenFalse + 1 <= MAX_CONDITIONAL_DISTANCE) {
    return [instruction(code, value, 0, whenFalse + 1), instruction(OP_JA, whenTrue)];
  }
  return [instruction(code, value, 0, 1), instruction(OP_JA, whenTrue + 1), instruction(OP_JA, whenFalse)];
}
