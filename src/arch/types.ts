/**
 * What the compiler needs to know about one architecture. The shape mirrors
 * Minijail's `constants.json` so that `--arch-json` files load without
 * translation, but numbers are normalised: syscall numbers are plain numbers,
 * constants are bigints because 64-bit arches carry values wider than 2^53.
 */
export interface ArchTable {
  /** Our name for the arch: "x86_64", "aarch64", "arm" (or the file's arch_name for --arch-json). */
  readonly name: string;
  /** Minijail's arch_name, matched by `[arch=...]` metadata ("arm64" on aarch64). */
  readonly minijailName: string;
  /** AUDIT_ARCH_* value that seccomp_data.arch carries. */
  readonly auditArch: number;
  /** Word size: constants are range-checked and arguments compared at this width. */
  readonly bits: 32 | 64;
  /** Syscall name -> number. Kept as a Map so insertion order is the source order. */
  readonly syscalls: ReadonlyMap<string, number>;
  /** Named constants (errno names, O_*, PROT_*, ioctl requests, ...). */
  readonly constants: ReadonlyMap<string, bigint>;
  /** Optional `syscall_groups`: namespace -> group -> syscall names. */
  readonly syscallGroups: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

export const SHIPPED_ARCHES = ['x86_64', 'aarch64', 'arm'] as const;
export type ShippedArch = (typeof SHIPPED_ARCHES)[number];
