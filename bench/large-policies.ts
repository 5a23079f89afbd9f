/**
 * Compile time and peak memory for generated huge policies (bench/large-policy-source.ts),
 * both layouts, one child process per case so each peak is its own.
 * Run: npx tsx bench/large-policies.ts  (or node dist/bench/large-policies.js after a build).
 * Figures go in docs/optimized-layout.md ("Large policies").
 */
import { spawnSync } from 'node:child_process';
import { compilePolicyText } from '../src/compile.js';
import { largePolicy, type LargePolicyKind } from './large-policy-source.js';

const KINDS: readonly LargePolicyKind[] = ['argument-values', 'syscall-numbers', 'syscall-numbers-x32'];
const COUNTS = [250, 500, 1000, 2000, 3000, 4100, 10000, 50000];
const LAYOUTS = ['optimized', 'minijail'] as const;
/** A case that takes longer than this is reported as a hang. */
const CHILD_TIME_LIMIT_MS = 120_000;

function runCase(kind: LargePolicyKind, count: number, layout: string): void {
  const { text, arch } = largePolicy(kind, count);
  const started = performance.now();
  let outcome: string;
  try {
    const { program } = compilePolicyText(text, 'large.policy', { arch, layout: layout as 'optimized' | 'minijail', defaultAction: 'trap' });
    outcome = `${program.length} instructions`;
  } catch (error) {
    outcome = error instanceof Error ? `${error.name}${/at least/.test(error.message) ? ' (lower bound)' : ''}` : String(error);
  }
  const milliseconds = performance.now() - started;
  const peakMegabytes = process.resourceUsage().maxRSS / 1024;
  console.log(`${kind.padEnd(19)} ${String(count).padStart(6)} ${layout.padEnd(10)} ${milliseconds.toFixed(0).padStart(7)} ms ${peakMegabytes.toFixed(0).padStart(6)} MB  ${outcome}`);
}

if (process.argv.length === 5) {
  runCase(process.argv[2] as LargePolicyKind, Number(process.argv[3]), process.argv[4]);
} else {
  console.log('kind                 values layout       compile   peak RSS  result');
  for (const kind of KINDS) {
    for (const count of COUNTS) {
      for (const layout of LAYOUTS) {
        const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1], kind, String(count), layout], {
          stdio: ['ignore', 'inherit', 'inherit'],
          timeout: CHILD_TIME_LIMIT_MS,
        });
        if (child.error !== undefined || child.signal !== null) console.log(`${kind} ${count} ${layout}: no result within ${CHILD_TIME_LIMIT_MS / 1000} s`);
      }
    }
  }
}
