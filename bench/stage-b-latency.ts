/**
 * Stage-B confirmation latency: how long a dynamic program takes from
 * spawnJailed to the preload's confirmation (`ready`), idle and with the
 * machine's cores saturated, one at a time and many at once. These figures
 * choose the default of `stageBTimeoutMs` / `--stage-b-timeout`
 * (docs/launcher.md, "Fail closed"): until the confirmation comes, a dynamic
 * program runs under stage A, so the timeout should be as short as is safe.
 *
 *   node --import tsx bench/stage-b-latency.ts [ROUNDS]
 *
 * Load: one busy-looping process per core (plus as many again for the
 * "2x oversubscribed" rows), nice 0 like the launcher. The probe is
 * test/fixtures/syscall_probe.c, dynamically linked, built here with cc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/devices/package-root.js';
import { spawnJailed } from '../src/launch/spawn-jailed.js';

const POLICY = ['write: 1', 'exit_group: 1', 'close: 1', 'mmap: arg2 in ~PROT_EXEC', 'mprotect: arg2 in ~PROT_EXEC', 'munmap: 1', 'brk: 1', 'newfstatat: 1', 'fstat: 1', ''].join('\n');

/**
 * Milliseconds from the return of spawnJailed (where the timeout's clock
 * starts) to `ready`, for one program that exits at once. With many spawns
 * at once this includes the launcher's own loop being busy with the others,
 * so it is an upper bound of what the timeout has to cover.
 */
async function confirmationLatency(program: string, policy: string): Promise<number> {
  // A long timeout: we measure the confirmation, we do not want the launcher to give up.
  const child = spawnJailed(program, ['exit', '0'], { policy, stdio: 'ignore', stageBTimeoutMs: 120_000 });
  const start = process.hrtime.bigint();
  await child.ready;
  const latency = Number(process.hrtime.bigint() - start) / 1e6;
  await child.exited;
  return latency;
}

async function sequential(program: string, policy: string, rounds: number): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) samples.push(await confirmationLatency(program, policy));
  return samples;
}

async function concurrent(program: string, policy: string, count: number): Promise<number[]> {
  return Promise.all(Array.from({ length: count }, () => confirmationLatency(program, policy)));
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

function report(label: string, samples: readonly number[]): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const figures = [
    `median ${percentile(sorted, 0.5).toFixed(2)}`,
    `p99 ${percentile(sorted, 0.99).toFixed(2)}`,
    `max ${sorted[sorted.length - 1]!.toFixed(2)} ms`,
  ].join(', ');
  console.log(`  ${label.padEnd(44)} n=${String(samples.length).padStart(4)}  ${figures}  (load average ${loadavg()[0]!.toFixed(2)})`);
}

function startLoad(processes: number): ChildProcess[] {
  return Array.from({ length: processes }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
}

async function stopLoad(load: ChildProcess[]): Promise<void> {
  await Promise.all(
    load.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}

export async function runStageBLatencyBench(rounds = 200): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'jail-run-stage-b-bench-'));
  const cores = availableParallelism();
  try {
    const program = join(directory, 'syscall_probe_dynamic');
    execFileSync('cc', ['-O2', '-o', program, join(packageRoot(), 'test', 'fixtures', 'syscall_probe.c')], { stdio: 'pipe' });
    const policy = join(directory, 'probe.policy');
    writeFileSync(policy, POLICY);
    console.log(`stage-B confirmation latency (spawnJailed returned → ready), dynamic probe, ${cores} cores:`);
    await sequential(program, policy, 10); // warm-up: page cache, policy parse, JIT
    report('idle, one at a time', await sequential(program, policy, rounds));
    report('idle, 100 at once', await concurrent(program, policy, 100));
    for (const factor of [1, 2, 4]) {
      const load = startLoad(cores * factor);
      try {
        await new Promise((resolve) => setTimeout(resolve, 500)); // let the load ramp up
        const name = factor === 1 ? 'cores saturated' : `${factor}x oversubscribed`;
        report(`${name}, one at a time`, await sequential(program, policy, rounds));
        report(`${name}, 100 at once`, await concurrent(program, policy, 100));
      } finally {
        await stopLoad(load);
      }
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const rounds = Number(process.argv[2] ?? 200);
  runStageBLatencyBench(Number.isInteger(rounds) && rounds > 0 ? rounds : 200).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
