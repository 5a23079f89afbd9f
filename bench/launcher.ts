/**
 * Launcher figures (run by bench/run.ts; `npm run bench`):
 *
 * 1. spawn-to-exit time of a short static program started by spawnJailed
 *    (ELF check, stage A, listener, pidfd exit watch) against
 *    child_process.spawn of the same binary with the same arguments;
 *    target: ratio ≤ 1.5.
 * 2. the cost of one getppid() inside the program: unfiltered, jailed with
 *    getppid plainly allowed (the kernel's action cache skips the filter),
 *    and jailed with getppid behind an argument test (the filter runs).
 *
 * The probe is test/fixtures/syscall_probe.c, built here with cc.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostArch, resolveArch } from '../src/arch/index.js';
import { compilePolicy, type CompiledPolicy } from '../src/compile.js';
import { ret, SECCOMP_RET_ALLOW } from '../src/bpf/index.js';
import { packageRoot } from '../src/devices/package-root.js';
import { nativeAddonAvailable } from '../src/launch/native.js';
import { spawnJailed, type RawFilter } from '../src/launch/spawn-jailed.js';

const SPAWN_ROUNDS = 300;
const GETPPID_CALLS = 2_000_000;
const GETPPID_RUNS = 7;

interface Summary {
  readonly mean: number;
  readonly median: number;
}

function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  return { mean, median: sorted[Math.floor(sorted.length / 2)] };
}

const ms = (value: number): string => `${value.toFixed(2)} ms`;

function buildProbe(directory: string): string | undefined {
  const source = join(packageRoot(), 'test', 'fixtures', 'syscall_probe.c');
  const output = join(directory, 'syscall_probe_static');
  try {
    execFileSync('cc', ['-O2', '-static', '-o', output, source], { stdio: 'pipe' });
    return output;
  } catch (error) {
    console.log(`  cannot build the static probe (${(error as Error).message.split('\n')[0]}): skipped`);
    return undefined;
  }
}

async function spawnPlain(program: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', () => resolve(output));
  });
}

async function spawnJailedOnce(program: string, args: string[], policy: CompiledPolicy | RawFilter): Promise<string> {
  const child = spawnJailed(program, args, { policy, stdio: ['ignore', 'pipe', 'ignore'] });
  let output = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => (output += chunk));
  const [exit] = await Promise.all([child.exited, new Promise((resolve) => child.stdout!.on('close', resolve))]);
  if (exit.code !== 0) throw new Error(`jailed ${program} ${args.join(' ')} ended with ${exit.code ?? exit.signal}`);
  return output;
}

function nanosecondsPerCall(output: string): number {
  const match = /^loop-getppid \d+ ([\d.]+)$/m.exec(output);
  if (match === null) throw new Error(`no loop figure in the probe's output: ${output}`);
  return Number(match[1]);
}

export async function runLauncherBench(): Promise<void> {
  console.log('\nLauncher');
  if (!nativeAddonAvailable()) {
    console.log('  native addon not built (npm install): skipped');
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'jail-run-bench-'));
  try {
    const probe = buildProbe(scratch);
    if (probe === undefined || !existsSync(probe)) return;
    const arch = resolveArch(hostArch());
    const writePolicy = (name: string, getppidRule: string): CompiledPolicy => {
      const file = join(scratch, name);
      writeFileSync(file, ['write: 1', 'exit_group: 1', 'clock_gettime: 1', getppidRule, ''].join('\n'));
      return compilePolicy(file, { arch });
    };
    const cached = writePolicy('cached.policy', 'getppid: 1');
    // Always true, but an argument test keeps the syscall out of the kernel's action cache.
    const filtered = writePolicy('filtered.policy', 'getppid: arg0 == 0 || arg0 != 0');

    // Warm both paths (addon load, page cache, prologue parse) before measuring.
    for (let index = 0; index < 20; index++) {
      await spawnPlain(probe, ['exit', '0']);
      await spawnJailedOnce(probe, ['exit', '0'], cached);
    }
    const plain: number[] = [];
    const jailed: number[] = [];
    for (let round = 0; round < SPAWN_ROUNDS; round++) {
      let started = performance.now();
      await spawnPlain(probe, ['exit', '0']);
      plain.push(performance.now() - started);
      started = performance.now();
      await spawnJailedOnce(probe, ['exit', '0'], cached);
      jailed.push(performance.now() - started);
    }
    const plainSummary = summarize(plain);
    const jailedSummary = summarize(jailed);
    console.log(`  spawn to exit, static probe, ${SPAWN_ROUNDS} rounds interleaved (mean / median):`);
    console.log(`    child_process.spawn  ${ms(plainSummary.mean)} / ${ms(plainSummary.median)}`);
    console.log(`    spawnJailed          ${ms(jailedSummary.mean)} / ${ms(jailedSummary.median)}`);
    const ratio = jailedSummary.median / plainSummary.median;
    console.log(`    ratio (medians)      ${ratio.toFixed(2)}  (target <= 1.5: ${ratio <= 1.5 ? 'met' : 'NOT met'})`);

    const loop = ['loop-getppid', String(GETPPID_CALLS)];
    const variants = {
      unfiltered: () => spawnPlain(probe, loop),
      // One `ret ALLOW`: what any seccomp filter costs on syscall entry, whatever it says.
      allowAll: () => spawnJailedOnce(probe, loop, { rawProgram: [ret(SECCOMP_RET_ALLOW)] }),
      jailedCached: () => spawnJailedOnce(probe, loop, cached),
      jailedFiltered: () => spawnJailedOnce(probe, loop, filtered),
    };
    // Rounds interleave the variants so that load from elsewhere on the machine hits them alike; the best run counts.
    const best: Record<keyof typeof variants, number> = { unfiltered: Infinity, allowAll: Infinity, jailedCached: Infinity, jailedFiltered: Infinity };
    for (let round = 0; round < GETPPID_RUNS; round++) {
      for (const name of Object.keys(variants) as (keyof typeof variants)[]) {
        best[name] = Math.min(best[name], nanosecondsPerCall(await variants[name]()));
      }
    }
    const { unfiltered, allowAll, jailedCached, jailedFiltered } = best;
    console.log(`  getppid() cost, ${GETPPID_CALLS} calls, best of ${GETPPID_RUNS} interleaved runs:`);
    console.log(`    unfiltered                              ${unfiltered.toFixed(1)} ns`);
    console.log(`    any filter: a one-instruction allow-all ${allowAll.toFixed(1)} ns  (+${(allowAll - unfiltered).toFixed(1)} ns: seccomp's entry cost)`);
    console.log(`    jailed, plainly allowed (kernel-cached) ${jailedCached.toFixed(1)} ns  (+${(jailedCached - unfiltered).toFixed(1)} ns)`);
    console.log(`    jailed, behind an argument test         ${jailedFiltered.toFixed(1)} ns  (+${(jailedFiltered - unfiltered).toFixed(1)} ns)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
