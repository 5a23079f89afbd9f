/**
 * The build (tsconfig.json) type-checks src/ and bench/ only; vitest strips
 * types without checking them. This holds tests, scripts and the vitest
 * config to the same strict rules, so a test that calls an API wrongly fails
 * here instead of passing for the wrong reason.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

it('tests, scripts and sources type-check under the strict settings (tsconfig.check.json)', () => {
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.check.json', '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}, 120_000);
