/**
 * Builds and drives test/fixtures/load_filter.c: the kernel's own verdict on a
 * filter (accepted or not) and on individual system calls made under it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeProgram, type Instruction } from '../../src/bpf/index.js';

const SOURCE = fileURLToPath(new URL('../fixtures/load_filter.c', import.meta.url));

/** The helper can run only on Linux, and our numbers are x86_64's. */
export const canRunKernelTests = process.platform === 'linux' && process.arch === 'x64';

/** One system call: number and up to six arguments (unsigned 64-bit). */
export interface SyscallCall {
  readonly nr: number;
  readonly args: readonly bigint[];
}

/** What the kernel did, as the helper reports it. */
export type KernelOutcome =
  | { readonly kind: 'returned'; readonly value: bigint }
  | { readonly kind: 'errno'; readonly errno: number }
  | { readonly kind: 'trap'; readonly nr: number; readonly data: number }
  | { readonly kind: 'signal'; readonly signal: number }
  | { readonly kind: 'exited'; readonly status: number }
  | { readonly kind: 'timeout' };

export class LoadFilterHelper {
  private constructor(
    private readonly directory: string,
    private readonly binary: string,
  ) {}

  /** Compiles the helper into a fresh temporary directory (throws with cc's output on failure). */
  static build(): LoadFilterHelper {
    const directory = mkdtempSync(path.join(tmpdir(), 'jail-run-kernel-'));
    const binary = path.join(directory, 'load_filter');
    try {
      execFileSync('cc', ['-O1', '-Wall', '-Werror', '-o', binary, SOURCE], { stdio: 'pipe' });
    } catch (error) {
      rmSync(directory, { recursive: true, force: true });
      const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`cannot compile ${SOURCE}: ${(error as Error).message}\n${stderr}`);
    }
    return new LoadFilterHelper(directory, binary);
  }

  dispose(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }

  private writeProgram(program: readonly Instruction[]): string {
    const file = path.join(this.directory, 'filter.bpf');
    writeFileSync(file, encodeProgram(program));
    return file;
  }

  private run(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const result = spawnSync(this.binary, args, { encoding: 'utf8', timeout: 120_000 });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Installs the program in a child; returns null when accepted, else the helper's complaint. */
  load(program: readonly Instruction[]): string | null {
    const { status, stdout, stderr } = this.run([this.writeProgram(program)]);
    if (status === 0 && stdout.trim() === 'loaded') return null;
    return `exit ${status}: ${stdout.trim()} ${stderr.trim()}`.trim();
  }

  /** Makes each call in its own child under the program (or under no filter when program is null). */
  calls(program: readonly Instruction[] | null, calls: readonly SyscallCall[]): KernelOutcome[] {
    if (calls.length === 0) return [];
    const target = program === null ? '-' : this.writeProgram(program);
    const specs = calls.map((call) => [call.nr, ...call.args.map((arg) => BigInt.asUintN(64, arg))].map((n) => `0x${n.toString(16)}`).join(','));
    const { status, stdout, stderr } = this.run([target, ...specs]);
    if (status !== 0) throw new Error(`load_filter exited ${status}: ${stdout}${stderr}`);
    const lines = stdout.trim().split('\n');
    if (lines.length !== calls.length) throw new Error(`load_filter gave ${lines.length} lines for ${calls.length} calls:\n${stdout}`);
    return lines.map((line, index) => parseOutcome(line, index));
  }
}

function parseOutcome(line: string, index: number): KernelOutcome {
  const [position, kind, first, second] = line.split(' ');
  if (Number(position) !== index) throw new Error(`unexpected helper line for call ${index}: ${line}`);
  switch (kind) {
    case 'returned':
      return { kind, value: BigInt(first) };
    case 'errno':
      return { kind, errno: Number(first) };
    case 'trap':
      return { kind, nr: Number(first), data: Number(second) };
    case 'signal':
      return { kind, signal: Number(first) };
    case 'exited':
      return { kind, status: Number(first) };
    case 'timeout':
      return { kind };
    default:
      throw new Error(`unexpected helper line: ${line}`);
  }
}
