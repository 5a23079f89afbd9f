/**
 * A JavaScript exception thrown inside a callback the launcher calls from
 * its native watches (an addon watch callback, onDenial, a 'denial', 'ready'
 * or 'exit' listener) surfaces as an uncaught exception, the normal Node way,
 * and the launcher still does its job: the denied program is killed and
 * `exited` settles. A driver process does the throwing (tsx), so the test
 * runner never sees those exceptions.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAddonAvailable } from '../../src/launch/native.js';
import { dynamicProbe, haveCompiler, haveStaticLibc, projectRoot, staticProbe } from './probe-fixtures.js';

const canRun = nativeAddonAvailable() && haveCompiler && haveStaticLibc;
if (!canRun) console.warn('callback-errors tests skipped: needs the native addon (npm install), cc and a static libc');

/** getpid is not listed: the default (kill) applies, and the launcher kills the program. */
const POLICY = ['write: 1', 'exit_group: 1', 'close: 1', 'mmap: arg2 in ~PROT_EXEC', 'mprotect: arg2 in ~PROT_EXEC', 'munmap: 1', 'brk: 1', 'newfstatat: 1', 'fstat: 1', ''].join('\n');
const driver = join(projectRoot, 'test', 'launch', 'callback-errors', 'driver.ts');

let scratch: string;
let policy: string;

function runDriver(withHandler: boolean): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', driver, dynamicProbe(), staticProbe(), policy], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 50_000,
    env: { ...process.env, JAIL_RUN_HANDLER: withHandler ? '1' : '0' },
  });
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'jail-run-callback-errors-'));
  policy = join(scratch, 'probe.policy');
  writeFileSync(policy, POLICY);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.skipIf(!canRun)('exceptions thrown in launcher callbacks', () => {
  it("reach process.on('uncaughtException'), and every program is still handled and its exit settled", () => {
    const run = runDriver(true);
    expect({ status: run.status, signal: run.signal, stderr: run.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
    const { uncaught, results } = JSON.parse(run.stdout.trim()) as { uncaught: string[]; results: Record<string, unknown> };
    expect([...uncaught].sort()).toEqual(
      [
        'thrown by a watchExit callback',
        'thrown by onDenial (dynamic)',
        'thrown by onDenial (static)',
        "thrown by a 'denial' listener",
        "thrown by a 'ready' listener",
        "thrown by an 'exit' listener (dynamic)",
        "thrown by an 'exit' listener (static)",
      ].sort(),
    );
    const killed = { code: null, signal: 'SIGKILL', killedFor: 'getpid' };
    expect(results).toEqual({
      'onDenial dynamic': killed,
      'onDenial static': killed,
      'denial listener': killed,
      'ready listener': { code: 0, signal: null, killedFor: null },
      'exit listener dynamic': { code: 3, signal: null, killedFor: null },
      'exit listener static': { code: 3, signal: null, killedFor: null },
    });
  });

  it('without a handler, end the process as any uncaught exception does (status 1, the error on stderr)', () => {
    const run = runDriver(false);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Error: unhandled: thrown by a watchExit callback');
  });
});
