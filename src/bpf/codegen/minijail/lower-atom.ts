/**
 * One argument comparison as 32-bit tests (policy-language.md §7.4 b).
 * The operator picks a jump opcode and may swap the targets; on 64-bit
 * arches the high word is tested first, in the reference's exact shapes
 * (including its redundant high-word reload and fixed-outcome tests).
 */
import { argHighOffset, argLowOffset, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET } from '../../instruction.js';
import type { Atom, Operator } from '../../../policy/ir.js';
import { testNode, type CodeNode } from './nodes.js';

const MASK_64 = (1n << 64n) - 1n;
const MASK_32 = 0xffffffffn;

interface JumpChoice {
  readonly operation: number;
  /** The jump is taken when the atom is false: targets swapped. */
  readonly swapped: boolean;
  /** `in` tests the complement of its mask. */
  readonly complement: boolean;
}

const JUMP_FOR_OPERATOR: Readonly<Record<Operator, JumpChoice>> = {
  '==': { operation: BPF_JEQ, swapped: false, complement: false },
  '!=': { operation: BPF_JEQ, swapped: true, complement: false },
  '>': { operation: BPF_JGT, swapped: false, complement: false },
  '<=': { operation: BPF_JGT, swapped: true, complement: false },
  '>=': { operation: BPF_JGE, swapped: false, complement: false },
  '<': { operation: BPF_JGE, swapped: true, complement: false },
  '&': { operation: BPF_JSET, swapped: false, complement: false },
  // `arg in mask` holds when no bit outside mask is set: JSET ~mask, false branch.
  in: { operation: BPF_JSET, swapped: true, complement: true },
};

export function lowerAtom(atom: Atom, whenTrue: CodeNode, whenFalse: CodeNode, bits: 32 | 64): CodeNode {
  const choice = JUMP_FOR_OPERATOR[atom.operator];
  const [jt, jf] = choice.swapped ? [whenFalse, whenTrue] : [whenTrue, whenFalse];
  // The complement is taken on 64 bits even on 32-bit arches; only the low word is used there.
  const value = choice.complement ? ~atom.value & MASK_64 : atom.value & MASK_64;
  const low = Number(value & MASK_32);
  const high = Number((value >> 32n) & MASK_32);
  const lowOffset = argLowOffset(atom.argument);
  const highOffset = argHighOffset(atom.argument);
  const lowTest = testNode(lowOffset, choice.operation, low, jt, jf);
  if (bits === 32) return lowTest;

  switch (choice.operation) {
    case BPF_JGT:
    case BPF_JGE:
      // hi > v_hi decides at once; otherwise hi == v_hi and the low words decide.
      if (high === 0) return testNode(highOffset, BPF_JGT, 0, jt, lowTest);
      return testNode(highOffset, BPF_JGT, high, jt, testNode(highOffset, BPF_JEQ, high, lowTest, jf));
    case BPF_JSET:
      if (high === 0) return lowTest;
      return testNode(highOffset, BPF_JSET, high, jt, lowTest);
    default:
      return testNode(highOffset, BPF_JEQ, high, lowTest, jf);
  }
}
