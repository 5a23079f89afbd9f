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
} from './instruction.js';
import type { ArchTable } from '../arch/types.js';

const ACTION_NAMES: ReadonlyMap<number, string> = new Map([
  [SECCOMP_RET_KILL_PROCESS, 'KILL_PROCESS'],
  [SECCOMP_RET_KILL_THREAD, 'KILL_THREAD'],
  [SECCOMP_RET_TRAP, 'TRAP'],
  [SECCOMP_RET_ERRNO, 'ERRNO'],
  [SECCOMP_RET_USER_NOTIF, 'USER_NOTIF'],
  [SECCOMP_RET_TRACE, 'TRACE'],
  [SECCOMP_RET_LOG, 'LOG'],
  [SECCOMP_RET_ALLOW, 'ALLOW'],
]);

/** The action part of a filter's return value (SECCOMP_RET_ACTION_FULL), by name; undefined when the kernel knows none. */
export const seccompActionName = (value: number): string | undefined =>
  ACTION_NAMES.get((value & SECCOMP_RET_ACTION_FULL) >>> 0);

/**
 * A return value as people read it: `ALLOW`, `KILL_THREAD`, `ERRNO(1)`,
 * `ERRNO(1 EPERM)` when an errno name is known, `TRAP(5)` when a data part
 * is set, and the raw hex for values no seccomp action has.
 */
export function describeReturnValue(value: number, errnoName?: (errno: number) => string | undefined): string {
  const unsigned = value >>> 0;
  const name = seccompActionName(unsigned);
  const data = unsigned & SECCOMP_RET_DATA;
  if (name === undefined) return `0x${unsigned.toString(16)} (unknown action)`;
  if (name === 'ERRNO') {
    const known = errnoName?.(data);
    return known === undefined ? `ERRNO(${data})` : `ERRNO(${data} ${known})`;
  }
  return data === 0 ? name : `${name}(${data})`;
}

/**
 * Errno names from an arch's constants table. The table mixes errno values
 * with other E-prefixed constants that share their numbers: the termios
 * flags ECHO*, EXTA, EXTB and EXTPROC. Those are skipped; among the
 * remaining aliases (EAGAIN/EWOULDBLOCK, ...) the first in the table wins.
 */
export function errnoNamesFromArch(arch: ArchTable): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  for (const [name, value] of arch.constants) {
    if (!/^E[A-Z0-9]+$/.test(name) || /^(ECHO|EXT)/.test(name)) continue;
    if (value < 1n || value > 4095n) continue;
    const errno = Number(value);
    if (!names.has(errno)) names.set(errno, name);
  }
  return names;
}
