/**
 * Classic BPF as seccomp sees it: `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }`.
 * Only the opcodes Linux's seccomp_check_filter() accepts are named here.
 */
export interface Instruction {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

// Instruction classes and fields (linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IMM = 0x00;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

/** The opcodes the Minijail layout emits (policy-language.md §7.1). */
export const OP_LD_W_ABS = BPF_LD | BPF_W | BPF_ABS; // 0x20
export const OP_JEQ_K = BPF_JMP | BPF_JEQ | BPF_K; // 0x15
export const OP_JGT_K = BPF_JMP | BPF_JGT | BPF_K; // 0x25
export const OP_JGE_K = BPF_JMP | BPF_JGE | BPF_K; // 0x35
export const OP_JSET_K = BPF_JMP | BPF_JSET | BPF_K; // 0x45
export const OP_JA = BPF_JMP | BPF_JA; // 0x05
export const OP_RET_K = BPF_RET | BPF_K; // 0x06

/** Kernel limit on filter length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

// SECCOMP_RET_* (linux/seccomp.h).
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_USER_NOTIF = 0x7fc00000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_ACTION_FULL = 0xffff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;

// Offsets into struct seccomp_data.
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const SECCOMP_DATA_IP_LO = 8;
export const SECCOMP_DATA_IP_HI = 12;
export const SECCOMP_DATA_SIZE = 64;
export const argLowOffset = (index: number): number => 16 + 8 * index;
export const argHighOffset = (index: number): number => 20 + 8 * index;

export const instruction = (code: number, k = 0, jt = 0, jf = 0): Instruction => ({ code, jt, jf, k: k >>> 0 });
export const ret = (value: number): Instruction => instruction(OP_RET_K, value);
export const loadAbsolute = (offset: number): Instruction => instruction(OP_LD_W_ABS, offset);
