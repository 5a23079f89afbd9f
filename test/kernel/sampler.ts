/**
 * Chooses, for one compiled program, a handful of harmless system calls that
 * cover the program's different decisions, and says what the kernel must do
 * for each according to our simulator.
 */
import {
  argLowOffset,
  OP_JEQ_K,
  OP_JGE_K,
  OP_JGT_K,
  OP_JSET_K,
  OP_LD_W_ABS,
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
  simulate,
  makeSeccompData,
  type Instruction,
} from '../../src/bpf/index.js';
import type { ArchTable } from '../../src/arch/types.js';
import type { KernelOutcome, SyscallCall } from './load-filter.js';
import { FREE, SAFE_CALLS } from './safe-calls.js';

export type ActionClass = 'allow' | 'errno' | 'trap' | 'kill' | 'no-tracer';

export interface Sample {
  readonly label: string;
  readonly call: SyscallCall;
  /** The simulator's return value for this call. */
  readonly action: number;
  readonly actionClass: ActionClass;
  /** True when other arguments of the same syscall get a different decision. */
  readonly argFiltered: boolean;
}

export function classifyAction(action: number): ActionClass {
  switch ((action & SECCOMP_RET_ACTION_FULL) >>> 0) {
    case SECCOMP_RET_ALLOW:
    case SECCOMP_RET_LOG:
      return 'allow';
    case SECCOMP_RET_ERRNO:
      return 'errno';
    case SECCOMP_RET_TRAP:
      return 'trap';
    case SECCOMP_RET_TRACE:
    case SECCOMP_RET_USER_NOTIF:
      return 'no-tracer';
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    default:
      // The kernel treats an unknown action as KILL_PROCESS.
      return 'kill';
  }
}

/** The constants the program compares each argument's low word with (by scanning loads and the jumps after them). */
function comparedValues(program: readonly Instruction[]): Map<number, Set<bigint>> {
  const byArgument = new Map<number, Set<bigint>>();
  let loadedArgument: number | undefined;
  for (const instruction of program) {
    if (instruction.code === OP_LD_W_ABS) {
      const offset = instruction.k - argLowOffset(0);
      loadedArgument = offset >= 0 && offset % 8 === 0 && offset < 48 ? offset / 8 : undefined;
    } else if (
      loadedArgument !== undefined &&
      [OP_JEQ_K, OP_JGE_K, OP_JGT_K, OP_JSET_K].includes(instruction.code)
    ) {
      const values = byArgument.get(loadedArgument) ?? new Set<bigint>();
      const k = BigInt(instruction.k >>> 0);
      values.add(k);
      if (k > 0n) values.add(k - 1n);
      values.add(k + 1n);
      byArgument.set(loadedArgument, values);
    }
  }
  return byArgument;
}

/** Every argument vector to try for one safe call: the defaults, then each free argument set to each compared value. */
function argumentVectors(args: readonly (bigint | typeof FREE)[], compared: Map<number, Set<bigint>>): bigint[][] {
  const base = args.map((arg) => (arg === FREE ? 0n : arg));
  const vectors = [base];
  args.forEach((arg, index) => {
    if (arg !== FREE) return;
    for (const value of compared.get(index) ?? []) {
      const vector = [...base];
      vector[index] = value;
      vectors.push(vector);
    }
  });
  return vectors;
}

export interface SampleLimits {
  /** Calls per decided class among syscalls without an argument-dependent decision. */
  readonly perClass: number;
  /** Syscalls whose decision depends on the arguments; each gets one call per distinct decision. */
  readonly argFiltered: number;
}

/**
 * Deterministic samples for one program: the first safe calls (in SAFE_CALLS
 * order) of each decision class, plus a few argument-filtered syscalls, plus
 * an x32-numbered getpid (the optimized layout's hardening).
 */
export function chooseSamples(program: readonly Instruction[], arch: ArchTable, limits: SampleLimits): Sample[] {
  const compared = comparedValues(program);
  const samples: Sample[] = [];
  const perClass = new Map<ActionClass, number>();
  let argFilteredSyscalls = 0;
  const decide = (nr: number, args: readonly bigint[]): number => simulate(program, makeSeccompData(nr, arch.auditArch, args)).action >>> 0;

  for (const safe of SAFE_CALLS) {
    const nr = arch.syscalls.get(safe.name);
    if (nr === undefined) continue;
    const byAction = new Map<number, bigint[]>();
    for (const vector of argumentVectors(safe.args, compared)) {
      const action = decide(nr, vector);
      if (!byAction.has(action)) byAction.set(action, vector);
    }
    if (byAction.size > 1) {
      if (argFilteredSyscalls >= limits.argFiltered) continue;
      argFilteredSyscalls++;
      for (const [action, vector] of byAction) {
        samples.push({ label: `${safe.name}(${vector.map(hex).join(', ')})`, call: { nr, args: vector }, action, actionClass: classifyAction(action), argFiltered: true });
      }
      continue;
    }
    const [[action, vector]] = byAction;
    const actionClass = classifyAction(action);
    const count = perClass.get(actionClass) ?? 0;
    if (count >= limits.perClass) continue;
    perClass.set(actionClass, count + 1);
    samples.push({ label: `${safe.name}(${vector.map(hex).join(', ')})`, call: { nr, args: vector }, action, actionClass, argFiltered: false });
  }

  const getpid = arch.syscalls.get('getpid');
  if (arch.name === 'x86_64' && getpid !== undefined) {
    const nr = (0x40000000 | getpid) >>> 0;
    const action = decide(nr, []);
    samples.push({ label: `x32 getpid (nr 0x${nr.toString(16)})`, call: { nr, args: [] }, action, actionClass: classifyAction(action), argFiltered: false });
  }
  return samples;
}

const hex = (value: bigint): string => (value < 10n ? value.toString() : `0x${value.toString(16)}`);

const SIGSYS = 31;
const ENOSYS = 38;

/**
 * What the kernel must report for a sample, given the same call's outcome
 * without a filter (needed for allowed calls, whose result is the call's
 * own). Returns undefined when the sample cannot tell a right decision from
 * a wrong one (an errno that the unfiltered call gives anyway).
 */
export function expectedOutcome(sample: Sample, unfiltered: KernelOutcome): string | undefined {
  const data = sample.action & SECCOMP_RET_DATA;
  switch (sample.actionClass) {
    case 'allow':
      return describeOutcome(unfiltered);
    case 'errno': {
      // ERRNO(0) makes the call return 0; the kernel caps the errno at MAX_ERRNO.
      const expected = describeOutcome(data === 0 ? { kind: 'returned', value: 0n } : { kind: 'errno', errno: Math.min(data, 4095) });
      return expected === describeOutcome(unfiltered) ? undefined : expected;
    }
    case 'no-tracer': {
      const expected = describeOutcome({ kind: 'errno', errno: ENOSYS });
      return expected === describeOutcome(unfiltered) ? undefined : expected;
    }
    case 'trap':
      return describeOutcome({ kind: 'trap', nr: sample.call.nr | 0, data });
    case 'kill':
      return describeOutcome({ kind: 'signal', signal: SIGSYS });
  }
}

/** An outcome as compared: returned values vary between runs (pids, addresses), so only "returned" is kept. */
export function describeOutcome(outcome: KernelOutcome): string {
  switch (outcome.kind) {
    case 'returned':
      return 'returned';
    case 'errno':
      return `errno ${outcome.errno}`;
    case 'trap':
      return `trap nr=${outcome.nr} data=${outcome.data}`;
    case 'signal':
      return `signal ${outcome.signal}`;
    case 'exited':
      return `exited ${outcome.status}`;
    case 'timeout':
      return 'timeout';
  }
}
