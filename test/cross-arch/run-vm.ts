/**
 * Boots Debian's arm64 kernel once in QEMU (TCG) with an initramfs whose init
 * is the aarch64 probe; init starts one runner per case file (aarch64 ones
 * natively, armhf ones through AArch32 compat), prints their result lines
 * on the serial console and powers off.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildCpioArchive, type CpioEntry } from './cpio.js';

export interface VmRunner {
  /** Which probe runs this case file inside the VM. */
  readonly probe: 'aarch64' | 'arm';
  /** Label printed on the runner's BEGIN/END lines. */
  readonly label: string;
  readonly caseFileText: string;
}

export interface VmOptions {
  readonly qemu: string;
  readonly kernel: string;
  readonly probeAarch64: string;
  readonly probeArm: string;
  readonly runners: readonly VmRunner[];
  /** Virtual CPUs; runners share them. */
  readonly cpus?: number;
  readonly timeoutMs?: number;
}

export interface VmResult {
  readonly console: string;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly elapsedMs: number;
  /** From QEMU's start to the init's first line (kernel boot), when it came. */
  readonly bootMs: number | undefined;
}

export function buildInitramfs(options: Pick<VmOptions, 'probeAarch64' | 'probeArm' | 'runners'>): Uint8Array {
  const encoder = new TextEncoder();
  const entries: CpioEntry[] = [
    { kind: 'directory', path: 'dev' },
    { kind: 'character-device', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'character-device', path: 'dev/null', major: 1, minor: 3, mode: 0o666 },
    { kind: 'directory', path: 'proc' },
    { kind: 'directory', path: 'tmp', mode: 0o1777 },
    { kind: 'directory', path: 'cases' },
    { kind: 'file', path: 'init', data: new Uint8Array(readFileSync(options.probeAarch64)), mode: 0o755 },
    { kind: 'file', path: 'probe-aarch64', data: new Uint8Array(readFileSync(options.probeAarch64)), mode: 0o755 },
    { kind: 'file', path: 'probe-arm', data: new Uint8Array(readFileSync(options.probeArm)), mode: 0o755 },
  ];
  const planLines: string[] = [];
  options.runners.forEach((runner, index) => {
    if (!/^[\w.-]+$/.test(runner.label)) throw new Error(`runner label "${runner.label}" must be a plain word`);
    const caseFile = `cases/${index}.txt`;
    entries.push({ kind: 'file', path: caseFile, data: encoder.encode(runner.caseFileText) });
    planLines.push(`/probe-${runner.probe} /${caseFile} ${runner.label}`);
  });
  entries.push({ kind: 'file', path: 'plan', data: encoder.encode(`${planLines.join('\n')}\n`) });
  return buildCpioArchive(entries);
}

export async function runVm(options: VmOptions): Promise<VmResult> {
  const workDirectory = mkdtempSync(path.join(tmpdir(), 'jail-run-cross-arch-'));
  try {
    const initramfs = path.join(workDirectory, 'initramfs.cpio');
    writeFileSync(initramfs, buildInitramfs(options));
    const argumentsList = [
      '-M', 'virt',
      // A CPU with AArch32 at EL0, so the armhf probe runs under compat
      // (AUDIT_ARCH_ARM). Not `max`: its pointer authentication is slow to
      // emulate, and the kernel uses it on every function return.
      '-cpu', 'cortex-a57',
      '-accel', 'tcg,thread=multi',
      '-smp', String(options.cpus ?? 2),
      '-m', '1024',
      '-nodefaults', '-display', 'none', '-monitor', 'none', '-serial', 'stdio',
      '-no-reboot',
      '-kernel', options.kernel,
      '-initrd', initramfs,
      '-append', 'console=ttyAMA0 rdinit=/init panic=-1 quiet loglevel=1 audit=0',
    ];
    const started = Date.now();
    // Generous: a loaded 2-core machine has been seen to need several times the idle time.
    const timeoutMs = options.timeoutMs ?? 600_000;
    return await new Promise<VmResult>((resolve, reject) => {
      const child = spawn(options.qemu, argumentsList, { stdio: ['ignore', 'pipe', 'pipe'] });
      const output: Buffer[] = [];
      const errors: Buffer[] = [];
      let timedOut = false;
      let bootMs: number | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => {
        output.push(chunk);
        if (bootMs === undefined && Buffer.concat(output.slice(-2)).includes('@JR-INIT')) bootMs = Date.now() - started;
      });
      child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot start ${options.qemu}: ${error.message}`));
      });
      child.on('close', (exitCode, signal) => {
        clearTimeout(timer);
        const stderrText = Buffer.concat(errors).toString('utf8').trim();
        resolve({
          console: Buffer.concat(output).toString('latin1') + (stderrText ? `\n[qemu stderr]\n${stderrText}\n` : ''),
          exitCode,
          signal,
          timedOut,
          elapsedMs: Date.now() - started,
          bootMs,
        });
      });
    });
  } finally {
    rmSync(workDirectory, { recursive: true, force: true });
  }
}
