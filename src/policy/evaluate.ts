/**
 * The reference meaning of a policy: what a filter compiled from it must
 * return for a given seccomp_data, computed directly on the IR with no BPF in
 * between. Tests use it as the oracle for both code layouts, and
 * `jail-run check` uses it to say which line of which file decides a syscall.
 *
 * Semantics (policy-language.md §4.4, §4.8, §7.2):
 * - seccomp_data.arch must equal the arch's AUDIT_ARCH value, otherwise the
 *   kill action (Minijail layout) or KILL_PROCESS (optimized layout);
 * - in the optimized layout on x86_64, syscall numbers with the x32 bit set
 *   (0x40000000..0xfffffffe) get KILL_PROCESS; -1 (0xffffffff) is left alone
 *   because a tracer uses it to skip a syscall;
 * - a syscall the policy does not list gets the default action, or ALLOW in
 *   denylist mode (the reference's "reject" action);
 * - a listed syscall's filters are tried in order and the first one whose
 *   expression holds decides; the list always ends in an unconditional filter;
 * - allow elision (Q1): a plainly allowed syscall is allowed whatever its
 *   conditional filters say;
 * - comparisons are unsigned, on the whole 64-bit argument on 64-bit arches
 *   and on its low word on 32-bit arches.
 */
import type { SeccompData } from '../bpf/seccomp-data.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS } from '../bpf/instruction.js';
import { AUDIT_ARCH_X86_64, X32_SYSCALL_BIT } from '../bpf/audit-arch.js';
import { dispatchEntries } from '../bpf/codegen/minijail/program.js';
import { resolveAliasedNumbers } from '../bpf/codegen/minijail/aliased-numbers.js';
import type { Atom, Clause, Filter, PolicyIR, SyscallRule } from './ir.js';
import type { SourceLocation } from './source-location.js';

/** The syscall number a tracer sets to skip a syscall; never treated as x32. */
export const SKIPPED_SYSCALL_NUMBER = 0xffffffff;

export type EvaluationLayout = 'minijail' | 'optimized';

export interface EvaluateOptions {
  /**
   * Which layout's decision to give. They differ only in the hardening of the
   * optimized layout (arch mismatch and x32 numbers); default 'minijail'.
   */
  readonly layout?: EvaluationLayout;
}

export type DecidedBy =
  /** seccomp_data.arch is not the policy's arch. */
  | { readonly kind: 'arch-mismatch' }
  /** Optimized layout on x86_64 only: an x32 syscall number. */
  | { readonly kind: 'x32-syscall' }
  /** The syscall is not listed: the default action applies. */
  | { readonly kind: 'unlisted' }
  /** Denylist mode: the syscall is not listed, so it is allowed. */
  | { readonly kind: 'denylist-unlisted' }
  /** The syscall is listed but none of its filters matched: the appended default. */
  | { readonly kind: 'default'; readonly rule: SyscallRule; readonly allowElision: boolean }
  /**
   * One of the syscall's filters decided. clauseIndex is the first clause of
   * its expression that holds (absent for an unconditional filter).
   * allowElision: the syscall is plainly allowed (Q1), so this final allow
   * decides whatever the earlier filters would have said.
   */
  | {
      readonly kind: 'filter';
      readonly rule: SyscallRule;
      readonly filter: Filter;
      readonly filterIndex: number;
      readonly clauseIndex?: number;
      readonly allowElision: boolean;
    };

export interface Evaluation {
  /** The SECCOMP_RET_* value the filter returns. */
  readonly action: number;
  readonly decidedBy: DecidedBy;
  /**
   * Where the deciding text is: the filter's action if it was written, else
   * the filter's statement; the @default statement for the default; null when
   * the decision comes from the command line or from the layout itself.
   */
  readonly location: SourceLocation | null;
}

const WORD_MASK = 0xffffffffn;

/** The argument value as the compiled filter compares it. */
function argumentAsCompared(data: SeccompData, index: number, bits: 32 | 64): bigint {
  const value = BigInt.asUintN(64, data.args[index] ?? 0n);
  return bits === 64 ? value : value & WORD_MASK;
}

export function atomHolds(atom: Atom, data: SeccompData, bits: 32 | 64): boolean {
  const argument = argumentAsCompared(data, atom.argument, bits);
  const value = BigInt.asUintN(bits, atom.value);
  switch (atom.operator) {
    case '==':
      return argument === value;
    case '!=':
      return argument !== value;
    case '<':
      return argument < value;
    case '<=':
      return argument <= value;
    case '>':
      return argument > value;
    case '>=':
      return argument >= value;
    case '&':
      return (argument & value) !== 0n;
    case 'in':
      return (argument & ~value & ((1n << BigInt(bits)) - 1n)) === 0n;
  }
}

export const clauseHolds = (clause: Clause, data: SeccompData, bits: 32 | 64): boolean =>
  clause.every((atom) => atomHolds(atom, data, bits));

const decidingRuleCache = new WeakMap<PolicyIR, ReadonlyMap<number, SyscallRule>>();

/**
 * For every listed number, the rule that decides it. Two names may share a
 * number (arm's arm_sync_file_range and sync_file_range2): the reference's
 * linear chain tests both and the range it tests first wins (Q17); the
 * Minijail layout keeps that winner under both strategies
 * (docs/divergences.md), and so does the optimized layout.
 */
export function decidingRules(ir: PolicyIR): ReadonlyMap<number, SyscallRule> {
  const cached = decidingRuleCache.get(ir);
  if (cached !== undefined) return cached;
  const byNumber = new Map<number, SyscallRule>();
  let aliased = false;
  for (const rule of ir.rules) {
    if (byNumber.has(rule.number)) aliased = true;
    else byNumber.set(rule.number, rule);
  }
  if (aliased) {
    byNumber.clear();
    const entries = dispatchEntries(ir);
    const ruleOfEntry = new Map(entries.map((entry, index) => [entry, ir.rules[index]]));
    for (const entry of resolveAliasedNumbers(entries)) byNumber.set(entry.number, ruleOfEntry.get(entry)!);
  }
  decidingRuleCache.set(ir, byNumber);
  return byNumber;
}

/** The rule the filter dispatches a syscall number to, if the number is listed. */
export const findRule = (ir: PolicyIR, nr: number): SyscallRule | undefined => decidingRules(ir).get(nr >>> 0);

/** True when the optimized layout's x32 hardening applies to this number. */
export const isX32SyscallNumber = (auditArch: number, nr: number): boolean =>
  auditArch >>> 0 === AUDIT_ARCH_X86_64 && nr >>> 0 >= X32_SYSCALL_BIT && nr >>> 0 !== SKIPPED_SYSCALL_NUMBER;

export function evaluatePolicy(ir: PolicyIR, data: SeccompData, options: EvaluateOptions = {}): Evaluation {
  const hardened = (options.layout ?? 'minijail') === 'optimized';
  if (data.arch >>> 0 !== ir.arch.auditArch >>> 0) {
    return hardened
      ? { action: SECCOMP_RET_KILL_PROCESS, decidedBy: { kind: 'arch-mismatch' }, location: null }
      : { action: ir.killAction.value >>> 0, decidedBy: { kind: 'arch-mismatch' }, location: ir.killAction.location };
  }
  if (hardened && isX32SyscallNumber(ir.arch.auditArch, data.nr)) {
    return { action: SECCOMP_RET_KILL_PROCESS, decidedBy: { kind: 'x32-syscall' }, location: null };
  }
  const rule = findRule(ir, data.nr);
  if (rule === undefined) {
    if (ir.denylist) return { action: SECCOMP_RET_ALLOW, decidedBy: { kind: 'denylist-unlisted' }, location: null };
    return { action: ir.defaultAction.value >>> 0, decidedBy: { kind: 'unlisted' }, location: ir.defaultAction.location };
  }
  return evaluateRule(ir, rule, data);
}

/** The decision of one listed syscall's filters (arch and number already dispatched). */
export function evaluateRule(ir: PolicyIR, rule: SyscallRule, data: SeccompData): Evaluation {
  const last = rule.filters.length - 1;
  if (rule.plainlyAllowed) return decideByFilter(ir, rule, last, undefined, true);
  for (let filterIndex = 0; filterIndex < rule.filters.length; filterIndex++) {
    const filter = rule.filters[filterIndex];
    if (filter.expression === null) return decideByFilter(ir, rule, filterIndex, undefined, false);
    const clauseIndex = filter.expression.findIndex((clause) => clauseHolds(clause, data, ir.arch.bits));
    if (clauseIndex >= 0) return decideByFilter(ir, rule, filterIndex, clauseIndex, false);
  }
  // The IR promises a final unconditional filter; a rule without one falls to the default.
  return {
    action: ir.defaultAction.value >>> 0,
    decidedBy: { kind: 'default', rule, allowElision: false },
    location: ir.defaultAction.location,
  };
}

function decideByFilter(
  ir: PolicyIR,
  rule: SyscallRule,
  filterIndex: number,
  clauseIndex: number | undefined,
  allowElision: boolean,
): Evaluation {
  const filter = rule.filters[filterIndex];
  const action = allowElision ? SECCOMP_RET_ALLOW : filter.action.value >>> 0;
  // The appended default is the IR's shared default Action object (ir.ts contract).
  if (filter.expression === null && filter.action === ir.defaultAction) {
    return { action, decidedBy: { kind: 'default', rule, allowElision }, location: ir.defaultAction.location };
  }
  const decidedBy: DecidedBy =
    clauseIndex === undefined
      ? { kind: 'filter', rule, filter, filterIndex, allowElision }
      : { kind: 'filter', rule, filter, filterIndex, clauseIndex, allowElision };
  return { action, decidedBy, location: filter.action.location ?? filter.location };
}
