/**
 * The filters the cross-arch harness puts before a real kernel:
 *   - every policy of the shared corpus (crosvm-2023) for its arch, both
 *     layouts, compiled by our compiler with --default-action trap (as the
 *     corpus's expected output was made);
 *   - every loadable device policy in policies/, both layouts;
 *   - a hand-built policy per arch that uses every action the kernel can
 *     tell apart (allow, errno, trap, kill-thread, kill-process, log) and
 *     argument tests on both halves of 64-bit arguments;
 *   - checks of the harness itself: a filter of the other arch (the kernel
 *     must take the arch-mismatch branch), a deliberately corrupted filter
 *     (one allowed syscall flipped to kill: must come out as mismatches) and
 *     programs at the kernel's load-time limits.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { getShippedArch } from '../../src/arch/index.js';
import type { ArchTable } from '../../src/arch/types.js';
import {
  AUDIT_ARCH_I386,
  BPF_MAXINSNS,
  OP_JA,
  OP_JEQ_K,
  OP_LD_W_ABS,
  SECCOMP_DATA_NR,
  SECCOMP_DATA_SIZE,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_KILL_PROCESS,
  instruction,
  loadAbsolute,
  ret,
  simulate,
  type Instruction,
} from '../../src/bpf/index.js';
import { compilePolicy, generateProgram, type CodeLayout } from '../../src/compile.js';
import { listDevices } from '../../src/devices/catalog.js';
import { PolicyBuilder, action, anyOf, atom, filter } from '../bpf/policy-builder.js';
import { corpusRoot, haveCorpus } from '../bpf/corpus.js';
import type { FilterUnderTest, ProbeArch } from './harness.js';

export const PROBE_ARCHES: readonly ProbeArch[] = ['x86_64', 'aarch64', 'arm'];
const LAYOUTS: readonly CodeLayout[] = ['minijail', 'optimized'];

const table = (arch: ProbeArch): ArchTable => getShippedArch(arch);

/** Numbers outside each arch's table worth asking about. */
export function extraNumbersFor(arch: ProbeArch): number[] {
  const numbers = [...table(arch).syscalls.values()];
  const highest = Math.max(...numbers);
  const common = [0xffffffff, highest + 1, highest + 100];
  if (arch === 'x86_64') {
    // x32 numbers (the optimized layout kills them), the x32 range's edges.
    return [...common, 0x40000000, 0x40000000 | 39, 0x40000000 | 0x200, 0x3fffffff, 0xfffffffe];
  }
  if (arch === 'arm') {
    // ARM's private calls, and numbers that name 64-bit-only syscalls on aarch64.
    const aarch64 = table('aarch64');
    const armNames = table('arm').syscalls;
    const sixtyFourBitOnly = [...aarch64.syscalls.entries()].filter(([name]) => !armNames.has(name)).map(([, nr]) => nr);
    return [...common, 0x0f0001, 0x0f0002, 0x0f0005, ...sixtyFourBitOnly.slice(0, 6)];
  }
  return common;
}

function compiled(name: string, file: string, arch: ProbeArch, layout: CodeLayout, defaultAction?: string): FilterUnderTest {
  const { program, ir } = compilePolicy(file, { arch, layout, defaultAction });
  return {
    name: `${name} [${layout}]`,
    probeArch: arch,
    probeTable: table(arch),
    program,
    namedNumbers: ir.rules.map((rule) => rule.number),
    extraNumbers: extraNumbersFor(arch),
  };
}

export function corpusFilters(): FilterUnderTest[] {
  if (!haveCorpus) return [];
  const filters: FilterUnderTest[] = [];
  for (const arch of PROBE_ARCHES) {
    const folder = path.join(corpusRoot, 'crosvm-2023', arch);
    for (const file of readdirSync(folder).filter((entry) => entry.endsWith('.policy')).sort()) {
      for (const layout of LAYOUTS) filters.push(compiled(`corpus ${arch}/${file}`, path.join(folder, file), arch, layout, 'trap'));
    }
  }
  return filters;
}

export function devicePolicyFilters(): FilterUnderTest[] {
  return listDevices().flatMap((entry) =>
    LAYOUTS.map((layout) => compiled(`policies/${entry.arch}/${path.basename(entry.path)}`, entry.path, entry.arch, layout)),
  );
}

/** One policy per arch with every action the probe tells apart, and 64-bit argument tests. */
export function actionCoverageFilters(): FilterUnderTest[] {
  const filters: FilterUnderTest[] = [];
  for (const arch of PROBE_ARCHES) {
    const archTable = table(arch);
    const has = (name: string): boolean => archTable.syscalls.has(name);
    const builder = new PolicyBuilder(archTable, { defaultAction: action('trap') });
    builder.allow('getpid');
    builder.add('getppid', [filter(null, action('errno', 13))]);
    builder.add('gettid', [filter(null, action('kill-thread'))]);
    builder.add('getuid', [filter(null, action('kill-process'))]);
    builder.add('geteuid', [filter(null, action('log'))]);
    builder.add('getgid', [filter(null, action('errno', 0))]);
    builder.add('getegid', [filter(null, action('errno', 4095))]);
    // Several actions on one syscall, chosen by argument tests.
    builder.add('ioctl', [
      filter(anyOf([atom(1, '==', 0x5401)], [atom(1, '==', 0x5402)]), action('allow')),
      filter(anyOf([atom(1, '&', 0x80000000), atom(0, '<', 3)]), action('errno', 25)),
      filter(anyOf([atom(1, '>', 0x7000), atom(1, '<=', 0x7010)]), action('kill-thread')),
    ]);
    builder.add('fcntl', [filter(anyOf([atom(1, 'in', 0x3)]), action('allow')), filter(null, action('errno', 22))]);
    if (archTable.bits === 64) {
      // The high word decides: a 32-bit truncation of either side would be caught.
      // (A rule whose last action is allow would be allowed whole: allow elision.)
      builder.add('mmap', [
        filter(anyOf([atom(0, '==', 0x1_0000_0000n)], [atom(2, '&', 0x4_0000_0000n)]), action('allow')),
        filter(anyOf([atom(1, '>=', 0x2_0000_0000n)]), action('kill-process')),
        filter(null, action('errno', 1)),
      ]);
    } else if (has('mmap2')) {
      builder.add('mmap2', [filter(anyOf([atom(2, '&', 0x4)]), action('errno', 1)), filter(null, action('errno', 12))]);
    }
    builder.add('write', [filter(anyOf([atom(0, '!=', 1), atom(2, '<', 4096)]), action('allow'))]);
    const ir = builder.build();
    for (const layout of LAYOUTS) {
      filters.push({
        name: `action coverage ${arch} [${layout}]`,
        probeArch: arch,
        probeTable: archTable,
        program: generateProgram(ir, layout),
        namedNumbers: ir.rules.map((rule) => rule.number),
        extraNumbers: extraNumbersFor(arch),
      });
    }
  }
  return filters;
}

/**
 * What a 64-bit x86 process shows a filter when it enters through int 0x80:
 * AUDIT_ARCH_I386 and i386 numbers, 32-bit arguments. Only the numbers'
 * range matters here (the filters under test are x86_64 ones, which must
 * stop every such call at their arch check), so they get plain names.
 */
export function i386Table(): ArchTable {
  const syscalls = new Map<string, number>();
  for (let nr = 0; nr < 450; nr++) syscalls.set(`i386_syscall_${nr}`, nr);
  return { name: 'i386', minijailName: 'i386', auditArch: AUDIT_ARCH_I386, bits: 32, syscalls, constants: new Map(), syscallGroups: new Map() };
}

/**
 * A filter compiled for one arch, installed by the probe of another (or, on
 * x86_64, called through the i386 entry): every call takes the
 * arch-mismatch branch, which no other case can reach.
 */
export function foreignArchFilters(): FilterUnderTest[] {
  const policyFor = (arch: ProbeArch): string | undefined =>
    listDevices(arch).find((entry) => entry.device === 'block' && entry.transport === 'virtio')?.path;
  const pairs: [ProbeArch, ProbeArch][] = [
    ['aarch64', 'arm'],
    ['arm', 'aarch64'],
    ['aarch64', 'x86_64'],
  ];
  const filters: FilterUnderTest[] = [];
  for (const [compiledFor, probe] of pairs) {
    const file = policyFor(compiledFor);
    if (!file) continue;
    for (const layout of LAYOUTS) {
      filters.push({
        name: `policies/${compiledFor}/block_device.policy [${layout}] under the ${probe} probe`,
        probeArch: probe,
        probeTable: table(probe),
        program: compilePolicy(file, { arch: compiledFor, layout }).program,
        unlistedSample: 4,
        extraNumbers: [0xffffffff],
      });
    }
  }
  const x86_64 = policyFor('x86_64');
  for (const layout of x86_64 ? LAYOUTS : []) {
    filters.push({
      name: `policies/x86_64/block_device.policy [${layout}] under the x86_64 probe's i386 entry (int 0x80)`,
      probeArch: 'x86_64',
      probeTable: i386Table(),
      i386Abi: true,
      program: compilePolicy(x86_64 as string, { arch: 'x86_64', layout }).program,
      unlistedSample: 4,
      extraNumbers: [0xffffffff],
    });
  }
  return filters;
}

export interface CorruptedFilter {
  readonly filter: FilterUnderTest;
  /** The syscall whose allow was flipped to kill. */
  readonly flippedName: string;
  readonly flippedNr: number;
}

/**
 * The block device policy with one plainly allowed syscall flipped to
 * KILL_PROCESS by three instructions put in front. The cases and predictions
 * still come from the original program, so the harness must report every
 * case of that syscall as a mismatch and nothing else.
 */
export function corruptedFilter(arch: ProbeArch): CorruptedFilter {
  const entry = listDevices(arch).find((candidate) => candidate.device === 'block' && candidate.transport === 'virtio');
  if (!entry) throw new Error(`no block device policy for ${arch}`);
  const original = compilePolicy(entry.path, { arch, layout: 'optimized' }).program;
  const archTable = table(arch);
  const allowed = (nr: number): boolean =>
    [0n, 1n, 0xffffffffn].every(
      (value) => simulate(original, { nr, arch: archTable.auditArch, instructionPointer: 0n, args: new Array(6).fill(value) }).action === SECCOMP_RET_ALLOW,
    );
  const flippedName = ['getpid', 'gettid', 'sched_yield', 'read'].find((name) => archTable.syscalls.has(name) && allowed(archTable.syscalls.get(name) as number));
  if (!flippedName) throw new Error(`the ${arch} block device policy allows none of the syscalls the corruption test flips`);
  const flippedNr = archTable.syscalls.get(flippedName) as number;
  const prefix: Instruction[] = [loadAbsolute(SECCOMP_DATA_NR), instruction(OP_JEQ_K, flippedNr, 0, 1), ret(SECCOMP_RET_KILL_PROCESS)];
  return {
    filter: {
      name: `CORRUPTED ${arch} block_device [optimized] (${flippedName} flipped to kill)`,
      probeArch: arch,
      probeTable: archTable,
      program: [...prefix, ...original],
      predictFrom: original,
      unlistedSample: 2,
    },
    flippedName,
    flippedNr,
  };
}

/**
 * `length` instructions that allow everything: a jump over filler loads to
 * the RET, so only two instructions run but the kernel checks them all.
 */
function allowAllOfLength(length: number): Instruction[] {
  const filler = Array.from({ length: length - 2 }, () => loadAbsolute(SECCOMP_DATA_NR));
  return [instruction(OP_JA, length - 2), ...filler, ret(SECCOMP_RET_ALLOW)];
}

/**
 * Programs at the kernel's load-time limits: two it must refuse (a load past
 * the end of seccomp_data; 4097 instructions, one over BPF_MAXINSNS, the
 * limit our compiler enforces) and one it must accept (exactly 4096).
 */
export function limitFilters(arch: ProbeArch): FilterUnderTest[] {
  const base = { probeArch: arch, probeTable: table(arch), unlistedSample: 2 };
  return [
    {
      ...base,
      name: `refused ${arch} (load at offset ${SECCOMP_DATA_SIZE})`,
      program: [instruction(OP_LD_W_ABS, SECCOMP_DATA_SIZE), ret(SECCOMP_RET_ALLOW)],
      // The simulator refuses it too; the cases come from a plain allow-all program.
      predictFrom: [ret(SECCOMP_RET_ALLOW)],
      expectRefusal: true,
    },
    {
      ...base,
      name: `refused ${arch} (${BPF_MAXINSNS + 1} instructions)`,
      program: allowAllOfLength(BPF_MAXINSNS + 1),
      predictFrom: [ret(SECCOMP_RET_ALLOW)],
      expectRefusal: true,
    },
    { ...base, name: `accepted ${arch} (${BPF_MAXINSNS} instructions)`, program: allowAllOfLength(BPF_MAXINSNS) },
  ];
}
