/**
 * Actions and their SECCOMP_RET_* values (policy-language.md §4.3, §4.6).
 *
 * Identity matters (src/policy/ir.ts): every action written in the policy is
 * a new object, except `kill`, which is the one shared kill action, exactly
 * as the reference returns its single kill-action object for it.
 */
import type { ArchTable } from '../arch/types.js';
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
} from '../bpf/instruction.js';
import type { Action, ActionKind } from './ir.js';
import type { Token } from './lexer.js';
import type { SourceLocation } from './source-location.js';
import type { ActionSyntax } from './syntax.js';
import { singleConstantValue } from './values.js';

const RETURN_VALUES: Readonly<Record<Exclude<ActionKind, 'errno'>, number>> = {
  allow: SECCOMP_RET_ALLOW,
  'kill-process': SECCOMP_RET_KILL_PROCESS,
  'kill-thread': SECCOMP_RET_KILL_THREAD,
  trap: SECCOMP_RET_TRAP,
  trace: SECCOMP_RET_TRACE,
  log: SECCOMP_RET_LOG,
  'user-notify': SECCOMP_RET_USER_NOTIF,
};

/** A new action object. */
export function makeAction(kind: Exclude<ActionKind, 'errno'>, location: SourceLocation | null): Action {
  return { kind, value: RETURN_VALUES[kind], location };
}

/** ERRNO with the value masked to its 16 data bits, without warning (Q12). */
export function makeErrnoAction(errno: bigint, location: SourceLocation | null): Action {
  return { kind: 'errno', value: (SECCOMP_RET_ERRNO | Number(errno & BigInt(SECCOMP_RET_DATA))) >>> 0, location };
}

export const tokenLocation = (token: Token): SourceLocation => ({ file: token.file, line: token.line, column: token.column });

export interface KillActionOptions {
  readonly useRetLog?: boolean;
  readonly denylist?: boolean;
  readonly useKillProcess?: boolean;
}

/**
 * The kill action (§4.3): what `kill` means in the policy and what an arch
 * mismatch returns. Returns null when --denylist needs EPERM and the arch
 * has none (the caller reports it).
 */
export function killActionFor(options: KillActionOptions, arch: ArchTable): Action | null {
  if (options.useRetLog) return makeAction('log', null);
  if (options.denylist) {
    const eperm = arch.constants.get('EPERM');
    return eperm === undefined ? null : makeErrnoAction(eperm & ((1n << BigInt(arch.bits)) - 1n), null);
  }
  return makeAction(options.useKillProcess ? 'kill-process' : 'kill-thread', null);
}

export interface ActionContext {
  readonly arch: ArchTable;
  /** The object `kill` stands for. */
  readonly killAction: Action;
  /** --use-ret-log: every `return X` is log. */
  readonly retLog: boolean;
}

/** The action an action keyword names (allow, kill, trap, ...). */
function keywordAction(token: Token, context: ActionContext): Action {
  if (token.text === 'kill') return context.killAction;
  return makeAction(token.text as Exclude<ActionKind, 'errno'>, tokenLocation(token));
}

/**
 * A parsed action as an Action object; null syntax is the implied allow of
 * an expression written without `; action`.
 */
export function resolveAction(syntax: ActionSyntax | null, context: ActionContext): Action {
  if (syntax === null) return makeAction('allow', null);
  switch (syntax.kind) {
    case 'keyword':
      return keywordAction(syntax.token, context);
    case 'numeric-allow':
      return makeAction('allow', tokenLocation(syntax.token));
    case 'return':
      if (context.retLog) return makeAction('log', tokenLocation(syntax.keyword));
      return makeErrnoAction(singleConstantValue(syntax.value, context.arch), tokenLocation(syntax.keyword));
  }
}

/** `@default ACTION` (already checked to be kill-process, kill-thread, kill, trap or user-notify). */
export function defaultStatementAction(token: Token, context: ActionContext): Action {
  return keywordAction(token, context);
}
