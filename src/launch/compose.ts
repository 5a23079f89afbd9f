/**
 * The two launch filters, built from IR (docs/launcher.md):
 *
 * - Stage A = the program's policy ∪ the launch prologue: installed before
 *   execve, it must let execve, the dynamic loader and libc start-up through
 *   even where the program's own policy forbids them (crosvm's block device
 *   answers openat with ENOENT and forbids PROT_EXEC mappings).
 * - Stage B = the program's exact policy (plus the preload's three
 *   post-install calls), installed by the preload library before main.
 *
 * The union is built on the IR, not by text: an `@include` of both files
 * would be rejected by the language whenever both name a syscall
 * unconditionally ("already had an unconditional action applied"), and where
 * it is accepted the filters are tried in source order, so the program's
 * `openat: return ENOENT` would decide before the prologue's allow. The union
 * here puts the prologue's allows first and keeps every rule of the program's
 * policy after them, so stage A allows exactly what either allows.
 *
 * Denials become SECCOMP_RET_USER_NOTIF (notifyOnDenial) so the launcher,
 * holding the listener, can report them with the exact syscall and
 * arguments; the report's "which line decides" comes from evaluating the
 * untouched IR, never the rewritten one.
 */
import { SECCOMP_RET_USER_NOTIF } from '../bpf/instruction.js';
import type { Action, Filter, PolicyIR, SyscallRule } from '../policy/ir.js';

/**
 * The union of a policy and a set of additional allows. Only the allowing
 * filters of `addition` count; its denials and default are ignored.
 */
export function unionWithAllows(policy: PolicyIR, addition: PolicyIR): PolicyIR {
  if (policy.arch !== addition.arch && policy.arch.auditArch !== addition.arch.auditArch) {
    throw new Error(`cannot combine a ${policy.arch.name} policy with ${addition.arch.name} launch rules`);
  }
  const additions = new Map<string, readonly Filter[]>();
  for (const rule of addition.rules) {
    const allows = allowingFilters(rule);
    if (allows.length > 0) additions.set(rule.name, allows);
  }
  const rules: SyscallRule[] = [];
  const seen = new Set<string>();
  for (const rule of policy.rules) {
    seen.add(rule.name);
    const allows = additions.get(rule.name);
    rules.push(allows === undefined ? rule : widenRule(policy, rule, allows));
  }
  for (const rule of addition.rules) {
    const allows = additions.get(rule.name);
    if (allows === undefined || seen.has(rule.name)) continue;
    seen.add(rule.name);
    // In denylist mode an unlisted syscall is already allowed.
    if (policy.denylist) continue;
    const fallback: Filter = { expression: null, action: policy.defaultAction, location: rule.filters[rule.filters.length - 1].location };
    rules.push(widenRule(policy, { ...rule, filters: [fallback], plainlyAllowed: false }, allows));
  }
  return { ...policy, rules };
}

/** The filters of a rule that allow: every filter when it is plainly allowed (allow elision). */
function allowingFilters(rule: SyscallRule): readonly Filter[] {
  if (rule.plainlyAllowed) {
    const last = rule.filters[rule.filters.length - 1];
    return [{ ...last, expression: null }];
  }
  return rule.filters.filter((filter) => filter.action.kind === 'allow');
}

/** The rule allows what it allowed, plus whatever `allows` allows (tried first). */
function widenRule(policy: PolicyIR, rule: SyscallRule, allows: readonly Filter[]): SyscallRule {
  const unconditional = allows.find((filter) => filter.expression === null);
  if (unconditional !== undefined) {
    // Outside denylist mode a final ALLOW makes the syscall plainly allowed (Q1) and codegen ignores the filters.
    return { ...rule, filters: [unconditional], plainlyAllowed: !policy.denylist };
  }
  if (rule.plainlyAllowed) return rule;
  return { ...rule, filters: [...allows, ...rule.filters] };
}

/** Which policy actions the launcher turns into notifications. */
export interface NotifyOptions {
  /**
   * Also notify for errno actions (the launcher then answers with the same
   * errno). Default: only the default action's errno is notified, so that
   * discovering what a program needs (`--default-action "return 1"`) shows
   * every unlisted call, while a rule's deliberate `return ENOENT` stays a
   * plain kernel answer with no round trip.
   */
  readonly explicitErrno?: boolean;
}

const STOPPING_KINDS = new Set(['kill-process', 'kill-thread', 'trap']);

/**
 * The same policy with every stopping action (kill, trap, and the default's
 * errno) of its syscall rules replaced by USER_NOTIF. Shared action objects stay shared (the
 * Minijail layout emits one RET per action object).
 */
export function notifyOnDenial(policy: PolicyIR, options: NotifyOptions = {}): PolicyIR {
  const replacements = new Map<Action, Action>();
  const replace = (action: Action): Action => {
    const notify =
      STOPPING_KINDS.has(action.kind) ||
      (action.kind === 'errno' && (options.explicitErrno === true || action === policy.defaultAction));
    if (!notify) return action;
    let replacement = replacements.get(action);
    if (replacement === undefined) {
      replacement = { kind: 'user-notify', value: SECCOMP_RET_USER_NOTIF, location: action.location };
      replacements.set(action, replacement);
    }
    return replacement;
  };
  const rules = policy.rules.map((rule) => ({
    ...rule,
    filters: rule.filters.map((filter) => ({ ...filter, action: replace(filter.action) })),
  }));
  // killAction stays: an arch mismatch (an i386 int 0x80 from an x86_64
  // program) is a kernel kill in both layouts, never a question for the launcher.
  return { ...policy, rules, defaultAction: replace(policy.defaultAction) };
}
