/**
 * Many jailed spawns from one process: 1,000 one after the other and 100 at
 * once, of a short static program. Every exit must be reported with the
 * program's status, and afterwards no fd may be left open and no child left
 * unreaped.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveArch, hostArch } from '../../src/arch/index.js';
import { compilePolicy, type CompiledPolicy } from '../../src/compile.js';
import { nativeAddonAvailable } from '../../src/launch/native.js';
import { spawnJailed } from '../../src/launch/spawn-jailed.js';
import { haveCompiler, haveStaticLibc, staticProbe } from './probe-fixtures.js';

const enabled = nativeAddonAvailable() && haveCompiler && haveStaticLibc;
if (!enabled) console.warn('load test skipped: needs the native addon, cc and a static libc');

let scratch: string;
let policy: CompiledPolicy;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'jail-run-load-'));
  const file = join(scratch, 'short.policy');
  writeFileSync(file, 'exit_group: 1\nwrite: 1\n');
  policy = compilePolicy(file, { arch: resolveArch(hostArch()) });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const openFds = (): string[] => readdirSync('/proc/self/fd').sort();

function childPids(): string[] {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
  );
}

async function runShort(status: number): Promise<number | null> {
  const child = spawnJailed(staticProbe(), ['exit', String(status)], { policy, stdio: 'ignore' });
  const exit = await child.exited;
  return exit.code;
}

describe('load', () => {
  it.skipIf(!enabled)('1,000 sequential and 100 concurrent spawns: every exit reported, no fd leaked, no zombie', async () => {
    const program = staticProbe();
    // Warm-up: the first spawn loads the addon and parses the prologue.
    expect(await runShort(0)).toBe(0);
    const fdsBefore = openFds();

    for (let index = 0; index < 1000; index++) {
      const status = index % 100;
      const code = await runShort(status);
      if (code !== status) throw new Error(`spawn ${index} of ${program}: exit ${code}, expected ${status}`);
    }
    const concurrent = await Promise.all(Array.from({ length: 100 }, (_, index) => runShort(index)));
    expect(concurrent).toEqual(Array.from({ length: 100 }, (_, index) => index));

    expect(openFds()).toEqual(fdsBefore);
    expect(childPids()).toEqual([]);
  });
});
