/**
 * A jailed program launched from a worker thread whose environment ends
 * (worker.terminate()) while the program runs. The addon's environment
 * clean-up hook stops the watches' libuv handles, kills and reaps the
 * program and closes its fds (docs/launcher.md, "Launching from a worker
 * thread"). Before it, the worker's loop was closed with our poll handles
 * still open and the process crashed (SIGSEGV).
 *
 * The driver runs in its own process (a crash must show as its exit status),
 * bundled to JavaScript with esbuild: Node 20 gives worker threads no
 * TypeScript loader. The bundle lives under node_modules/.cache so that the
 * launcher still finds build/ and the prologues by walking up.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAddonAvailable } from '../../src/launch/native.js';
import { dynamicProbe, haveCompiler, haveStaticLibc, projectRoot, staticProbe } from './probe-fixtures.js';

const canRun = nativeAddonAvailable() && haveCompiler && haveStaticLibc;
if (!canRun) console.warn('worker-teardown tests skipped: needs the native addon (npm install), cc and a static libc');

const POLICY = [
  'write: 1',
  'exit_group: 1',
  'close: 1',
  'mmap: arg2 in ~PROT_EXEC',
  'mprotect: arg2 in ~PROT_EXEC',
  'munmap: 1',
  'nanosleep: 1',
  'clock_nanosleep: 1',
  'clock_gettime: 1',
  'brk: 1',
  'newfstatat: 1',
  'fstat: 1',
  'rt_sigreturn: 1',
  '',
].join('\n');

interface CaseResult {
  program: string;
  deathSignal?: number;
  pid: number;
  line: string;
  stages: string;
  stateBefore: string;
  stateAfter: string;
}

interface DriverReport {
  results: CaseResult[];
  fdsBefore: string[];
  fdsAfter: string[];
  afterLine: string;
  afterCode: number | null;
  bare: CaseResult;
}

let folder: string;
let report: DriverReport;
let status: number | null;
let signal: NodeJS.Signals | null;
let stderr: string;

beforeAll(() => {
  if (!canRun) return;
  folder = join(projectRoot, 'node_modules', '.cache', 'jail-run-worker-teardown', String(process.pid));
  mkdirSync(folder, { recursive: true });
  const policy = join(folder, 'probe.policy');
  writeFileSync(policy, POLICY);
  const driver = join(folder, 'driver.mjs');
  buildSync({
    entryPoints: [join(projectRoot, 'test', 'launch', 'worker-teardown', 'driver.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: driver,
    logLevel: 'silent',
  });
  const run = spawnSync(process.execPath, [driver, dynamicProbe(), staticProbe(), policy], { encoding: 'utf8', timeout: 50_000 });
  status = run.status;
  signal = run.signal;
  stderr = run.stderr;
  report = status === 0 ? (JSON.parse(run.stdout.trim().split('\n').pop()!) as DriverReport) : (undefined as unknown as DriverReport);
}, 60_000);

afterAll(() => {
  if (folder) rmSync(folder, { recursive: true, force: true });
});

describe.skipIf(!canRun)('a worker thread that launched a jailed program ends while it runs', () => {
  it('the process survives: no crash, the driver finishes normally', () => {
    expect({ status, signal, stderr }).toEqual({ status: 0, signal: null, stderr: '' });
  });

  it('the program was running under its filter, then is killed and reaped (gone, not a zombie), with or without a death signal', () => {
    expect(report.results).toHaveLength(4);
    for (const result of report.results) {
      expect(result.line).toBe('started');
      expect(result.stages).toBe(result.program.endsWith('static') ? 'A' : 'A+B');
      expect(result.stateBefore).toBe('running');
      expect(result.stateAfter).toBe('gone');
    }
    expect(report.results.filter((result) => result.deathSignal === 0)).toHaveLength(2);
  });

  it('no fd is left behind by the ended worker (pidfd, listener, channel, pipes)', () => {
    expect(report.fdsAfter).toEqual(report.fdsBefore);
  });

  it('the main thread still launches programs afterwards', () => {
    expect(report.afterLine).toBe('after');
    expect(report.afterCode).toBe(0);
  });

  it('PR_SET_PDEATHSIG is per thread: a bare spawn with no watch dies when its worker thread ends (left a zombie: nobody reaps it)', () => {
    expect(report.bare.stateBefore).toBe('running');
    expect(report.bare.stateAfter).toBe('zombie');
  });
});
