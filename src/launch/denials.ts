/**
 * What the launcher does with one USER_NOTIF notification: find out what the
 * program's exact policy says about the call and which line says it, decide
 * the answer, and describe it. Pure: the caller does the answering/killing.
 *
 * Answers:
 * - the policy's action is errno N: answer errno N, the program goes on
 *   (the policy itself lets it go on);
 * - a stopping action (kill, trap): kill the program, or with logFailures
 *   answer EPERM and let it go on, so one run lists everything it needs;
 * - the policy actually allows the call (a stage-A-only denial): let the
 *   kernel run it (this cannot happen with the filters the launcher builds,
 *   but an answer must always be given).
 */
import type { ArchTable } from '../arch/types.js';
import { syscallName } from '../arch/index.js';
import {
  describePolicyAction,
  errnoName,
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_USER_NOTIF,
} from '../bpf/index.js';
import { evaluatePolicy, type EvaluationLayout, type Evaluation } from '../policy/evaluate.js';
import type { PolicyIR } from '../policy/ir.js';
import { formatLocation, locationInPolicy, type SourceLocation } from '../policy/source-location.js';
import { decodeSyscallArguments, formatSyscallCall, type DecodedArgument } from './decode-arguments.js';

/** The syscall as the kernel handed it to the launcher (SECCOMP_IOCTL_NOTIF_RECV). */
export interface DeniedCall {
  /** Thread that made the call. */
  readonly pid: number;
  readonly nr: number;
  readonly arch: number;
  readonly instructionPointer: bigint;
  readonly args: readonly bigint[];
}

export type DenialResponse =
  | { readonly kind: 'kill' }
  /** name: the errno's constant name on the policy's arch, when it has one. */
  | { readonly kind: 'errno'; readonly errno: number; readonly name?: string }
  | { readonly kind: 'continue' };

export interface DenialReport {
  /** Thread id of the caller. */
  readonly pid: number;
  /** Syscall name from the arch table, or `syscall_<nr>` for a number it does not name. */
  readonly syscall: string;
  readonly number: number;
  readonly arch: string;
  readonly arguments: readonly DecodedArgument[];
  /** `openat(AT_FDCWD, 0x7ffd..., O_RDONLY|O_CLOEXEC, 0)` */
  readonly call: string;
  /** The policy's action in its own words: `kill-process`, `errno ENOENT (2)`, `trap`. */
  readonly action: string;
  /** The SECCOMP_RET_* value the exact policy returns. */
  readonly actionValue: number;
  /** Where the deciding text is, or null when it comes from the command line or the layout. */
  readonly location: SourceLocation | null;
  /** Why this action, in words (with file:line:column when there is one). */
  readonly reason: string;
  /** What the launcher did. */
  readonly response: DenialResponse;
  /** When the notification arrived (Date.now()). */
  readonly time: number;
}

export interface DenialContext {
  /** The program's exact policy, as parsed (not the launch union, not the notifying rewrite). */
  readonly policy: PolicyIR;
  readonly layout: EvaluationLayout;
  readonly logFailures: boolean;
  /** --default-action was given: a default without a location came from the command line. */
  readonly defaultFromCommandLine?: boolean;
}

const EPERM = 1;
const ENOSYS = 38;

function describeReason(evaluation: Evaluation, context: DenialContext): string {
  const inPolicy = locationInPolicy(evaluation.location);
  const fromOption = evaluation.location !== null && inPolicy === null;
  const where = inPolicy === null ? undefined : formatLocation(inPolicy);
  const defaultSource =
    where !== undefined
      ? `the @default at ${where}`
      : context.defaultFromCommandLine === true || fromOption
        ? 'from --default-action'
        : 'the kill action: no @default, no --default-action';
  const policyFile = context.policy.file;
  const decidedBy = evaluation.decidedBy;
  switch (decidedBy.kind) {
    case 'arch-mismatch':
      return `the calling arch is not ${context.policy.arch.name} (arch check of ${policyFile})`;
    case 'x32-syscall':
      return 'an x32 syscall number: the optimized layout kills it';
    case 'denylist-unlisted':
      return `not listed in the denylist policy ${policyFile}`;
    case 'unlisted':
      return `${policyFile}: the syscall is not listed, so the default action applies (${defaultSource})`;
    case 'default':
      return `${formatLocation(decidedBy.rule.filters[0].location)}: no filter of ${decidedBy.rule.name} matches, so the default action applies (${defaultSource})`;
    case 'filter': {
      const filterWhere = formatLocation(evaluation.location ?? decidedBy.filter.location);
      const clause = decidedBy.clauseIndex === undefined ? 'unconditional rule' : `clause ${decidedBy.clauseIndex + 1} of the rule holds`;
      return `${filterWhere}: ${decidedBy.rule.name}, ${clause}`;
    }
  }
}

/** Decides the answer to one notification and describes it. */
export function judgeDeniedCall(call: DeniedCall, context: DenialContext, now: number = Date.now()): DenialReport {
  const arch = context.policy.arch;
  const evaluation = evaluatePolicy(
    context.policy,
    { nr: call.nr >>> 0, arch: call.arch >>> 0, instructionPointer: call.instructionPointer, args: call.args },
    { layout: context.layout },
  );
  const name = call.arch >>> 0 === arch.auditArch >>> 0 ? syscallName(arch, call.nr) : undefined;
  const syscall = name ?? `syscall_${call.nr >>> 0}`;
  const decoded = decodeSyscallArguments(name, call.args, arch);
  const actionValue = evaluation.action >>> 0;
  const action = (actionValue & SECCOMP_RET_ACTION_FULL) >>> 0;
  const answerErrno = (errno: number): DenialResponse => {
    const name = errnoName(arch, errno);
    return name === undefined ? { kind: 'errno', errno } : { kind: 'errno', errno, name };
  };
  let response: DenialResponse;
  if (action === SECCOMP_RET_ERRNO) response = answerErrno(actionValue & SECCOMP_RET_DATA);
  else if (action === SECCOMP_RET_ALLOW || action === SECCOMP_RET_LOG) response = { kind: 'continue' };
  // A policy's own user-notify or trace has nobody to answer it: the kernel would give ENOSYS.
  else if (action === SECCOMP_RET_USER_NOTIF || action === SECCOMP_RET_TRACE) response = answerErrno(ENOSYS);
  else response = context.logFailures ? answerErrno(EPERM) : { kind: 'kill' };
  return {
    pid: call.pid,
    syscall,
    number: call.nr >>> 0,
    arch: arch.name,
    arguments: decoded,
    call: formatSyscallCall(syscall, decoded),
    action: describePolicyAction(actionValue, arch),
    actionValue,
    location: evaluation.location,
    reason: describeReason(evaluation, context),
    response,
    time: now,
  };
}

function describeResponse(response: DenialResponse): string {
  switch (response.kind) {
    case 'kill':
      return 'the program was killed';
    case 'continue':
      return 'let through';
    case 'errno':
      return `answered ${response.name ?? 'errno'} (${response.errno}), the program goes on`;
  }
}

/**
 * Two lines for stderr:
 *   jail-run: denied openat(AT_FDCWD, 0x7ffd..., O_RDONLY|O_CLOEXEC, 0) [x86_64 syscall 257, thread 1234]: kill-process
 *     policy.policy:3:1: openat, clause 1 of the rule holds; the program was killed
 */
export function formatDenialReport(report: DenialReport): string {
  return (
    `jail-run: denied ${report.call} [${report.arch} syscall ${report.number}, thread ${report.pid}]: ${report.action}\n` +
    `  ${report.reason}; ${describeResponse(report.response)}`
  );
}
