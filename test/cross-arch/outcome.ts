/**
 * What the probe (test/fixtures/seccomp_probe.c) prints for a case, as
 * predicted from a filter's action, and how to say it in a failure message.
 * Outcome codes: a (allowed: the observer's errno), r<value>, e<errno>,
 * t<si_code>,<si_errno>,<si_syscall>,<si_arch hex>, K (thread killed),
 * k<signal> (process killed), x<status>, E<stage>:<errno>, T.
 */
import {
  SECCOMP_RET_ACTION_FULL,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_DATA,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  describeReturnValue,
} from '../../src/bpf/index.js';

/** si_code of a seccomp SIGSYS (SYS_SECCOMP). */
const SYS_SECCOMP = 1;
/** SIGSYS on x86_64, aarch64 and arm alike. */
const SIGSYS = 31;
/** The kernel caps a filter's errno at MAX_ERRNO. */
const MAX_ERRNO = 4095;

/** The observer's own errno must not be one a filter can return. */
export function chooseObserverErrno(programsActions: Iterable<number>): number {
  const used = new Set<number>();
  for (const action of programsActions) {
    if (((action & SECCOMP_RET_ACTION_FULL) >>> 0) === SECCOMP_RET_ERRNO) used.add(Math.min(action & SECCOMP_RET_DATA, MAX_ERRNO));
  }
  for (let candidate = 4001; candidate < MAX_ERRNO; candidate++) if (!used.has(candidate)) return candidate;
  throw new Error('no free errno for the observer filter');
}

/**
 * The outcome the kernel must produce when the filter returns `action` for
 * call `nr` made by a process of arch `auditArch`, with the observer filter
 * underneath (which outranks ALLOW, LOG, TRACE and USER_NOTIF).
 */
export function expectedOutcome(action: number, nr: number, auditArch: number): string {
  const kind = (action & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = action & SECCOMP_RET_DATA;
  switch (kind) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
    case SECCOMP_RET_TRACE:
    case SECCOMP_RET_USER_NOTIF:
      return 'a';
    case SECCOMP_RET_ERRNO:
      return data === 0 ? 'r0' : `e${Math.min(data, MAX_ERRNO)}`;
    case SECCOMP_RET_TRAP:
      return `t${SYS_SECCOMP},${data},${nr | 0},${(auditArch >>> 0).toString(16)}`;
    case SECCOMP_RET_KILL_THREAD:
      return 'K';
    case SECCOMP_RET_KILL_PROCESS:
      return `k${SIGSYS}`;
    default:
      throw new Error(`action 0x${(action >>> 0).toString(16)} has no defined kernel outcome`);
  }
}

/** Human words for an outcome code, for failure messages. */
export function describeOutcome(outcome: string): string {
  const rest = outcome.slice(1);
  switch (outcome[0]) {
    case 'a':
      return 'allowed';
    case 'r':
      return `returned ${rest}`;
    case 'e':
      return `errno ${rest}`;
    case 't': {
      const [code, errno, nr, arch] = rest.split(',');
      return `SIGSYS trap (si_code ${code}, data ${errno}, syscall ${nr}, arch 0x${arch})`;
    }
    case 'K':
      return 'thread killed (KILL_THREAD)';
    case 'k':
      return `process killed by signal ${rest}`;
    case 'x':
      return `process exited with status ${rest}`;
    case 'E':
      return rest.startsWith('filter:') ? `filter refused by seccomp(2) (errno ${rest.slice(7)})` : `probe setup failed (${rest})`;
    case 'T':
      return 'no outcome in time';
    default:
      return `unknown outcome "${outcome}"`;
  }
}

/** "ALLOW", "ERRNO(1)", "TRAP", ...: the action's name as the disassembler prints it. */
export const actionName = (action: number): string => describeReturnValue(action >>> 0);
