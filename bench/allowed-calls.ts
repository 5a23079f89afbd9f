/**
 * The workload the compiler benchmark measures a filter on: the calls a
 * policy allows, each with a weight from its syscall's @frequency.
 *
 * A plainly allowed syscall is one call (arguments all zero). An
 * argument-filtered syscall is exercised once per clause that leads to
 * ALLOW, with arguments that satisfy that clause (clause-witness.ts); its
 * frequency is shared evenly between those calls, so every syscall weighs
 * its frequency in total whatever the shape of its filter. A clause whose
 * witness is caught earlier by another filter (and so is not allowed) is
 * skipped: the workload holds allowed calls only.
 */
import { makeSeccompData, type SeccompData } from '../src/bpf/seccomp-data.js';
import { SECCOMP_RET_ALLOW } from '../src/bpf/instruction.js';
import { clauseWitness } from '../src/policy/clause-witness.js';
import { decidingRules, evaluatePolicy } from '../src/policy/evaluate.js';
import type { PolicyIR, SyscallRule } from '../src/policy/ir.js';

export interface AllowedCall {
  readonly rule: SyscallRule;
  readonly data: SeccompData;
  readonly weight: number;
  /** True for a plainly allowed syscall (no argument filter). */
  readonly argumentFree: boolean;
}

export function allowedCalls(ir: PolicyIR): AllowedCall[] {
  const calls: AllowedCall[] = [];
  const arch = ir.arch.auditArch >>> 0;
  for (const [number, rule] of decidingRules(ir)) {
    if (ir.denylist) continue;
    if (rule.plainlyAllowed) {
      calls.push({ rule, data: makeSeccompData(number, arch), weight: rule.frequency, argumentFree: true });
      continue;
    }
    const witnesses: SeccompData[] = [];
    for (const filter of rule.filters) {
      if (filter.action.value >>> 0 !== SECCOMP_RET_ALLOW || filter.expression === null) continue;
      for (const clause of filter.expression) {
        const args = clauseWitness(clause, ir.arch.bits);
        if (args === undefined) continue;
        const data = makeSeccompData(number, arch, args);
        if (evaluatePolicy(ir, data).action === SECCOMP_RET_ALLOW) witnesses.push(data);
      }
    }
    for (const data of witnesses) calls.push({ rule, data, weight: rule.frequency / witnesses.length, argumentFree: false });
  }
  return calls;
}
