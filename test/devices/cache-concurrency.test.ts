import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const worker = join(import.meta.dirname, 'cache-worker.ts');
let cacheDir = '';
afterEach(() => {
  if (cacheDir !== '') rmSync(cacheDir, { recursive: true, force: true });
});

interface WorkerReport {
  role: string;
  outcomes: Record<string, number>;
  wrongPrograms: number;
}

describe('compile cache under concurrent processes', () => {
  it('never shows a reader a partial entry while writers replace it', async () => {
    cacheDir = mkdtempSync(join(tmpdir(), 'jail-run-cache-concurrency-'));
    const roles = ['writer', 'writer', 'reader', 'reader'];
    const results = await Promise.all(
      roles.map((role) => run(process.execPath, ['--import', 'tsx', worker, role, cacheDir, '300'], { cwd: join(import.meta.dirname, '..', '..') })),
    );
    const reports = results.map((result) => JSON.parse(result.stdout) as WorkerReport);
    for (const report of reports) {
      expect(report.wrongPrograms).toBe(0);
      expect(report.outcomes.corrupt ?? 0).toBe(0);
    }
    // The readers did meet entries the writers made (or the test proved nothing).
    const readerHits = reports.filter((report) => report.role === 'reader').reduce((sum, report) => sum + (report.outcomes.hit ?? 0), 0);
    expect(readerHits).toBeGreaterThan(0);
    expect(readdirSync(cacheDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
