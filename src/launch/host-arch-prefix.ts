/**
 * A program of another arch than the launcher's (an arm program on an
 * aarch64 host, through AArch32 compat): stage A is compiled for the
 * program's arch, yet the calls between installing it and the end of
 * execve are made by the launcher's child, which is still a host-arch
 * process. The filter's arch check would kill them (found by the cross-arch
 * prologue test). So stage A gets a prefix that lets exactly those host-arch
 * calls through: execve, and the addon's sendmsg (listener hand-over),
 * write and exit_group (failure report). After execve the process is of the
 * program's arch and can never make a host-arch call again, so the prefix
 * grants nothing to the program.
 *
 * BPF jumps are relative, so the policy's program runs unchanged after the
 * prefix.
 */
import type { ArchTable } from '../arch/types.js';
import {
  instruction,
  loadAbsolute,
  OP_JEQ_K,
  ret,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS,
  type Instruction,
} from '../bpf/instruction.js';

/** The host-arch calls the launcher's child makes after stage A is installed (native/README.md). */
export const HOST_LAUNCH_CALLS = ['execve', 'sendmsg', 'write', 'exit_group'] as const;

/** The prefix's instructions; `program` follows it unchanged. */
export function hostLaunchPrefix(host: ArchTable): Instruction[] {
  const numbers = HOST_LAUNCH_CALLS.map((name) => {
    const number = host.syscalls.get(name);
    if (number === undefined) throw new Error(`the ${host.name} table has no ${name}`);
    return number;
  });
  // 0: ld arch; 1: not host → skip to the policy; 2: ld nr; 3..: one jeq per call; then kill; then allow.
  const prefixLength = 3 + numbers.length + 2;
  const prefix: Instruction[] = [
    loadAbsolute(SECCOMP_DATA_ARCH),
    instruction(OP_JEQ_K, host.auditArch, 0, prefixLength - 2),
    loadAbsolute(SECCOMP_DATA_NR),
  ];
  numbers.forEach((number, index) => {
    const here = 3 + index;
    const allowAt = prefixLength - 1;
    prefix.push(instruction(OP_JEQ_K, number, allowAt - here - 1, 0));
  });
  prefix.push(ret(SECCOMP_RET_KILL_PROCESS), ret(SECCOMP_RET_ALLOW));
  return prefix;
}

/** `program` behind the host prefix, when the program's arch is not the host's; `program` itself otherwise. */
export function withHostLaunchCalls(program: readonly Instruction[], programArch: ArchTable, host: ArchTable | undefined): Instruction[] {
  if (host === undefined || host.auditArch >>> 0 === programArch.auditArch >>> 0) return [...program];
  return [...hostLaunchPrefix(host), ...program];
}
