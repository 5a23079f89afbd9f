/**
 * Stage composition on the IR: the union of a policy and the launch
 * prologue allows exactly what either allows, the policy keeps its own
 * answers for everything else, denials become USER_NOTIF, and the compiled
 * stage programs agree with the IR (simulated).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getShippedArch, SHIPPED_ARCHES } from '../../src/arch/index.js';
import type { ArchTable } from '../../src/arch/types.js';
import {
  makeSeccompData,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_USER_NOTIF,
  simulate,
} from '../../src/bpf/index.js';
import { generateProgram } from '../../src/compile.js';
import { notifyOnDenial, unionWithAllows } from '../../src/launch/compose.js';
import { HOST_LAUNCH_CALLS, withHostLaunchCalls } from '../../src/launch/host-arch-prefix.js';
import { launchProloguePath, loadLaunchPrologue } from '../../src/launch/launch-rules.js';
import { buildLaunchFilters } from '../../src/launch/stages.js';
import { evaluatePolicy } from '../../src/policy/evaluate.js';
import { parsePolicyText } from '../../src/policy/index.js';
import type { PolicyIR } from '../../src/policy/ir.js';
import { projectRoot } from './probe-fixtures.js';

const x86_64 = getShippedArch('x86_64');
const number = (arch: ArchTable, name: string): number => arch.syscalls.get(name)!;
const constant = (arch: ArchTable, name: string): bigint => arch.constants.get(name)!;
const parse = (text: string, arch: ArchTable = x86_64, file = 'device.policy'): PolicyIR => parsePolicyText(text, file, { arch });

function decide(ir: PolicyIR, syscall: string, args: bigint[] = []): number {
  return evaluatePolicy(ir, makeSeccompData(number(ir.arch, syscall), ir.arch.auditArch, args), { layout: 'optimized' }).action >>> 0;
}

const DEVICE = [
  'read: 1',
  'write: 1',
  'exit_group: 1',
  'openat: return ENOENT',
  'mmap: arg2 in ~PROT_EXEC',
  'ioctl: arg1 == FIONBIO',
  '',
].join('\n');

const PROLOGUE = ['openat: arg2 in O_CLOEXEC', 'mmap: 1', 'brk: 1', 'execve: 1', 'ioctl: kill', ''].join('\n');

describe('unionWithAllows', () => {
  const device = parse(DEVICE);
  const union = unionWithAllows(device, parse(PROLOGUE, x86_64, 'prologue.policy'));
  const readOnly = constant(x86_64, 'O_CLOEXEC');
  const creating = constant(x86_64, 'O_CREAT') | constant(x86_64, 'O_WRONLY');
  const protExec = constant(x86_64, 'PROT_EXEC');

  it('lets through what only the prologue allows, with the prologue\'s argument filter', () => {
    expect(decide(union, 'openat', [0n, 0n, readOnly])).toBe(SECCOMP_RET_ALLOW);
    expect(decide(union, 'mmap', [0n, 4096n, protExec])).toBe(SECCOMP_RET_ALLOW);
    expect(decide(union, 'brk')).toBe(SECCOMP_RET_ALLOW);
    expect(decide(union, 'execve')).toBe(SECCOMP_RET_ALLOW);
  });

  it('keeps the policy\'s own answer where the prologue does not allow', () => {
    expect(decide(union, 'openat', [0n, 0n, creating])).toBe((SECCOMP_RET_ERRNO | Number(constant(x86_64, 'ENOENT'))) >>> 0);
    expect(decide(union, 'getpid')).toBe(decide(device, 'getpid'));
  });

  it('never narrows: a prologue denial does not override the policy\'s allow', () => {
    expect(decide(union, 'ioctl', [0n, constant(x86_64, 'FIONBIO')])).toBe(SECCOMP_RET_ALLOW);
    expect(decide(union, 'ioctl', [0n, 0x1234n])).toBe(decide(device, 'ioctl', [0n, 0x1234n]));
  });

  it('every syscall of either side: union allows ⇔ one of them allows (both layouts compile and agree)', () => {
    const prologue = parse(PROLOGUE, x86_64, 'prologue.policy');
    const program = generateProgram(union, 'optimized');
    const cases: [string, bigint[]][] = [];
    for (const name of ['read', 'write', 'openat', 'mmap', 'brk', 'execve', 'ioctl', 'getpid', 'exit_group']) {
      for (const args of [[], [0n, 0n, readOnly], [0n, 0n, creating], [0n, 4096n, protExec], [0n, constant(x86_64, 'FIONBIO')]]) cases.push([name, args]);
    }
    for (const [name, args] of cases) {
      const either = decide(device, name, args) === SECCOMP_RET_ALLOW || decide(prologue, name, args) === SECCOMP_RET_ALLOW;
      expect(decide(union, name, args) === SECCOMP_RET_ALLOW, `${name}(${args.join(', ')})`).toBe(either);
      const simulated = simulate(program, makeSeccompData(number(x86_64, name), x86_64.auditArch, args)).action >>> 0;
      expect(simulated, `${name} simulated`).toBe(decide(union, name, args));
    }
  });
});

describe('notifyOnDenial', () => {
  it('turns kill, trap and the default into USER_NOTIF; a rule\'s errno stays a kernel answer', () => {
    const device = parse(`${DEVICE}getppid: trap\n`);
    const notifying = notifyOnDenial(device);
    expect(decide(notifying, 'getpid')).toBe(SECCOMP_RET_USER_NOTIF);
    expect(decide(notifying, 'getppid')).toBe(SECCOMP_RET_USER_NOTIF);
    expect(decide(notifying, 'mmap', [0n, 0n, constant(x86_64, 'PROT_EXEC')])).toBe(SECCOMP_RET_USER_NOTIF);
    expect(decide(notifying, 'openat')).toBe((SECCOMP_RET_ERRNO | Number(constant(x86_64, 'ENOENT'))) >>> 0);
    expect(decide(notifying, 'read')).toBe(SECCOMP_RET_ALLOW);
    expect(decide(notifyOnDenial(device, { explicitErrno: true }), 'openat')).toBe(SECCOMP_RET_USER_NOTIF);
  });

  it('an errno default is notified (discovery with --default-action "return 1")', () => {
    const device = parsePolicyText(DEVICE, 'device.policy', { arch: x86_64, defaultAction: 'return 1' });
    expect(decide(device, 'getpid')).toBe((SECCOMP_RET_ERRNO | 1) >>> 0);
    expect(decide(notifyOnDenial(device), 'getpid')).toBe(SECCOMP_RET_USER_NOTIF);
  });

  it('an arch mismatch stays a kernel kill in the compiled program', () => {
    const program = generateProgram(notifyOnDenial(parse(DEVICE)), 'optimized');
    const i386 = 0x40000003;
    expect(simulate(program, makeSeccompData(20, i386)).action >>> 0).toBe(SECCOMP_RET_KILL_PROCESS);
  });
});

describe('launch prologues', () => {
  it.each(SHIPPED_ARCHES.flatMap((arch) => (['static', 'dynamic'] as const).map((linkage) => [arch, linkage] as const)))(
    '%s %s: parses for its arch, allows execve, compiles in both layouts',
    (archName, linkage) => {
      const arch = getShippedArch(archName);
      expect(existsSync(launchProloguePath(arch, linkage))).toBe(true);
      const prologue = loadLaunchPrologue(arch, linkage);
      expect(decide(prologue, 'execve')).toBe(SECCOMP_RET_ALLOW);
      expect(decide(prologue, 'brk')).toBe(SECCOMP_RET_ALLOW);
      generateProgram(prologue, 'minijail');
      generateProgram(prologue, 'optimized');
    },
  );

  it('static prologues never allow an executable mapping; dynamic ones allow the loader\'s', () => {
    for (const archName of SHIPPED_ARCHES) {
      const arch = getShippedArch(archName);
      const protExec = constant(arch, 'PROT_EXEC');
      const staticPrologue = loadLaunchPrologue(arch, 'static');
      expect(decide(staticPrologue, 'mprotect', [0n, 4096n, protExec]), archName).not.toBe(SECCOMP_RET_ALLOW);
      expect(decide(staticPrologue, 'mprotect', [0n, 4096n, constant(arch, 'PROT_READ')]), archName).toBe(SECCOMP_RET_ALLOW);
      const mmap = arch.syscalls.has('mmap2') ? 'mmap2' : 'mmap';
      expect(decide(loadLaunchPrologue(arch, 'dynamic'), mmap, [0n, 4096n, protExec]), archName).toBe(SECCOMP_RET_ALLOW);
      const writeOpen = constant(arch, 'O_WRONLY');
      expect(decide(loadLaunchPrologue(arch, 'dynamic'), 'openat', [0n, 0n, writeOpen]), archName).not.toBe(SECCOMP_RET_ALLOW);
    }
  });

  const blockDevice = join(projectRoot, 'policies', 'x86_64', 'block_device.policy');
  it.skipIf(!existsSync(blockDevice))('stage A and B of a shipped device policy fit and keep the device strict after start-up', async () => {
    const { compilePolicy } = await import('../../src/compile.js');
    const device = compilePolicy(blockDevice, { arch: 'x86_64' }).ir;
    const filters = buildLaunchFilters(device, { linkage: 'dynamic', channelFds: { channel: 3, listener: 4 } });
    const stageB = filters.stageB!;
    const openat = makeSeccompData(number(x86_64, 'openat'), x86_64.auditArch, [0n, 0n, 0n]);
    // Stage A lets the loader open libraries; stage B answers as the device policy does.
    expect(simulate(filters.stageA.program, openat).action >>> 0).toBe(SECCOMP_RET_ALLOW);
    expect(simulate(stageB.program, openat).action >>> 0).toBe(evaluatePolicy(device, openat, { layout: 'optimized' }).action >>> 0);
    const execve = makeSeccompData(number(x86_64, 'execve'), x86_64.auditArch);
    expect(simulate(stageB.program, execve).action >>> 0).toBe(SECCOMP_RET_USER_NOTIF);
  });
});

describe('stage A of a static program', () => {
  it('allows the listener hand-over\'s sendmsg on the status socket\'s fd only, with MSG_NOSIGNAL only', () => {
    const device = parse('write: 1\nexit_group: 1\n');
    const noSignal = constant(x86_64, 'MSG_NOSIGNAL');
    for (const statusFd of [3, 5]) {
      const { stageA } = buildLaunchFilters(device, { linkage: 'static', statusFd });
      const sendmsg = (fd: number, flags: bigint): number =>
        simulate(stageA.program, makeSeccompData(number(x86_64, 'sendmsg'), x86_64.auditArch, [BigInt(fd), 0n, flags])).action >>> 0;
      expect(sendmsg(statusFd, noSignal)).toBe(SECCOMP_RET_ALLOW);
      expect(sendmsg(statusFd + 1, noSignal)).toBe(SECCOMP_RET_USER_NOTIF);
      expect(sendmsg(statusFd - 1, noSignal)).toBe(SECCOMP_RET_USER_NOTIF);
      expect(sendmsg(statusFd, 0n)).toBe(SECCOMP_RET_USER_NOTIF);
    }
  });

  it('cannot be built without the status socket\'s fd', () => {
    expect(() => buildLaunchFilters(parse('write: 1\n'), { linkage: 'static' })).toThrow(/status socket/);
  });
});

describe('host-arch prefix (a program of another arch than the launcher)', () => {
  const aarch64 = getShippedArch('aarch64');
  const arm = getShippedArch('arm');
  const program = generateProgram(unionWithAllows(parse('write: 1\nexit_group: 1\n', arm), loadLaunchPrologue(arm, 'static')), 'optimized');
  const prefixed = withHostLaunchCalls(program, arm, aarch64);
  const run = (arch: ArchTable, name: string): number => simulate(prefixed, makeSeccompData(number(arch, name), arch.auditArch)).action >>> 0;

  it('lets the host-arch child make its launch calls and nothing else', () => {
    for (const name of HOST_LAUNCH_CALLS) expect(run(aarch64, name), name).toBe(SECCOMP_RET_ALLOW);
    expect(run(aarch64, 'getpid')).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(run(aarch64, 'openat')).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('leaves the program\'s own arch to the policy, and same-arch launches untouched', () => {
    for (const name of ['write', 'execve', 'brk', 'getpid', 'openat']) {
      const data = makeSeccompData(number(arm, name), arm.auditArch);
      expect(simulate(prefixed, data).action >>> 0, name).toBe(simulate(program, data).action >>> 0);
    }
    expect(withHostLaunchCalls(program, arm, arm)).toEqual(program);
    expect(withHostLaunchCalls(program, arm, undefined)).toEqual(program);
  });
});
