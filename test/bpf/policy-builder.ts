/**
 * Hand-built PolicyIR for code generation tests, shaped as the parser makes
 * it: one Action object per action written, one shared default object.
 */
import type { ArchTable } from '../../src/arch/types.js';
import type { Action, ActionKind, Atom, Expression, Filter, Operator, PolicyIR, SyscallRule } from '../../src/policy/ir.js';
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
} from '../../src/bpf/instruction.js';

const here = { file: 'test.policy', line: 1, column: 1 };

/** Minijail's unit-test arch (policy-language.md §12): read=0, write=1, open=2, close=3, kill=62, syscall_4..255. */
export function unitTestArch(bits: 32 | 64 = 64): ArchTable {
  const syscalls = new Map<string, number>([['read', 0], ['write', 1], ['open', 2], ['close', 3]]);
  for (let number = 4; number < 256; number++) if (number !== 62) syscalls.set(`syscall_${number}`, number);
  syscalls.set('kill', 62);
  return {
    name: 'test',
    minijailName: 'test',
    auditArch: 0xdeadbeef,
    bits,
    syscalls,
    constants: new Map([['ENOSYS', 38n], ['O_RDONLY', 0n], ['PROT_WRITE', 2n], ['PROT_EXEC', 4n]]),
    syscallGroups: new Map(),
  };
}

const VALUES: Record<Exclude<ActionKind, 'errno'>, number> = {
  allow: SECCOMP_RET_ALLOW,
  'kill-process': SECCOMP_RET_KILL_PROCESS,
  'kill-thread': SECCOMP_RET_KILL_THREAD,
  trap: SECCOMP_RET_TRAP,
  trace: SECCOMP_RET_TRACE,
  log: SECCOMP_RET_LOG,
  'user-notify': SECCOMP_RET_USER_NOTIF,
};

/** A fresh action object (identity matters). */
export const action = (kind: ActionKind, errno = 0): Action => ({
  kind,
  value: kind === 'errno' ? (SECCOMP_RET_ERRNO | (errno & 0xffff)) >>> 0 : VALUES[kind],
  location: here,
});

export const atom = (argument: number, operator: Operator, value: bigint | number): Atom => ({
  argument,
  operator,
  value: BigInt(value),
  location: here,
});

/** `a || b || ...` where each clause is a list of atoms joined by `&&`. */
export const anyOf = (...clauses: Atom[][]): Expression => clauses;

export const filter = (expression: Expression | null, filterAction: Action): Filter => ({ expression, action: filterAction, location: here });

export interface RuleOptions {
  readonly frequency?: number;
}

export class PolicyBuilder {
  readonly rules: SyscallRule[] = [];
  readonly defaultAction: Action;
  readonly killAction: Action;

  constructor(
    readonly arch: ArchTable,
    options: { defaultAction?: Action; killAction?: Action; denylist?: boolean } = {},
  ) {
    this.killAction = options.killAction ?? action('kill-process');
    this.defaultAction = options.defaultAction ?? (options.denylist ? action('allow') : this.killAction);
    this.denylist = options.denylist ?? false;
  }

  readonly denylist: boolean;

  private number(name: string): number {
    const number = this.arch.syscalls.get(name);
    if (number === undefined) throw new Error(`unknown syscall ${name}`);
    return number;
  }

  /**
   * A syscall with these filters, completed as the parser does: the default
   * appended when all are conditional, and allow elision (outside denylist
   * mode) when the final action is ALLOW.
   */
  add(name: string, filters: Filter[], options: RuleOptions = {}): this {
    const complete = filters[filters.length - 1]?.expression === null ? filters : [...filters, filter(null, this.defaultAction)];
    const finalAction = complete[complete.length - 1].action;
    this.rules.push({
      name,
      number: this.number(name),
      frequency: options.frequency ?? 1,
      filters: complete,
      plainlyAllowed: !this.denylist && finalAction.value === SECCOMP_RET_ALLOW,
    });
    return this;
  }

  /** `name: allow` (or `name: 1`). */
  allow(name: string, options: RuleOptions = {}): this {
    return this.add(name, [filter(null, action('allow'))], options);
  }

  /** `name: EXPRESSION` (action allow). */
  allowIf(name: string, expression: Expression, options: RuleOptions = {}): this {
    return this.add(name, [filter(expression, action('allow'))], options);
  }

  build(): PolicyIR {
    return {
      arch: this.arch,
      rules: this.rules,
      defaultAction: this.defaultAction,
      killAction: this.killAction,
      denylist: this.denylist,
      file: 'test.policy',
    };
  }
}
