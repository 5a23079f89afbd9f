/**
 * The seccomp action cache of Linux 5.11+ (kernel/seccomp.c,
 * seccomp_cache_prepare_bitmap and seccomp_is_const_allow). When a filter is
 * installed, the kernel runs a tiny emulator over the original program once
 * per syscall number of each arch it caches, knowing only nr and arch. If
 * that run reaches `RET ALLOW` without touching anything else, the syscall is
 * marked always-allowed and later calls skip the filter entirely.
 */
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT } from './audit-arch.js';
import {
  BPF_ABS,
  BPF_JA,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JSET,
  BPF_W,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  type Instruction,
} from './instruction.js';
import { BPF_ALU, BPF_AND, BPF_JMP, BPF_K, BPF_LD, BPF_RET } from './opcodes.js';

/**
 * seccomp_is_const_allow: does the filter, run with only `nr` and `arch`
 * known, certainly return ALLOW? The emulator understands exactly: LD W ABS
 * of nr or arch, JA, JEQ/JGE/JGT/JSET with a constant, ALU AND with a
 * constant, and RET with a constant. Anything else (an argument or
 * instruction-pointer load, X, scratch memory, other ALU operations, RET A)
 * makes the answer "no", as does running off the end.
 */
export function isConstantAllow(program: readonly Instruction[], nr: number, arch: number): boolean {
  let accumulator = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc];
    switch (code) {
      case BPF_LD | BPF_W | BPF_ABS:
        if (k === SECCOMP_DATA_NR) accumulator = nr >>> 0;
        else if (k === SECCOMP_DATA_ARCH) accumulator = arch >>> 0;
        else return false;
        break;
      case BPF_RET | BPF_K:
        return k >>> 0 === SECCOMP_RET_ALLOW;
      case BPF_JMP | BPF_JA:
        pc += k;
        break;
      case BPF_JMP | BPF_JEQ | BPF_K:
        pc += accumulator === k >>> 0 ? jt : jf;
        break;
      case BPF_JMP | BPF_JGE | BPF_K:
        pc += accumulator >= k >>> 0 ? jt : jf;
        break;
      case BPF_JMP | BPF_JGT | BPF_K:
        pc += accumulator > k >>> 0 ? jt : jf;
        break;
      case BPF_JMP | BPF_JSET | BPF_K:
        pc += (accumulator & k) !== 0 ? jt : jf;
        break;
      case BPF_ALU | BPF_AND | BPF_K:
        accumulator = (accumulator & k) >>> 0;
        break;
      default:
        return false;
    }
  }
  return false;
}

/**
 * The syscall tables the kernel caches for a filter, by the AUDIT_ARCH that
 * seccomp_data.arch carries: x86_64 caches its native table and, for
 * 32-bit processes, the i386 table; arm64 caches its own and the compat arm
 * table; 32-bit arm caches its own.
 */
export const CACHED_ARCHES_BY_KERNEL: Readonly<Record<string, readonly number[]>> = {
  x86_64: [AUDIT_ARCH_X86_64, AUDIT_ARCH_I386],
  aarch64: [AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM],
  arm: [AUDIT_ARCH_ARM],
};

export interface CacheOptions {
  /**
   * The size of the kernel's table for this arch (NR_syscalls): numbers at or
   * above it are never cached. Without it, every given number is tried.
   */
  readonly tableSize?: number;
}

/**
 * The syscall numbers among `syscallNumbers` that the kernel would allow
 * from its cache, without running the filter, for calls whose
 * seccomp_data.arch is `auditArch`. Negative numbers and, on x86_64, numbers
 * with the x32 bit are never cached (they fall outside every bitmap), so
 * x32 syscalls always run the filter.
 */
export function cachedSyscalls(
  program: readonly Instruction[],
  auditArch: number,
  syscallNumbers: Iterable<number>,
  options: CacheOptions = {},
): number[] {
  const cached = new Set<number>();
  for (const nr of syscallNumbers) {
    // seccomp_data.nr is an int: numbers from 2^31 up are negative to the kernel.
    if (!Number.isInteger(nr) || nr < 0 || nr > 0x7fffffff) continue;
    if (options.tableSize !== undefined && nr >= options.tableSize) continue;
    if (auditArch >>> 0 === AUDIT_ARCH_X86_64 && (nr & X32_SYSCALL_BIT) !== 0) continue;
    if (isConstantAllow(program, nr, auditArch)) cached.add(nr);
  }
  return [...cached].sort((a, b) => a - b);
}
