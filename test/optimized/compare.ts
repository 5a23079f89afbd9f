/** Runs both layouts of a policy on the same inputs and lists every disagreement. */
import { SECCOMP_RET_KILL_PROCESS, type Instruction } from '../../src/bpf/instruction.js';
import type { SeccompData } from '../../src/bpf/seccomp-data.js';
import { simulate } from '../../src/bpf/simulate.js';
import { evaluatePolicy, isX32SyscallNumber } from '../../src/policy/evaluate.js';
import type { PolicyIR } from '../../src/policy/ir.js';

export interface Comparison {
  readonly checked: number;
  /** Inputs that fell under the hardening (arch mismatch, x32). */
  readonly hardened: number;
  readonly problems: string[];
}

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;
const describe = (data: SeccompData): string =>
  `nr=${hex(data.nr)} arch=${hex(data.arch)} args=[${data.args.map((arg) => `0x${arg.toString(16)}`).join(',')}]`;

/**
 * For every input: the optimized program returns what the Minijail program
 * returns, except under the hardening, where it must return KILL_PROCESS;
 * and each program agrees with the reference evaluator for its layout.
 */
export function compareLayouts(
  ir: PolicyIR,
  minijail: readonly Instruction[],
  optimized: readonly Instruction[],
  inputs: readonly SeccompData[],
  maxProblems = 5,
): Comparison {
  const problems: string[] = [];
  let hardened = 0;
  for (const data of inputs) {
    if (problems.length >= maxProblems) break;
    const reference = simulate(minijail, data).action;
    const ours = simulate(optimized, data).action;
    const isHardened = data.arch >>> 0 !== ir.arch.auditArch >>> 0 || isX32SyscallNumber(ir.arch.auditArch, data.nr);
    if (isHardened) hardened++;
    const expected = isHardened ? SECCOMP_RET_KILL_PROCESS : reference;
    if (ours !== expected) problems.push(`${describe(data)}: optimized ${hex(ours)}, expected ${hex(expected)} (minijail ${hex(reference)})`);
    const oracleMinijail = evaluatePolicy(ir, data).action;
    if (oracleMinijail !== reference) problems.push(`${describe(data)}: minijail layout ${hex(reference)}, evaluator ${hex(oracleMinijail)}`);
    // evaluatePolicy gives the layouts different answers only under the hardening, so off it the oracle runs once.
    const oracleOptimized = isHardened ? evaluatePolicy(ir, data, { layout: 'optimized' }).action : oracleMinijail;
    if (oracleOptimized !== ours) problems.push(`${describe(data)}: optimized layout ${hex(ours)}, evaluator ${hex(oracleOptimized)}`);
  }
  return { checked: inputs.length, hardened, problems };
}
