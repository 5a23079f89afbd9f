/**
 * spawnJailed on the real kernel with the probe fixture, static and dynamic:
 * allowed calls work, denied calls are reported with name, arguments and the
 * deciding line, --log-failures goes on and lists every denial, the dynamic
 * program runs its loader under stage A and main under stage B (two filters
 * in /proc/PID/status), x32 and int 0x80 calls are killed by the kernel, and
 * every fault path fails with the right error and nothing left running.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostArch } from '../../src/arch/index.js';
import { instruction } from '../../src/bpf/index.js';
import { LaunchError } from '../../src/launch/errors.js';
import { nativeAddonAvailable } from '../../src/launch/native.js';
import { DEFAULT_STAGE_B_TIMEOUT_MS, spawnJailed, type JailedProcess, type SpawnJailedOptions } from '../../src/launch/spawn-jailed.js';
import { compileC, dynamicProbe, haveCompiler, haveStaticLibc, projectRoot, scratchDirectory, staticProbe } from './probe-fixtures.js';

const haveAddon = nativeAddonAvailable();
const canRun = haveAddon && haveCompiler;
const onX86 = hostArch() === 'x86_64';
if (!canRun) console.warn(`spawn-jailed tests skipped: ${haveAddon ? '' : 'native addon not built (npm install) '}${haveCompiler ? '' : 'no cc'}`);

let scratch: string;
let policyFile: string;
/** 1-based line numbers of the test policy, for the "deciding line" checks. */
const POLICY_LINES = [
  'write: 1',
  'exit_group: 1',
  'getppid: 1',
  'close: 1',
  'read: arg0 == 0',
  'openat: arg2 == O_RDONLY|O_CLOEXEC',
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
];
const lineOf = (prefix: string): number => POLICY_LINES.findIndex((line) => line.startsWith(prefix)) + 1;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'jail-run-spawn-'));
  policyFile = join(scratch, 'probe.policy');
  writeFileSync(policyFile, POLICY_LINES.join('\n'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  child: JailedProcess;
}

function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  if (stream === null) return Promise.resolve('');
  return new Promise((resolve) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => (text += chunk));
    stream.on('end', () => resolve(text));
    stream.on('error', () => resolve(text));
  });
}

async function run(program: string, args: string[], options: Partial<SpawnJailedOptions> = {}): Promise<Finished> {
  const child = spawnJailed(program, args, { policy: policyFile, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const [stdout, stderr, exit] = await Promise.all([collect(child.stdout), collect(child.stderr), child.exited]);
  return { code: exit.code, signal: exit.signal, stdout, stderr, child };
}

const linkages = [
  ['static', () => staticProbe(), haveStaticLibc],
  ['dynamic', () => dynamicProbe(), true],
] as const;

describe.each(linkages)('%s program', (linkage, probe, available) => {
  const enabled = canRun && available;

  it.skipIf(!enabled)('allowed calls work and the exit status comes through', async () => {
    const result = await run(probe(), ['getppid', 'openat', '/dev/null', 'echo', 'hello', 'exit', '3']);
    expect(result.stdout).toContain(`getppid = ${process.pid}`);
    expect(result.stdout).toMatch(/openat = \d+/);
    expect(result.stdout).toContain('hello');
    expect(result.code).toBe(3);
    expect(result.signal).toBeNull();
    expect(result.child.denials).toEqual([]);
  });

  it.skipIf(!enabled)('a denied call is reported (name, number, decoded arguments, deciding line) and the program killed', async () => {
    const result = await run(probe(), ['getppid', 'mmap-exec', 'echo', 'not reached']);
    expect(result.stdout).toContain('getppid =');
    expect(result.stdout).not.toContain('not reached');
    expect(result.signal).toBe('SIGKILL');
    const exit = await result.child.exited;
    expect(exit.denials).toHaveLength(1);
    const denial = exit.denials[0];
    expect(exit.killedForDenial).toBe(denial);
    expect(denial.syscall).toBe(hostArch() === 'arm' ? 'mmap2' : 'mmap');
    expect(denial.number).toBeGreaterThan(0);
    expect(denial.call).toMatch(/^mmap2?\(NULL, 4096, PROT_READ\|PROT_EXEC, MAP_PRIVATE\|MAP_ANONYMOUS, -1, 0x0\)$/);
    expect(denial.reason).toContain(`${policyFile}:${lineOf('mmap')}:`);
    expect(denial.action).toBe('kill-thread');
    expect(denial.response).toEqual({ kind: 'kill' });
  });

  it.skipIf(!enabled)('an unlisted call names the policy file and the default action', async () => {
    const result = await run(probe(), ['getpid']);
    const [denial] = result.child.denials;
    expect(denial.syscall).toBe('getpid');
    expect(denial.call).toBe('getpid()');
    expect(denial.reason).toContain(`${policyFile}: the syscall is not listed`);
    expect(result.signal).toBe('SIGKILL');
  });

  it.skipIf(!enabled)('with logFailures the program goes on, gets EPERM, and every denial is listed in order', async () => {
    const seen: string[] = [];
    const result = await run(probe(), ['getpid', 'mmap-exec', 'getppid', 'getpid', 'echo', 'end'], {
      logFailures: true,
      onDenial: (report) => seen.push(report.syscall),
    });
    expect(result.stdout).toContain('getpid = -EPERM');
    expect(result.stdout).toContain('mmap-exec = -EPERM');
    expect(result.stdout).toContain('end');
    expect(result.code).toBe(1);
    const names = result.child.denials.map((denial) => denial.syscall);
    expect(names).toEqual(['getpid', hostArch() === 'arm' ? 'mmap2' : 'mmap', 'getpid']);
    expect(seen).toEqual(names);
    expect(result.child.denials.every((denial) => denial.response.kind === 'errno')).toBe(true);
  });

  it.skipIf(!enabled)('a rule\'s own errno is the kernel\'s answer, and is reported on request', async () => {
    const errnoPolicy = join(scratch, `errno-${linkage}.policy`);
    writeFileSync(errnoPolicy, POLICY_LINES.filter((line) => !line.startsWith('openat')).join('\n') + 'openat: return EACCES\n');
    const quiet = await run(probe(), ['openat', '/etc/hostname', 'echo', 'after'], { policy: errnoPolicy });
    expect(quiet.stdout).toContain('openat = -EACCES');
    expect(quiet.stdout).toContain('after');
    expect(quiet.child.denials).toEqual([]);
    const reported = await run(probe(), ['openat', '/etc/hostname', 'echo', 'after'], { policy: errnoPolicy, reportErrnoRules: true });
    expect(reported.stdout).toContain('openat = -EACCES');
    expect(reported.stdout).toContain('after');
    expect(reported.child.denials.map((denial) => denial.syscall)).toEqual(['openat']);
    expect(reported.child.denials[0].action).toMatch(/^errno EACCES/);
    expect(reported.child.denials[0].reason).toContain(`${errnoPolicy}:${POLICY_LINES.length - 1}:`);
  });

  it.skipIf(!enabled || !onX86)('x32 and i386 int 0x80 calls are killed by the kernel (x86_64 only)', async () => {
    for (const op of ['x32-getpid', 'int80-getpid']) {
      const result = await run(probe(), ['getppid', op, 'echo', 'not reached'], { logFailures: true });
      expect(result.stdout, op).not.toContain('not reached');
      expect(result.signal, op).toBe('SIGSYS');
      expect(result.child.denials, op).toEqual([]);
    }
  });

  it.skipIf(!enabled)('stdin, stdout and stderr are streams over pipes', async () => {
    const child = spawnJailed(probe(), ['cat'], { policy: policyFile, stdio: 'pipe' });
    const output = collect(child.stdout);
    child.stdin!.end('through the jail\n');
    expect(await output).toBe('through the jail\n');
    expect((await child.exited).code).toBe(0);
  });

  it.skipIf(!enabled)('kill() ends the program with the signal', async () => {
    const child = spawnJailed(probe(), ['sleep-ms', '20000'], { policy: policyFile, stdio: 'ignore' });
    await child.ready;
    expect(child.kill('SIGTERM')).toBe(true);
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(child.kill()).toBe(false);
  });
});

describe('two stages for a dynamic program', () => {
  it.skipIf(!canRun)('the loader runs under stage A, main under the exact policy: two filters, openat denied in main', async () => {
    // No openat and no executable mappings at all: the loader could not start under this policy alone.
    const strict = join(scratch, 'strict.policy');
    writeFileSync(strict, POLICY_LINES.filter((line) => !line.startsWith('openat')).join('\n'));
    const child = spawnJailed(dynamicProbe(), ['wait-stdin', 'openat', '/etc/hostname', 'echo', 'not reached'], {
      policy: strict,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(child.stages).toBe('A+B');
    const stdout = collect(child.stdout);
    await child.ready;
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    expect(status).toMatch(/^Seccomp:\s+2$/m);
    expect(status).toMatch(/^Seccomp_filters:\s+2$/m);
    expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
    child.stdin!.end('x');
    const exit = await child.exited;
    expect(await stdout).not.toContain('not reached');
    expect(exit.killedForDenial?.syscall).toBe('openat');
    expect(exit.killedForDenial?.call).toMatch(/^openat\(AT_FDCWD, 0x[0-9a-f]+, O_RDONLY\|O_CLOEXEC, 0\)$/);
  });

  it.skipIf(!canRun || !haveStaticLibc)('a static program runs on stage A alone, with a notice', async () => {
    const child = spawnJailed(staticProbe(), ['wait-stdin'], { policy: policyFile, stdio: ['pipe', 'ignore', 'ignore'] });
    const notice = new Promise<string>((resolve) => child.once('notice', resolve));
    expect(child.stages).toBe('A');
    await child.ready;
    expect(await notice).toContain('statically linked');
    expect(readFileSync(`/proc/${child.pid}/status`, 'utf8')).toMatch(/^Seccomp_filters:\s+1$/m);
    child.stdin!.end();
    await child.exited;
  });
});

describe('fault paths', () => {
  function launchError(action: () => unknown): LaunchError {
    try {
      action();
    } catch (error) {
      if (error instanceof LaunchError) return error;
      throw error;
    }
    throw new Error('expected a LaunchError');
  }

  it.skipIf(!canRun)('a missing program is NOT_FOUND (127), a non-executable one NOT_EXECUTABLE (126)', () => {
    expect(launchError(() => spawnJailed(join(scratch, 'missing'), [], { policy: policyFile })).exitCode).toBe(127);
    expect(launchError(() => spawnJailed('jail-run-no-such-program', [], { policy: policyFile })).exitCode).toBe(127);
    const data = join(scratch, 'data.bin');
    writeFileSync(data, 'not a program');
    chmodSync(data, 0o644);
    expect(launchError(() => spawnJailed(data, [], { policy: policyFile })).exitCode).toBe(126);
    chmodSync(data, 0o755);
    expect(launchError(() => spawnJailed(data, [], { policy: policyFile })).code).toBe('NOT_EXECUTABLE');
  });

  it.skipIf(!canRun)('a filter the kernel refuses is a clear error and nothing is left running', () => {
    const childrenBefore = childPids();
    // 0xffff is no BPF opcode: seccomp(2) says EINVAL.
    const error = launchError(() => spawnJailed(dynamicProbe(), [], { policy: { rawProgram: [instruction(0xffff, 0, 0, 0)] } }));
    expect(error.code).toBe('FILTER_REJECTED');
    expect(error.exitCode).toBe(125);
    expect(error.message).toMatch(/kernel refused filter 0 \(EINVAL\)/);
    expect(childPids()).toEqual(childrenBefore);
  });

  it.skipIf(!canRun)('a missing preload library fails closed: the program is killed and exited rejects', async () => {
    const child = spawnJailed(dynamicProbe(), ['sleep-ms', '20000'], {
      policy: policyFile,
      stdio: 'ignore',
      preloadPath: join(scratch, 'no-such-preload.so'),
      stageBTimeoutMs: 1500,
    });
    await expect(child.ready).rejects.toMatchObject({ code: 'STAGE_B_UNCONFIRMED' });
    await expect(child.exited).rejects.toThrow(/did not confirm stage B within 1500 ms.*fail closed/);
    expect(child.running).toBe(false);
  });

  it.skipIf(!canRun)('the default confirmation timeout is 2 s (bench/stage-b-latency.ts; docs/launcher.md)', async () => {
    expect(DEFAULT_STAGE_B_TIMEOUT_MS).toBe(2000);
    const child = spawnJailed(dynamicProbe(), ['sleep-ms', '20000'], {
      policy: policyFile,
      stdio: 'ignore',
      preloadPath: join(scratch, 'no-such-preload.so'),
    });
    await expect(child.exited).rejects.toThrow(/did not confirm stage B within 2000 ms.*fail closed/);
    expect(child.running).toBe(false);
  });

  it.skipIf(!canRun)('a confirmation that arrived while the launcher was busy past the timeout still counts', async () => {
    const child = spawnJailed(dynamicProbe(), ['echo', 'main ran', 'sleep-ms', '20000'], {
      policy: policyFile,
      stdio: ['ignore', 'pipe', 'ignore'],
      stageBTimeoutMs: 100,
    });
    // Block this thread (as a burst of spawns would) well past the timeout,
    // long enough for the preload to confirm meanwhile: when the loop runs
    // again, the timer and the confirmation are both due, timer first.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    await expect(child.ready).resolves.toBeUndefined();
    expect(child.kill('SIGKILL')).toBe(true);
    const exit = await child.exited;
    expect(exit.signal).toBe('SIGKILL');
  });

  it.skipIf(!canRun)('a preload that does not confirm (closes the channel) fails closed before main', async () => {
    const directory = scratchDirectory('fake-preload');
    const source = join(directory, 'silent_preload.c');
    writeFileSync(
      source,
      [
        '#include <stdlib.h>',
        '#include <unistd.h>',
        '/* Loaded in place of jail-run\'s preload: closes the stage-B channel without a reply. */',
        '__attribute__((constructor)) static void silent(void) {',
        '  const char *fd = getenv("JAIL_RUN_STAGE_B_FD");',
        '  if (fd != NULL) close(atoi(fd));',
        '}',
        '',
      ].join('\n'),
    );
    const library = compileC(source, join(directory, 'silent_preload.so'), ['-shared', '-fPIC']);
    const child = spawnJailed(dynamicProbe(), ['sleep-ms', '20000', 'echo', 'main ran'], {
      policy: policyFile,
      stdio: ['ignore', 'pipe', 'ignore'],
      preloadPath: library,
    });
    const stdout = collect(child.stdout);
    await expect(child.exited).rejects.toMatchObject({ code: 'STAGE_B_UNCONFIRMED', exitCode: 125 });
    expect(await stdout).not.toContain('main ran');
  });

  it.skipIf(!canRun)('when the launcher is killed with SIGKILL, the program dies too', async () => {
    const script = join(scratch, 'launcher.mjs');
    writeFileSync(
      script,
      [
        `import { spawnJailed } from ${JSON.stringify(join(projectRoot, 'src/launch/spawn-jailed.ts'))};`,
        `const child = spawnJailed(${JSON.stringify(dynamicProbe())}, ['sleep-ms', '60000'], { policy: ${JSON.stringify(policyFile)}, stdio: 'ignore' });`,
        'await child.ready;',
        'process.stdout.write(`${child.pid}\\n`);',
        'await child.exited;',
        '',
      ].join('\n'),
    );
    const launcher = spawn(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = Number((await firstLine(launcher.stdout)).trim());
    expect(pid).toBeGreaterThan(0);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    launcher.kill('SIGKILL');
    await new Promise((resolve) => launcher.once('exit', resolve));
    expect(await becomesFalse(() => isAlive(pid), 5000)).toBe(true);
  });
});

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    stream.on('end', () => reject(new Error(`no line from the launcher (got "${text}")`)));
  });
}

/** Alive and not a zombie waiting for a reaper. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function becomesFalse(check: () => boolean, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if (!check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return !check();
}

/** Our own children, as the kernel lists them. */
function childPids(): string[] {
  const tasks = readdirSync(`/proc/${process.pid}/task`);
  return tasks.flatMap((task) => readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)).sort();
}
