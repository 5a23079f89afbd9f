/**
 * The launch prologues of the arches this host cannot run, judged by a real
 * kernel: Debian's arm64 kernel in QEMU (the cross-arch harness's VM) starts
 * the probe built for aarch64 and for armhf (AArch32 compat), static and
 * dynamic, under stage A = a minimal policy ∪ the prologue, with every denial
 * a kill. The probe must reach main and exit 0; under the policy alone
 * (no prologue) it must be killed, which shows the prologue is what lets it
 * start. For arm it also shows why stage A carries the host-arch prefix
 * (host-arch-prefix.ts): the execve is still made by an aarch64 process.
 *
 * Like the other cross-arch tests this boots a VM (tens of seconds); set
 * JAIL_RUN_SKIP_CROSS_ARCH=1 to skip with a notice (CI ignores it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import { encodeProgram } from '../../src/bpf/index.js';
import { generateProgram } from '../../src/compile.js';
import { unionWithAllows } from '../../src/launch/compose.js';
import type { Linkage } from '../../src/launch/elf.js';
import { withHostLaunchCalls } from '../../src/launch/host-arch-prefix.js';
import { loadLaunchPrologue } from '../../src/launch/launch-rules.js';
import { parsePolicyText } from '../../src/policy/index.js';
import { buildCpioArchive, type CpioEntry } from '../cross-arch/cpio.js';
import { prepareCrossArchTools, type CrossArchTools } from '../cross-arch/prepare.js';
import { projectRoot } from './probe-fixtures.js';

const skipRequested = process.env.JAIL_RUN_SKIP_CROSS_ARCH === '1' && process.env.CI !== 'true';
if (skipRequested) console.warn('launch prologues on aarch64/arm: skipped because JAIL_RUN_SKIP_CROSS_ARCH=1 (never on CI)');

const TARGETS = [
  { arch: 'aarch64', compiler: 'aarch64-linux-gnu-gcc', sysroot: '/usr/aarch64-linux-gnu/lib', loader: 'ld-linux-aarch64.so.1', multiarch: 'aarch64-linux-gnu' },
  { arch: 'arm', compiler: 'arm-linux-gnueabihf-gcc', sysroot: '/usr/arm-linux-gnueabihf/lib', loader: 'ld-linux-armhf.so.3', multiarch: 'arm-linux-gnueabihf' },
] as const;
const LINKAGES: readonly Linkage[] = ['static', 'dynamic'];
/** What the probe does in main: one allowed call, then exit. */
const POLICY = 'write: 1\nexit_group: 1\ngetppid: 1\n';

interface CaseResult {
  readonly outcome?: string;
  readonly output?: string;
}

let scratch: string;
let results: Map<string, CaseResult>;
let consoleText = '';

function compile(compiler: string, source: string, output: string, flags: string[]): string {
  execFileSync(compiler, ['-O2', '-o', output, source, ...flags], { stdio: 'pipe' });
  return output;
}

/**
 * Stage A as the launcher builds it on an aarch64 host, except that a denial
 * kills (a call the prologue misses must show, not be answered with ENOSYS).
 */
function stageAFilter(archName: string, linkage: Linkage, withPrologue: boolean, withHostPrefix = true): Uint8Array {
  const arch = getShippedArch(archName as 'aarch64' | 'arm');
  const policy = parsePolicyText(POLICY, 'minimal.policy', { arch, useKillProcess: true });
  const ir = withPrologue ? unionWithAllows(policy, loadLaunchPrologue(arch, linkage)) : policy;
  const program = generateProgram(ir, 'optimized');
  return encodeProgram(withHostPrefix ? withHostLaunchCalls(program, arch, getShippedArch('aarch64')) : program);
}

async function bootVm(tools: CrossArchTools, initramfs: string): Promise<string> {
  const argumentsList = [
    '-M', 'virt', '-cpu', 'cortex-a57', '-accel', 'tcg,thread=multi', '-smp', '2', '-m', '1024',
    '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'stdio', '-no-reboot',
    '-kernel', tools.kernel, '-initrd', initramfs,
    '-append', 'console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=1 audit=0',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(tools.qemu, argumentsList, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
  });
}

describe.skipIf(skipRequested)('launch prologues on a real aarch64 kernel (aarch64 and arm compat)', () => {
  beforeAll(async () => {
    const tools = prepareCrossArchTools();
    scratch = mkdtempSync(join(tmpdir(), 'jail-run-prologue-vm-'));
    const probeSource = join(projectRoot, 'test', 'fixtures', 'syscall_probe.c');
    const entries: CpioEntry[] = [
      { kind: 'directory', path: 'dev' },
      { kind: 'character-device', path: 'dev/console', major: 5, minor: 1 },
      { kind: 'character-device', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
      { kind: 'directory', path: 'bin' },
      { kind: 'directory', path: 'filters' },
      { kind: 'directory', path: 'lib' },
      {
        kind: 'file',
        path: 'init',
        data: readFileSync(compile('aarch64-linux-gnu-gcc', join(projectRoot, 'test', 'fixtures', 'stage_a_check.c'), join(scratch, 'init'), ['-static'])),
        mode: 0o755,
      },
    ];
    const plan: string[] = [];
    for (const target of TARGETS) {
      entries.push({ kind: 'directory', path: `lib/${target.multiarch}` });
      entries.push({ kind: 'file', path: `lib/${target.loader}`, data: readFileSync(join(target.sysroot, target.loader)), mode: 0o755 });
      entries.push({ kind: 'file', path: `lib/${target.multiarch}/libc.so.6`, data: readFileSync(join(target.sysroot, 'libc.so.6')), mode: 0o755 });
      for (const linkage of LINKAGES) {
        const name = `${target.arch}-${linkage}`;
        const binary = compile(target.compiler, probeSource, join(scratch, name), linkage === 'static' ? ['-static'] : []);
        entries.push({ kind: 'file', path: `bin/${name}`, data: readFileSync(binary), mode: 0o755 });
        for (const withPrologue of [true, false]) {
          const label = `${name}-${withPrologue ? 'prologue' : 'policy-only'}`;
          entries.push({ kind: 'file', path: `filters/${label}.bpf`, data: stageAFilter(target.arch, linkage, withPrologue) });
          plan.push(`${label} /filters/${label}.bpf /bin/${name} getppid exit 0`);
        }
        plan.push(`${name}-unfiltered - /bin/${name} getppid exit 0`);
        if (target.arch === 'arm') {
          // The execve of an arm program is made by the aarch64 child: without the host prefix the arch check kills it.
          const label = `${name}-no-host-prefix`;
          entries.push({ kind: 'file', path: `filters/${label}.bpf`, data: stageAFilter(target.arch, linkage, true, false) });
          plan.push(`${label} /filters/${label}.bpf /bin/${name} getppid exit 0`);
        }
      }
    }
    entries.push({ kind: 'file', path: 'plan', data: new TextEncoder().encode(`${plan.join('\n')}\n`) });
    const initramfs = join(scratch, 'initramfs.cpio');
    writeFileSync(initramfs, buildCpioArchive(entries));
    consoleText = await bootVm(tools, initramfs);
    results = new Map();
    for (const line of consoleText.split(/\r?\n/)) {
      const outcome = /^@SC (\S+) (exit \d+|signal \d+)$/.exec(line.trim());
      if (outcome) results.set(outcome[1], { ...results.get(outcome[1]), outcome: outcome[2] });
      const output = /^@SC-OUT (\S+) (.*)$/.exec(line.trim());
      if (output) results.set(output[1], { ...results.get(output[1]), output: output[2] });
    }
  }, 600_000);

  afterAll(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  const SIGSYS = 31;
  for (const target of TARGETS) {
    for (const linkage of LINKAGES) {
      const name = `${target.arch}-${linkage}`;
      it(`${name}: runs to main and exits 0 under policy ∪ prologue; without the prologue it is killed`, () => {
        expect(results.get(`${name}-unfiltered`), `the probe itself must run:\n${consoleText.slice(-3000)}`).toEqual({
          outcome: 'exit 0',
          output: 'getppid = 1',
        });
        expect(results.get(`${name}-prologue`), consoleText.slice(-3000)).toEqual({ outcome: 'exit 0', output: 'getppid = 1' });
        expect(results.get(`${name}-policy-only`)?.outcome).toBe(`signal ${SIGSYS}`);
        if (target.arch === 'arm') expect(results.get(`${name}-no-host-prefix`)?.outcome).toBe(`signal ${SIGSYS}`);
      });
    }
  }
});
