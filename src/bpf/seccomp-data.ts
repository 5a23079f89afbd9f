/**
 * What a seccomp filter sees for one system call: `struct seccomp_data`
 * (linux/seccomp.h). Shared by the simulator, the reference evaluator on the
 * policy IR and the tests that compare them, so every one of them is fed the
 * very same input.
 *
 * Layout in the kernel (little-endian on every arch we ship):
 *   nr @0 (u32), arch @4 (u32), instruction_pointer @8 (u64),
 *   args[i] @16+8i (u64): low word @16+8i, high word @20+8i.
 */
export interface SeccompData {
  /** System call number, as the 32-bit word the filter loads (0..0xffffffff). */
  readonly nr: number;
  /** AUDIT_ARCH_* value (0..0xffffffff). */
  readonly arch: number;
  readonly instructionPointer: bigint;
  /** The six syscall arguments as unsigned 64-bit values; missing entries read as 0. */
  readonly args: readonly bigint[];
}

/** Number of arguments in struct seccomp_data. */
export const SECCOMP_DATA_ARGUMENT_COUNT = 6;

const WORD_MASK = 0xffffffffn;

/**
 * The 32-bit word at a byte offset of seccomp_data, as `LD W ABS offset`
 * reads it. Returns undefined for offsets the kernel refuses (unaligned or
 * past the 64-byte structure), so a caller can report the bad load.
 */
export function readSeccompDataWord(data: SeccompData, offset: number): number | undefined {
  if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0 || offset >= 64) return undefined;
  if (offset === 0) return data.nr >>> 0;
  if (offset === 4) return data.arch >>> 0;
  if (offset === 8) return Number(data.instructionPointer & WORD_MASK);
  if (offset === 12) return Number((data.instructionPointer >> 32n) & WORD_MASK);
  const argumentIndex = (offset - 16) >> 3;
  const value = BigInt.asUintN(64, data.args[argumentIndex] ?? 0n);
  return (offset - 16) % 8 === 0 ? Number(value & WORD_MASK) : Number((value >> 32n) & WORD_MASK);
}

/** Builds a SeccompData with zeroed instruction pointer and arguments unless given. */
export function makeSeccompData(
  nr: number,
  arch: number,
  args: readonly bigint[] = [],
  instructionPointer = 0n,
): SeccompData {
  const fullArgs: bigint[] = [];
  for (let index = 0; index < SECCOMP_DATA_ARGUMENT_COUNT; index++) fullArgs.push(BigInt.asUintN(64, args[index] ?? 0n));
  return { nr: nr >>> 0, arch: arch >>> 0, instructionPointer: BigInt.asUintN(64, instructionPointer), args: fullArgs };
}
