/**
 * AUDIT_ARCH_* values (linux/audit.h) that seccomp_data.arch carries, for
 * naming them in disassembly and for the kernel's action-cache rules.
 */
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const AUDIT_ARCH_ARM = 0x40000028;
export const AUDIT_ARCH_RISCV64 = 0xc00000f3;
export const AUDIT_ARCH_LOONGARCH64 = 0xc0000102;

const NAMES: ReadonlyMap<number, string> = new Map([
  [AUDIT_ARCH_X86_64, 'AUDIT_ARCH_X86_64'],
  [AUDIT_ARCH_I386, 'AUDIT_ARCH_I386'],
  [AUDIT_ARCH_AARCH64, 'AUDIT_ARCH_AARCH64'],
  [AUDIT_ARCH_ARM, 'AUDIT_ARCH_ARM'],
  [AUDIT_ARCH_RISCV64, 'AUDIT_ARCH_RISCV64'],
  [AUDIT_ARCH_LOONGARCH64, 'AUDIT_ARCH_LOONGARCH64'],
]);

export const auditArchName = (value: number): string | undefined => NAMES.get(value >>> 0);

/** x86_64's x32 ABI marks its syscall numbers with this bit (__X32_SYSCALL_BIT). */
export const X32_SYSCALL_BIT = 0x40000000;
