/**
 * The native addon on the real kernel: spawn and its failure stages, exit
 * reporting, stage-A filters (kill, errno, USER_NOTIF with the listener held
 * here), the stage-B preload protocol, and no fd or zombie left behind.
 * Filters are built by hand so that these tests depend on the BPF model only.
 */
import { execFileSync, spawn as spawnChildProcess } from 'node:child_process';
import { closeSync, createReadStream, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getShippedArch, hostArch } from '../../src/arch/index.js';
import {
  encodeProgram,
  instruction,
  loadAbsolute,
  OP_JA,
  OP_JEQ_K,
  ret,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_USER_NOTIF,
} from '../../src/bpf/index.js';
import {
  nativeAddonAvailable,
  preloadLibraryPath,
  sendSignal,
  spawnNative,
  SpawnError,
  statusChildFd,
  watchExit,
  watchNotifications,
  watchPreloadConfirmation,
  type NativeSpawnRequest,
  type NativeSpawnResult,
  type PreloadConfirmation,
  type SeccompNotification,
  type StdioSpec,
} from '../../src/launch/native.js';

const arch = getShippedArch(hostArch());
const nr = (name: string): number => {
  const number = arch.syscalls.get(name);
  if (number === undefined) throw new Error(`no ${name} on ${arch.name}`);
  return number;
};
const SIGSYS = osConstants.signals.SIGSYS;

/** Allow everything of the host arch except `syscall`, which gets `action`; other arches are killed. */
function filterDenying(syscall: string, action: number): Uint8Array {
  return encodeProgram([
    loadAbsolute(SECCOMP_DATA_ARCH),
    instruction(OP_JEQ_K, arch.auditArch, 1, 0),
    ret(SECCOMP_RET_KILL_PROCESS),
    loadAbsolute(SECCOMP_DATA_NR),
    instruction(OP_JEQ_K, nr(syscall), 0, 1),
    ret(action),
    ret(SECCOMP_RET_ALLOW),
  ]);
}

const allowAll = (): Uint8Array => encodeProgram([ret(SECCOMP_RET_ALLOW)]);
/** The kernel's checker refuses a jump past the end of the program. */
const jumpOutOfRange = (): Uint8Array => encodeProgram([instruction(OP_JA, 5), ret(SECCOMP_RET_ALLOW)]);

let workDirectory: string;
/** The fixture, dynamically linked (stage B needs ld.so) and static (no loader start-up under stage A). */
let probe: string;
let staticProbe: string;

beforeAll(() => {
  workDirectory = mkdtempSync(join(tmpdir(), 'jail-run-native-'));
  probe = join(workDirectory, 'syscall_probe');
  staticProbe = join(workDirectory, 'syscall_probe_static');
  const source = join(__dirname, '..', 'fixtures', 'syscall_probe.c');
  execFileSync('cc', ['-O1', '-o', probe, source]);
  execFileSync('cc', ['-O1', '-static', '-o', staticProbe, source]);
});

afterAll(() => {
  if (workDirectory) rmSync(workDirectory, { recursive: true, force: true });
});

function request(file: string, args: string[], extra: Partial<NativeSpawnRequest> = {}): NativeSpawnRequest {
  return { file, argv: [file, ...args], envp: ['PATH=/usr/bin:/bin'], stdio: ['ignore', 'ignore', 'inherit'], filters: [], ...extra };
}

interface Exit {
  code: number | null;
  signal: number | null;
}

/** The exit of a spawned child; closes its pidfd afterwards. */
function exited(child: NativeSpawnResult): Promise<Exit> {
  return new Promise((resolve) => {
    watchExit(child.pidfd, (code, signal) => {
      closeSync(child.pidfd);
      resolve({ code, signal });
    });
  });
}

/** Everything until end of file; resolves once the stream has closed the fd too. */
function readAll(fd: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    createReadStream('', { fd, encoding: 'utf8' })
      .on('data', (chunk) => (text += chunk))
      .on('close', () => resolve(text))
      .on('error', reject);
  });
}

async function run(file: string, args: string[], extra: Partial<NativeSpawnRequest> = {}): Promise<Exit & { stdout: string }> {
  const stdio = [...(extra.stdio ?? ['ignore', 'pipe', 'inherit'])];
  stdio[1] = 'pipe';
  const child = spawnNative(request(file, args, { ...extra, stdio }));
  const [stdout, exit] = await Promise.all([readAll(child.stdioFds[1]!), exited(child)]);
  return { ...exit, stdout };
}

function spawnFailure(spawnRequest: NativeSpawnRequest): SpawnError {
  try {
    const child = spawnNative(spawnRequest);
    throw new Error(`spawn unexpectedly succeeded (pid ${child.pid})`);
  } catch (error) {
    if (!(error instanceof SpawnError)) throw error;
    return error;
  }
}

/** Our unreaped or running children, from /proc (state letter per pid). */
function ourChildren(): string[] {
  const children: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === process.pid) children.push(`${entry}:${fields[0]}`);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Running (not a zombie, not gone): the death signal's effect. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe.skipIf(!nativeAddonAvailable())('native addon (build/Release/jail_run.node)', () => {
  describe('spawn and exit', () => {
    it('reports exit codes of true and false', async () => {
      expect(await exited(spawnNative(request('/bin/true', [])))).toEqual({ code: 0, signal: null });
      expect(await exited(spawnNative(request('/bin/false', [])))).toEqual({ code: 1, signal: null });
    });

    it('reports the signal that killed the program', async () => {
      const exit = await exited(spawnNative(request('/bin/sh', ['-c', 'kill -TERM $$'])));
      expect(exit).toEqual({ code: null, signal: osConstants.signals.SIGTERM });
    });

    it('passes argv and envp exactly, and runs in cwd', async () => {
      const result = await run('/bin/sh', ['-c', 'printf "%s|%s|%s|" "$0" "$JAIL_RUN_TEST" "$(pwd)"; env | wc -l'], {
        envp: ['JAIL_RUN_TEST=a b=c'],
        cwd: workDirectory,
      });
      expect(result.code).toBe(0);
      // sh adds PWD (and may add SHLVL, _) itself; nothing of ours leaks in.
      const [zero, value, cwd] = result.stdout.split('|');
      expect([zero, value, cwd]).toEqual(['/bin/sh', 'a b=c', workDirectory]);
    });

    it('connects stdin and stdout pipes', async () => {
      const child = spawnNative(request(probe, ['cat'], { stdio: ['pipe', 'pipe', 'inherit'] }));
      expect(child.stdioFds[0]).toBeTypeOf('number');
      expect(child.stdioFds[2]).toBeNull();
      writeSync(child.stdioFds[0]!, 'through the jail\n');
      closeSync(child.stdioFds[0]!);
      const [stdout, exit] = await Promise.all([readAll(child.stdioFds[1]!), exited(child)]);
      expect(stdout).toContain('through the jail\n');
      expect(exit).toEqual({ code: 0, signal: null });
    });

    it('passes an extra fd at its position and closes every other fd', async () => {
      const file = join(workDirectory, 'extra-fd.txt');
      writeFileSync(file, 'x');
      const extra = openSync(file, 'r');
      try {
        const result = await run('/bin/sh', ['-c', 'ls -l /proc/self/fd'], {
          stdio: ['ignore', 'pipe', 'inherit', extra],
        });
        // Every open fd but the directory ls itself is reading.
        const open = [...result.stdout.matchAll(/ (\d+) -> (.*)$/gm)]
          .filter(([, , target]) => !/^\/proc\/\d+\/fd$/.test(target))
          .map(([, fd, target]) => [Number(fd), target]);
        expect(open.map(([fd]) => fd)).toEqual([0, 1, 2, 3]);
        expect(open[3][1]).toBe(file);
      } finally {
        closeSync(extra);
      }
    });

    it('the program starts with no signal ignored or blocked (Node ignores SIGPIPE)', async () => {
      const result = await run('/bin/cat', ['/proc/self/status']);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^SigIgn:\s+0+$/m);
      expect(result.stdout).toMatch(/^SigBlk:\s+0+$/m);
    });

    it('sendSignal kills through the pidfd and reports false once the child is gone', async () => {
      const child = spawnNative(request(probe, ['wait-stdin'], { stdio: ['pipe', 'ignore', 'inherit'] }));
      const pidfd = child.pidfd;
      const exit = new Promise<Exit>((resolve) => watchExit(pidfd, (code, signal) => resolve({ code, signal })));
      expect(sendSignal(pidfd, osConstants.signals.SIGKILL)).toBe(true);
      expect(await exit).toEqual({ code: null, signal: osConstants.signals.SIGKILL });
      expect(sendSignal(pidfd, osConstants.signals.SIGKILL)).toBe(false);
      closeSync(pidfd);
      closeSync(child.stdioFds[0]!);
    });
  });

  describe('failure stages', () => {
    it('a missing program fails at execve with ENOENT and leaves nothing behind', () => {
      const before = openFds();
      const error = spawnFailure(request(join(workDirectory, 'does-not-exist'), []));
      expect(error).toMatchObject({ stage: 'execve', code: 'ENOENT', path: join(workDirectory, 'does-not-exist') });
      expect(error.message).toContain('execve');
      expect(openFds()).toBe(before);
      expect(ourChildren()).toEqual([]);
    });

    it('a file that is not executable fails at execve with EACCES', () => {
      const file = join(workDirectory, 'not-executable');
      writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
      expect(spawnFailure(request(file, []))).toMatchObject({ stage: 'execve', code: 'EACCES' });
      expect(ourChildren()).toEqual([]);
    });

    it('a missing cwd fails at chdir, naming the directory', () => {
      const cwd = join(workDirectory, 'no-such-dir');
      expect(spawnFailure(request('/bin/true', [], { cwd }))).toMatchObject({ stage: 'chdir', code: 'ENOENT', path: cwd });
      expect(ourChildren()).toEqual([]);
    });

    it('a filter the kernel rejects fails at seccomp with EINVAL and the filter index', () => {
      const before = openFds();
      const error = spawnFailure(request('/bin/true', [], { filters: [allowAll(), jumpOutOfRange()], stdio: ['pipe', 'pipe', 'pipe'] }));
      expect(error).toMatchObject({ stage: 'seccomp', code: 'EINVAL', errno: osConstants.errno.EINVAL, filterIndex: 1 });
      expect(openFds()).toBe(before);
      expect(ourChildren()).toEqual([]);
    });

    it('an fd that is not open fails at dup2 with EBADF', () => {
      expect(spawnFailure(request('/bin/true', [], { stdio: ['ignore', 'ignore', 'ignore', 987_654] }))).toMatchObject({
        stage: 'dup2',
        code: 'EBADF',
      });
    });

    it('a malformed request is a TypeError naming the field', () => {
      expect(() => spawnNative(request('/bin/true', [], { filters: [new Uint8Array(7)] }))).toThrow(/request\.filters\[0\]/);
      expect(() => spawnNative(request('/bin/true', [], { stdio: ['ignore', 'ignore', 'bogus' as 'ignore'] }))).toThrow(TypeError);
      expect(() => spawnNative(request('/bin/true', [], { listenerFilterIndex: 0 }))).toThrow(/listenerFilterIndex/);
      expect(() => spawnNative(request('/bin/true', ['a\0b']))).toThrow(/NUL/);
    });
  });

  describe('stage-A filters', () => {
    it('a syscall the filter kills ends the program with SIGSYS', async () => {
      const result = await run(probe, ['getpid', 'getppid', 'echo', 'not reached'], {
        filters: [filterDenying('getppid', SECCOMP_RET_KILL_PROCESS)],
      });
      expect(result).toMatchObject({ code: null, signal: SIGSYS });
      expect(result.stdout).toMatch(/^getpid = \d+\n$/);
    });

    it('a syscall answered with an errno fails and the program goes on', async () => {
      const result = await run(probe, ['getppid', 'echo', 'after'], {
        filters: [filterDenying('getppid', SECCOMP_RET_ERRNO | osConstants.errno.EPERM)],
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('getppid = -EPERM');
      expect(result.stdout).toContain('after');
    });

    it('USER_NOTIF: the listener receives the syscall and its arguments, the response decides', async () => {
      const child = spawnNative(
        request(staticProbe, ['openat', '/jail-run/no-such-file', 'echo', 'went on'], {
          filters: [filterDenying('getppid', SECCOMP_RET_KILL_PROCESS), filterDenying('openat', SECCOMP_RET_USER_NOTIF)],
          listenerFilterIndex: 1,
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      );
      expect(child.listenerFd).toBeTypeOf('number');
      const notifications: SeccompNotification[] = [];
      const ended = new Promise<void>((resolve) => {
        const listener = watchNotifications(
          child.listenerFd!,
          (notification) => {
            notifications.push(notification);
            expect(listener.respond(notification.id, { error: osConstants.errno.EACCES })).toBe(true);
          },
          resolve,
        );
      });
      const [stdout, exit] = await Promise.all([readAll(child.stdioFds[1]!), exited(child), ended]);
      expect(exit).toEqual({ code: 1, signal: null });
      expect(stdout).toContain('openat = -EACCES');
      expect(stdout).toContain('went on');
      expect(notifications).toHaveLength(1);
      const [seen] = notifications;
      expect(seen.nr).toBe(nr('openat'));
      expect(seen.arch).toBe(arch.auditArch);
      expect(seen.pid).toBe(child.pid);
      expect(seen.args).toHaveLength(6);
      // AT_FDCWD: an int argument, so only the low 32 bits are defined.
      expect(BigInt.asUintN(32, seen.args[0])).toBe(BigInt.asUintN(32, -100n));
      expect(seen.args[2] & arch.constants.get('O_CLOEXEC')!).not.toBe(0n);
    });

    it('USER_NOTIF: continue lets the kernel run the syscall', async () => {
      const child = spawnNative(
        request(probe, ['getppid'], {
          filters: [filterDenying('getppid', SECCOMP_RET_USER_NOTIF)],
          listenerFilterIndex: 0,
          stdio: ['ignore', 'pipe', 'inherit'],
        }),
      );
      const listener = watchNotifications(
        child.listenerFd!,
        (notification) => listener.respond(notification.id, { continue: true }),
        () => {},
      );
      const [stdout, exit] = await Promise.all([readAll(child.stdioFds[1]!), exited(child)]);
      listener.close();
      expect(exit).toEqual({ code: 0, signal: null });
      expect(stdout).toBe(`getppid = ${process.pid}\n`);
    });

    it('a listener filter that holds back the launch itself (execve) fails instead of hanging', () => {
      const before = openFds();
      const error = spawnFailure(
        request('/bin/true', [], { filters: [filterDenying('execve', SECCOMP_RET_USER_NOTIF)], listenerFilterIndex: 0 }),
      );
      expect(error).toMatchObject({ stage: 'seccomp', code: 'EDEADLK' });
      expect(openFds()).toBe(before);
      expect(ourChildren()).toEqual([]);
    });
  });

  describe('supervision', () => {
    it('deathSignal: when the launcher dies of SIGKILL the program gets the signal too', async () => {
      // A second Node process plays the launcher: it spawns the probe with
      // deathSignal SIGKILL, prints its pid, and waits to be killed.
      const launcherScript = [
        `const addon = require(${JSON.stringify(join(__dirname, '..', '..', 'build', 'Release', 'jail_run.node'))});`,
        `const child = addon.spawn({ file: ${JSON.stringify(staticProbe)}, argv: ['probe', 'sleep-ms', '60000'], envp: [],`,
        `  stdio: ['ignore', 'ignore', 'ignore'], filters: [], deathSignal: 9 });`,
        `process.stdout.write(child.pid + '\\n');`,
        `setInterval(() => {}, 1000);`,
      ].join('\n');
      const launcher = spawnChildProcess(process.execPath, ['-e', launcherScript], { stdio: ['ignore', 'pipe', 'inherit'] });
      const programPid = await new Promise<number>((resolve, reject) => {
        launcher.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        launcher.once('exit', (code) => reject(new Error(`launcher exited early (${code})`)));
      });
      expect(isAlive(programPid)).toBe(true);
      const launcherGone = new Promise((resolve) => launcher.once('exit', resolve));
      launcher.kill('SIGKILL');
      await launcherGone;
      // The kernel delivers the death signal as the launcher's thread exits;
      // the orphan is then reaped by init (or a subreaper).
      for (let attempt = 0; attempt < 200 && isAlive(programPid); attempt++) await new Promise((r) => setTimeout(r, 10));
      expect(isAlive(programPid)).toBe(false);
    });

    it('the listener hand-over uses the status socket at its fixed fd (statusChildFd), so stage A can pin sendmsg to it', async () => {
      for (const stdio of [
        ['ignore', 'pipe', 'inherit'],
        ['ignore', 'pipe', 'inherit', 'ignore', 'ignore'],
      ] as StdioSpec[][]) {
        const statusFd = statusChildFd(stdio.length, false);
        expect(statusFd).toBe(stdio.length);
        // Kill sendmsg on any other fd: the hand-over would be killed if the
        // socket sat anywhere else (it used to take the lowest free fd above
        // the inherited ones, a number nobody could predict).
        const program = encodeProgram([
          loadAbsolute(SECCOMP_DATA_ARCH),
          instruction(OP_JEQ_K, arch.auditArch, 1, 0),
          ret(SECCOMP_RET_KILL_PROCESS),
          loadAbsolute(SECCOMP_DATA_NR),
          instruction(OP_JEQ_K, nr('sendmsg'), 0, 3),
          loadAbsolute(16),
          instruction(OP_JEQ_K, statusFd, 1, 0),
          ret(SECCOMP_RET_KILL_PROCESS),
          ret(SECCOMP_RET_ALLOW),
        ]);
        const child = spawnNative(
          request(staticProbe, ['echo', 'ran'], { stdio, filters: [program, allowAll()], listenerFilterIndex: 1 }),
        );
        expect(child.listenerFd, `stdio of ${stdio.length}`).toBeTypeOf('number');
        closeSync(child.listenerFd!);
        const [stdout, exit] = await Promise.all([readAll(child.stdioFds[1]!), exited(child)]);
        expect({ stdout, exit }, `stdio of ${stdio.length}`).toEqual({ stdout: 'ran\n', exit: { code: 0, signal: null } });
      }
    });

    it('a listener filter that holds back the listener hand-over fails after a timeout instead of hanging', () => {
      const error = spawnFailure(
        request(staticProbe, [], { filters: [filterDenying('sendmsg', SECCOMP_RET_USER_NOTIF)], listenerFilterIndex: 0 }),
      );
      expect(error).toMatchObject({ stage: 'send-listener', code: 'ETIMEDOUT' });
      expect(ourChildren()).toEqual([]);
    }, 30_000);
  });

  describe('stage B through the preload library', () => {
    function confirmation(child: NativeSpawnResult): Promise<PreloadConfirmation> {
      return new Promise((resolve) => watchPreloadConfirmation(child.stageBFd!, resolve));
    }

    it('installs stage B before main and confirms; the program then runs under two filters', async () => {
      const child = spawnNative(
        request(probe, ['wait-stdin', 'getppid', 'echo', 'not reached'], {
          filters: [allowAll()],
          stdio: ['pipe', 'pipe', 'inherit'],
          stageB: { filter: filterDenying('getppid', SECCOMP_RET_KILL_PROCESS), preloadPath: preloadLibraryPath(), listener: false },
        }),
      );
      const confirmed = await confirmation(child);
      expect(confirmed).toEqual({ kind: 'confirmed' });
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      expect(status).toMatch(/^Seccomp_filters:\s+2$/m);
      expect(status).toMatch(/^NoNewPrivs:\s+1$/m);
      // The preload took its variable and itself out of the environment it leaves to main.
      writeSync(child.stdioFds[0]!, 'go');
      closeSync(child.stdioFds[0]!);
      const [stdout, exit] = await Promise.all([readAll(child.stdioFds[1]!), exited(child)]);
      expect(exit).toEqual({ code: null, signal: SIGSYS });
      expect(stdout).not.toContain('not reached');
    });

    it('removes its variables from the environment main sees', async () => {
      const child = spawnNative(
        request('/bin/sh', ['-c', 'echo "[$LD_PRELOAD][$JAIL_RUN_STAGE_B_FD][${OTHER-}]"'], {
          envp: ['LD_PRELOAD=libc.so.6', 'OTHER=kept'],
          filters: [allowAll()],
          stdio: ['ignore', 'pipe', 'inherit'],
          stageB: { filter: allowAll(), preloadPath: preloadLibraryPath(), listener: false },
        }),
      );
      const [confirmed, stdout, exit] = await Promise.all([confirmation(child), readAll(child.stdioFds[1]!), exited(child)]);
      expect(confirmed.kind).toBe('confirmed');
      expect(exit.code).toBe(0);
      expect(stdout).toBe('[libc.so.6][][kept]\n');
    });

    it('with a listener, hands the stage-B listener to the launcher', async () => {
      const child = spawnNative(
        request(probe, ['getppid', 'echo', 'went on'], {
          filters: [allowAll()],
          stdio: ['ignore', 'pipe', 'inherit'],
          stageB: { filter: filterDenying('getppid', SECCOMP_RET_USER_NOTIF), preloadPath: preloadLibraryPath(), listener: true },
        }),
      );
      const stdout = readAll(child.stdioFds[1]!);
      const exit = exited(child);
      const confirmed = await confirmation(child);
      expect(confirmed.kind).toBe('confirmed');
      const listenerFd = (confirmed as { listenerFd?: number }).listenerFd;
      expect(listenerFd).toBeTypeOf('number');
      const seen: number[] = [];
      let ended!: () => void;
      const end = new Promise<void>((resolve) => (ended = resolve));
      const listener = watchNotifications(
        listenerFd!,
        (notification) => {
          seen.push(notification.nr);
          listener.respond(notification.id, { error: osConstants.errno.EPERM });
        },
        () => ended(),
      );
      await end; // the last user of the filter is gone: the listener hangs up and is closed
      expect(await exit).toEqual({ code: 1, signal: null });
      expect(await stdout).toContain('getppid = -EPERM');
      expect(seen).toEqual([nr('getppid')]);
    });

    it('a stage-B filter the kernel rejects: the preload reports seccomp EINVAL and exits 125 before main', async () => {
      const child = spawnNative(
        request(probe, ['echo', 'main ran'], {
          filters: [allowAll()],
          stdio: ['ignore', 'pipe', 'inherit'],
          stageB: { filter: jumpOutOfRange(), preloadPath: preloadLibraryPath(), listener: false },
        }),
      );
      const [confirmed, stdout, exit] = await Promise.all([confirmation(child), readAll(child.stdioFds[1]!), exited(child)]);
      expect(confirmed).toEqual({ kind: 'failed', stage: 'seccomp', errno: osConstants.errno.EINVAL, code: 'EINVAL' });
      expect(exit).toEqual({ code: 125, signal: null });
      expect(stdout).toBe('');
    });

    it('a preload that never runs closes the channel without a confirmation', async () => {
      const child = spawnNative(
        request(probe, ['echo', 'ran without stage B'], {
          filters: [allowAll()],
          stdio: ['ignore', 'pipe', 'ignore'], // ld.so complains on stderr
          stageB: { filter: allowAll(), preloadPath: join(workDirectory, 'missing-preload.so'), listener: false },
        }),
      );
      const [confirmed, , exit] = await Promise.all([confirmation(child), readAll(child.stdioFds[1]!), exited(child)]);
      expect(confirmed).toEqual({ kind: 'closed' });
      expect(exit.code).toBe(0);
    });
  });

  describe('resources', () => {
    it('200 spawns (with pipes, listeners and stage B) leak no fd and leave no zombie', async () => {
      const before = openFds();
      for (let round = 0; round < 200; round++) {
        const variant = round % 4;
        if (variant === 0) {
          await exited(spawnNative(request('/bin/true', [])));
        } else if (variant === 1) {
          await run(probe, ['echo', 'x'], { filters: [allowAll()] });
        } else if (variant === 2) {
          const child = spawnNative(
            request(probe, ['getppid'], {
              filters: [filterDenying('getppid', SECCOMP_RET_USER_NOTIF)],
              listenerFilterIndex: 0,
            }),
          );
          const listener = watchNotifications(child.listenerFd!, (n) => listener.respond(n.id, { error: 1 }), () => {});
          await exited(child);
          listener.close();
        } else {
          const child = spawnNative(
            request(probe, ['getpid'], {
              filters: [allowAll()],
              stageB: { filter: allowAll(), preloadPath: preloadLibraryPath(), listener: true },
            }),
          );
          const [confirmed] = await Promise.all([
            new Promise<PreloadConfirmation>((resolve) => watchPreloadConfirmation(child.stageBFd!, resolve)),
            exited(child),
          ]);
          if (confirmed.kind === 'confirmed' && confirmed.listenerFd !== undefined) closeSync(confirmed.listenerFd);
        }
        spawnFailure(request(join(workDirectory, 'does-not-exist'), []));
      }
      expect(openFds()).toBe(before);
      expect(ourChildren()).toEqual([]);
    });

    it('100 concurrent spawns beside child_process: every exit reported to its owner, nothing left', async () => {
      const before = openFds();
      const jailed = Array.from({ length: 100 }, (_, index) =>
        exited(spawnNative(request(staticProbe, ['exit', String(index % 7)], { filters: [allowAll()] }))),
      );
      // Node's own child_process keeps its children: our pidfd watches reap only ours.
      const plain = Array.from(
        { length: 10 },
        (_, index) =>
          new Promise<number | null>((resolve) =>
            spawnChildProcess(staticProbe, ['exit', String(index)], { stdio: 'ignore' }).once('exit', (code) => resolve(code)),
          ),
      );
      const [jailedExits, plainCodes] = await Promise.all([Promise.all(jailed), Promise.all(plain)]);
      expect(jailedExits).toEqual(Array.from({ length: 100 }, (_, index) => ({ code: index % 7, signal: null })));
      expect(plainCodes).toEqual(Array.from({ length: 10 }, (_, index) => index));
      expect(openFds()).toBe(before);
      expect(ourChildren()).toEqual([]);
    });
  });
});
