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

const errnoNameTables = new WeakMap<ArchTable, ReadonlyMap<number, string>>();

/** The errno's name on this arch (ENOENT), from a table built once per arch. */
export function errnoName(arch: ArchTable, errno: number): string | undefined {
  let names = errnoNameTables.get(arch);
  if (names === undefined) {
    names = errnoNamesFromArch(arch);
    errnoNameTables.set(arch, names);
  }
  return names.get(errno);
}

const POLICY_ACTION_WORDS: ReadonlyMap<number, string> = new Map([
  [SECCOMP_RET_ALLOW, 'allow'],
  [SECCOMP_RET_KILL_PROCESS, 'kill-process'],
  [SECCOMP_RET_KILL_THREAD, 'kill-thread'],
  [SECCOMP_RET_TRAP, 'trap'],
  [SECCOMP_RET_TRACE, 'trace'],
  [SECCOMP_RET_LOG, 'log'],
  [SECCOMP_RET_USER_NOTIF, 'user-notify'],
]);

/**
 * A return value in the policy language's words, as `check` and the denial
 * reports print it: `allow`, `errno ENOENT (2)`, `kill-process`, `trap (data 5)`.
 */
export function describePolicyAction(value: number, arch: ArchTable): string {
  const action = (value & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = value & SECCOMP_RET_DATA;
  if (action === SECCOMP_RET_ERRNO) {
    const name = errnoName(arch, data);
    return name === undefined ? `errno ${data}` : `errno ${name} (${data})`;
  }
  const word = POLICY_ACTION_WORDS.get(action);
  if (word === undefined) return `0x${(value >>> 0).toString(16).padStart(8, '0')} (no such action: the kernel kills the process)`;
  return data === 0 ? word : `${word} (data ${data})`;
}
