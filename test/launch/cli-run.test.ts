/**
 * `jail-run --policy FILE -- PROGRAM [ARGS]` as a user runs it (the TS
 * entry through tsx, so the test needs no build): exit statuses, denial
 * reports on stderr, --log-failures, and signals forwarded to the program.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeAddonAvailable } from '../../src/launch/native.js';
import { dynamicProbe, haveCompiler, projectRoot } from './probe-fixtures.js';

const enabled = nativeAddonAvailable() && haveCompiler;
if (!enabled) console.warn('CLI run tests skipped: needs the native addon and cc');

const cliSource = join(projectRoot, 'src', 'cli', 'main.ts');
let scratch: string;
let policy: string;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'jail-run-cli-run-'));
  policy = join(scratch, 'probe.policy');
  writeFileSync(
    policy,
    ['write: 1', 'exit_group: 1', 'getppid: 1', 'read: 1', 'nanosleep: 1', 'clock_nanosleep: 1', 'rt_sigreturn: 1', ''].join('\n'),
  );
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function jailRun(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', cliSource, ...args], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('jail-run --policy FILE -- PROGRAM', () => {
  it.skipIf(!enabled)('exits with the program\'s status', () => {
    const result = jailRun(['--policy', policy, '--', dynamicProbe(), 'getppid', 'exit', '42']);
    expect(result.stdout).toMatch(/getppid = \d+/);
    expect(result.status).toBe(42);
    expect(result.stderr).toBe('');
  });

  it.skipIf(!enabled)('a denial is reported on stderr with the deciding file and the status is 128+SIGSYS', () => {
    const result = jailRun(['--policy', policy, '--', dynamicProbe(), 'getpid', 'echo', 'not reached']);
    expect(result.status).toBe(128 + osConstants.signals.SIGSYS);
    expect(result.stdout).not.toContain('not reached');
    expect(result.stderr).toContain('jail-run: denied getpid()');
    expect(result.stderr).toContain(`${policy}: the syscall is not listed`);
    expect(result.stderr).toContain('the program was killed');
  });

  it.skipIf(!enabled)('--log-failures lets the program go on and lists every denial', () => {
    const result = jailRun(['--policy', policy, '--log-failures', '--', dynamicProbe(), 'getpid', 'mmap-exec', 'getpid', 'echo', 'end']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('end');
    expect(result.stderr.match(/^jail-run: denied /gm)).toHaveLength(3);
    expect(result.stderr).toContain('PROT_READ|PROT_EXEC');
    expect(result.stderr).toMatch(/3 denied calls: getpid \(2x\), mmap/);
  });

  it.skipIf(!enabled)('--default-action is named as the source of the default', () => {
    const result = jailRun(['--policy', policy, '--default-action', 'return 1', '--', dynamicProbe(), 'getpid', 'echo', 'end']);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain('getpid = -EPERM');
    expect(result.stderr).toContain('from --default-action');
  });

  it.skipIf(!enabled)('launcher failures: 127 not found, 126 not executable, 125 for a bad policy', () => {
    expect(jailRun(['--policy', policy, '--', join(scratch, 'missing')]).status).toBe(127);
    const data = join(scratch, 'data');
    writeFileSync(data, 'data');
    chmodSync(data, 0o644);
    const notExecutable = jailRun(['--policy', policy, '--', data]);
    expect(notExecutable.status).toBe(126);
    expect(notExecutable.stderr).toContain('not executable');
    const badPolicy = join(scratch, 'bad.policy');
    writeFileSync(badPolicy, 'write: 1\nnot_a_syscall: 1\n');
    const bad = jailRun(['--policy', badPolicy, '--', dynamicProbe()]);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toContain(`${badPolicy}(2:1)`);
    expect(jailRun(['--policy', join(scratch, 'nope.policy'), '--', dynamicProbe()]).status).toBe(125);
  });

  it.skipIf(!enabled)('a program killed by a signal gives 128+N, and SIGTERM to jail-run reaches the program', async () => {
    const launcher = spawn(process.execPath, ['--import', 'tsx', cliSource, '--policy', policy, '--', dynamicProbe(), 'echo', 'started', 'sleep-ms', '30000'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    launcher.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve) => launcher.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve()));
    launcher.kill('SIGTERM');
    const status = await new Promise<number | null>((resolve) => launcher.on('exit', (code) => resolve(code)));
    expect(status, stderr).toBe(128 + osConstants.signals.SIGTERM);
  });
});
