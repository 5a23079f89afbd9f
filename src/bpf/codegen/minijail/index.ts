/**
 * The "minijail" layout: byte for byte what Minijail's
 * compile_seccomp_policy.py emits for the same policy, arch file and flags
 * (policy-language.md §7). One deliberate divergence: aliased syscall
 * numbers under the BST strategy compile (Q17, docs/divergences.md).
 */
import type { PolicyIR } from '../../../policy/ir.js';
import type { Instruction } from '../../instruction.js';
import { assembleMinijailProgram, type MinijailLayoutOptions } from './program.js';

export type { DispatchStrategy, MinijailLayoutOptions } from './program.js';

export function generateMinijailProgram(ir: PolicyIR, options: MinijailLayoutOptions = { strategy: 'bst' }): Instruction[] {
  return assembleMinijailProgram(ir, options);
}
