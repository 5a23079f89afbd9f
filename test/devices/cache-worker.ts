/**
 * One process of the cache concurrency test (cache-concurrency.test.ts):
 * `writer` keeps removing and re-creating the entry, `reader` keeps looking
 * it up. Prints one line of JSON: the outcomes it saw and any program that
 * differed from the expected one.
 */
import { rmSync } from 'node:fs';
import { resolveArch } from '../../src/arch/index.js';
import { generateProgram } from '../../src/compile.js';
import { generateProgramWithCache } from '../../src/devices/compile-cache.js';
import { parsePolicyText } from '../../src/policy/index.js';

const [role, cacheDir, roundsText] = process.argv.slice(2);
const ir = parsePolicyText('read: 1\nwrite: 1\nioctl: arg1 == FIONBIO || arg1 == FIOCLEX\nmmap: arg2 in ~PROT_EXEC\n', '/concurrency.policy', { arch: resolveArch('x86_64') });
const expected = JSON.stringify(generateProgram(ir, 'optimized', 'bst'));
const outcomes: Record<string, number> = {};
let wrongPrograms = 0;
for (let round = 0; round < Number(roundsText); round++) {
  const result = generateProgramWithCache(ir, 'optimized', 'bst', generateProgram, { cacheDir });
  outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  if (JSON.stringify(result.program) !== expected) wrongPrograms++;
  if (role === 'writer' && result.entryPath !== undefined) rmSync(result.entryPath, { force: true });
}
process.stdout.write(`${JSON.stringify({ role, outcomes, wrongPrograms })}\n`);
