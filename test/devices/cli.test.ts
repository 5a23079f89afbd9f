import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { makePolicyFolder, wellFormedSpec, type PolicyFolderSpec } from './policy-folder-fixture.js';

const folders: { remove: () => void }[] = [];
let stdout = '';
let stderr = '';
beforeEach(() => {
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  for (const made of folders.splice(0)) made.remove();
});

function folder(spec: PolicyFolderSpec = wellFormedSpec()): string {
  const made = makePolicyFolder(spec);
  folders.push(made);
  return made.root;
}

describe('jail-run devices', () => {
  it('prints devices × arches with the transports of each', async () => {
    const root = folder();
    expect(await runCli(['devices', '--policy-dir', root])).toBe(0);
    expect(stdout.split('\n').slice(0, 3)).toEqual([
      'device  x86_64             aarch64            arm',
      'alpha   virtio vhost-user  virtio vhost-user  virtio vhost-user',
      'beta    virtio             virtio             virtio',
    ]);
    expect(stdout).toContain(`2 devices, 9 policies in ${root}`);
  });

  it('prints JSON for one arch', async () => {
    const root = folder();
    expect(await runCli(['devices', '--policy-dir', root, '--arch', 'arm64', '--json'])).toBe(0);
    const entries = JSON.parse(stdout) as { device: string; transport: string; arch: string }[];
    expect(entries.map((entry) => `${entry.device} ${entry.transport} ${entry.arch}`)).toEqual(['alpha virtio aarch64', 'alpha vhost-user aarch64', 'beta virtio aarch64']);
  });

  it('refuses an unknown arch with exit status 2', async () => {
    expect(await runCli(['devices', '--policy-dir', folder(), '--arch', 'mips'])).toBe(2);
    expect(stderr).toContain('unknown arch "mips"');
    expect(stdout).toBe('');
  });
});

describe('jail-run lint', () => {
  it('exits 0 on a clean folder', async () => {
    expect(await runCli(['lint', folder()])).toBe(0);
    expect(stdout).toBe('');
    expect(stderr).toContain('0 errors, 0 warnings');
  });

  it('exits 1 with file:line:column lines when a rule is broken', async () => {
    const spec = wellFormedSpec();
    spec['arm/beta_device.policy'] = '@include ./common_device.policy\n@include ./gamma.policy\n';
    const root = folder(spec);
    expect(await runCli(['lint', root])).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines.some((line) => /arm\/beta_device\.policy:2:1: error \[include-missing\] @include \.\/gamma\.policy: no such file/.test(line))).toBe(true);
    expect(lines.some((line) => /arm\/beta_device\.policy:2:1: error \[loadable-includes\]/.test(line))).toBe(true);
    expect(stderr).toMatch(/\d+ errors?, 1 warning/);
  });
});

describe('jail-run explain', () => {
  it('explains a catalog device', async () => {
    const root = folder();
    expect(await runCli(['explain', '--device', 'alpha', '--transport', 'vhost-user', '--arch', 'x86_64', '--policy-dir', root])).toBe(0);
    expect(stdout).toContain('(alpha, vhost-user, x86_64)');
    expect(stdout).toContain('composed  alpha_device_vhost_user.policy, common_device.policy, vhost_user.policy, alpha.policy');
    expect(stdout).toMatch(/recvmsg +47 +yes +vhost_user\.policy:2 +allow/);
  });

  it('refuses an unknown device with a suggestion, and a missing transport with the ones that exist', async () => {
    const root = folder();
    expect(await runCli(['explain', '--device', 'alpah', '--arch', 'x86_64', '--policy-dir', root])).toBe(2);
    expect(stderr).toContain('did you mean "alpha"?');
    stderr = '';
    expect(await runCli(['explain', '--device', 'beta', '--transport', 'vvu', '--arch', 'x86_64', '--policy-dir', root])).toBe(2);
    expect(stderr).toContain('its transports there: virtio');
    expect(stdout).toBe('');
  });

  it('wants exactly one of a policy file and --device', async () => {
    expect(await runCli(['explain'])).toBe(2);
    expect(stderr).toContain('a policy file or --device NAME');
  });

  it('reports a broken policy with its location and exit status 1', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/beta.policy'] = '# beta\nfdatasync: arg0 == NOT_A_CONSTANT\n';
    const root = folder(spec);
    expect(await runCli(['explain', '--device', 'beta', '--arch', 'x86_64', '--policy-dir', root])).toBe(1);
    expect(stderr).toContain(`${root}/x86_64/beta.policy(2:20): invalid constant`);
    expect(stdout).toBe('');
  });
});
