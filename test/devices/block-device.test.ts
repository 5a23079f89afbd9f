/**
 * Issue #4's integration test on the real kernel: the reference block device
 * (test/fixtures/block_device.c, dynamically linked) runs under the shipped
 * block policy, over vhost-user and over virtio. It gets its disk as fd 3
 * and a listening unix socket as fd 4; it preads, pwrites, fsyncs, waits in
 * epoll on an eventfd, a timerfd and the socket, and names its threads. Its
 * attempt to open a file gets ENOENT as the policy says; creating a network
 * socket or running a program is denied and reported.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostArch } from '../../src/arch/index.js';
import { DeviceCatalogError } from '../../src/devices/catalog.js';
import { spawnDevice } from '../../src/devices/spawn-device.js';
import type { JailedExit } from '../../src/launch/spawn-jailed.js';

const SECTOR = 512;
const TEST_OFFSET = 8 * SECTOR;
let workDir = '';
let program = '';

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'jail-run-block-device-'));
  program = join(workDir, 'block_device');
  const source = join(import.meta.dirname, '..', 'fixtures', 'block_device.c');
  // Dynamically linked on purpose: the loader runs under stage A, main under the exact policy.
  execFileSync('cc', ['-O1', '-pthread', '-o', program, source], { stdio: 'pipe' });
});
afterAll(() => {
  if (workDir !== '') rmSync(workDir, { recursive: true, force: true });
});

interface BlockDeviceRun {
  readonly exit: JailedExit;
  readonly stdout: string;
  readonly stderr: string;
  /** What the device answered on the connection it accepted. */
  readonly reply: string;
  readonly disk: Buffer;
}

async function runBlockDevice(transport: string, probe?: string): Promise<BlockDeviceRun> {
  const diskPath = join(workDir, `disk-${transport}-${probe ?? 'none'}.img`);
  writeFileSync(diskPath, Buffer.alloc(64 * 1024));
  const disk = openSync(diskPath, 'r+');
  // An abstract socket name: nothing to unlink, and closing our server does not remove the name.
  const name = `\0jail-run-block-device-${process.pid}-${transport}-${probe ?? 'none'}`;
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(name, resolve));
  const listening = (server as unknown as { _handle: { fd: number } })._handle.fd;
  let child;
  try {
    child = spawnDevice({ device: 'block', transport }, program, ['3', '4', ...(probe === undefined ? [] : [probe])], {
      stdio: ['ignore', 'pipe', 'pipe', disk, listening],
      cache: { cacheDir: join(workDir, 'cache') },
    }).process;
  } finally {
    // The device holds its own copies of both descriptors now; ours must not accept its connection.
    server.close();
    closeSync(disk);
  }
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => (stdout += String(chunk)));
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  let reply = '';
  const connection = net.connect(name);
  connection.on('data', (chunk) => (reply += String(chunk)));
  const connectionDone = new Promise<void>((resolve) => {
    connection.on('close', () => resolve());
    connection.on('error', () => resolve());
  });
  connection.write('hello');
  const exit = await child.exited;
  connection.destroy();
  await connectionDone;
  await new Promise((resolve) => setImmediate(resolve));
  return { exit, stdout, stderr, reply, disk: readFileSync(diskPath) };
}

const expectedSector = Buffer.from(Array.from({ length: SECTOR }, (_, index) => (index * 7 + 3) & 0xff));

describe.each(['vhost-user', 'virtio'])('block device over %s', (transport) => {
  it('runs to completion: disk I/O, epoll on eventfd, timerfd and the socket, named threads', async () => {
    const run = await runBlockDevice(transport);
    expect(run.stderr).toBe('');
    expect(run.exit.denials).toEqual([]);
    expect(run.exit).toMatchObject({ code: 0, signal: null });
    expect(run.stdout.split('\n').filter((line) => line !== '').sort()).toEqual(['accepted', 'disk ok', 'done', 'timer fired']);
    expect(run.reply).toBe('block_device got: hello');
    expect(run.disk.subarray(TEST_OFFSET, TEST_OFFSET + SECTOR).equals(expectedSector)).toBe(true);
    // The run compiled its stage filters into the cache (stage A and B of a dynamic program).
    expect(readdirSync(join(workDir, 'cache')).filter((name) => name.startsWith('ir-')).length).toBeGreaterThanOrEqual(2);
  });

  it('gets ENOENT when it tries to open a new file, as the policy says, and carries on', async () => {
    const run = await runBlockDevice(transport, 'open');
    expect(run.stdout).toContain('open: ENOENT\n');
    expect(run.stdout).toContain('done\n');
    expect(run.exit).toMatchObject({ code: 0, signal: null });
  });

  it('is stopped when it creates a network socket, and the denial is reported', async () => {
    const run = await runBlockDevice(transport, 'socket');
    expect(run.stdout).toContain('socket: trying\n');
    expect(run.stdout).not.toContain('socket: returned');
    expect(run.exit.signal).toBe('SIGKILL');
    const report = run.exit.killedForDenial;
    expect(report?.syscall).toBe('socket');
    expect(report?.call).toMatch(/^socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC, 0\)$/);
    // socket is listed nowhere in the block composition: the report names the policy and the default that decides.
    const suffix = transport === 'virtio' ? '' : '_vhost_user';
    expect(report?.reason).toContain(`block_device${suffix}.policy`);
    expect(report?.reason).toContain('not listed');
  });

  it('is stopped when it runs a program, and the denial is reported', async () => {
    const run = await runBlockDevice(transport, 'exec');
    expect(run.stdout).toContain('exec: trying\n');
    expect(run.stdout).not.toContain('exec: failed');
    expect(run.exit.signal).toBe('SIGKILL');
    expect(run.exit.killedForDenial?.syscall).toBe('execve');
    expect(run.exit.killedForDenial?.call).toMatch(/^execve\(/);
  });
});

/** The same through the command line: jail-run inherits the disk and the socket and passes them on. */
async function runBlockDeviceCli(transport: string, probe?: string): Promise<{ status: number | null; stdout: string; stderr: string; disk: Buffer }> {
  const diskPath = join(workDir, `cli-disk-${transport}-${probe ?? 'none'}.img`);
  writeFileSync(diskPath, Buffer.alloc(64 * 1024));
  const disk = openSync(diskPath, 'r+');
  const name = `\0jail-run-block-device-cli-${process.pid}-${transport}-${probe ?? 'none'}`;
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(name, resolve));
  const listening = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const projectRoot = join(import.meta.dirname, '..', '..');
  const cli = spawn(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts'), '--device', 'block', '--transport', transport, '--pass-fd', '3', '--pass-fd', '4', '--', program, '3', '4', ...(probe === undefined ? [] : [probe])],
    { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe', disk, listening], env: { ...process.env, JAIL_RUN_CACHE_DIR: join(workDir, 'cli-cache') } },
  );
  server.close();
  closeSync(disk);
  let stdout = '';
  let stderr = '';
  cli.stdout?.on('data', (chunk) => (stdout += String(chunk)));
  cli.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const status = await new Promise<number | null>((resolve) => cli.on('close', (code) => resolve(code)));
  return { status, stdout, stderr, disk: readFileSync(diskPath) };
}

describe.each(['vhost-user', 'virtio'])('jail-run --device block --transport %s', (transport) => {
  it('runs the device to completion with its inherited disk and socket', async () => {
    const pending = runBlockDeviceCli(transport);
    const name = `\0jail-run-block-device-cli-${process.pid}-${transport}-none`;
    const reply = await talkTo(name);
    const run = await pending;
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').filter((line) => line !== '').sort()).toEqual(['accepted', 'disk ok', 'done', 'timer fired']);
    expect(reply).toBe('block_device got: hello');
    expect(run.disk.subarray(TEST_OFFSET, TEST_OFFSET + SECTOR).equals(expectedSector)).toBe(true);
  });

  it('reports the denied socket call with the policy that decides, and exits 159', async () => {
    const pending = runBlockDeviceCli(transport, 'socket');
    await talkTo(`\0jail-run-block-device-cli-${process.pid}-${transport}-socket`);
    const run = await pending;
    expect(run.status).toBe(128 + 31);
    expect(run.stderr).toMatch(/^jail-run: denied socket\(AF_INET, SOCK_STREAM\|SOCK_CLOEXEC, 0\)/);
    expect(run.stderr).toContain(`policies/${hostArch()}/block_device${transport === 'virtio' ? '' : '_vhost_user'}.policy: the syscall is not listed`);
  });
});

/** Connects (retrying until the device's socket is there), says hello, returns the answer. */
async function talkTo(name: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<string>((resolve, reject) => {
        let reply = '';
        const connection = net.connect(name);
        connection.on('connect', () => connection.write('hello'));
        connection.on('data', (chunk) => (reply += String(chunk)));
        connection.on('close', () => resolve(reply));
        connection.on('error', reject);
      });
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

describe('block device selection errors', () => {
  it('starts nothing for an unknown device or a transport it lacks', () => {
    expect(() => spawnDevice({ device: 'blok' }, program, ['3', '4'])).toThrow(DeviceCatalogError);
    expect(() => spawnDevice({ device: 'block', transport: 'vhost-usr' }, program, ['3', '4'])).toThrow(/did you mean "vhost-user"/);
  });
});
