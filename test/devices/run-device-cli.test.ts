/**
 * `jail-run --device NAME --transport T -- PROGRAM`: the run mode with a
 * policy from the catalog, as a user types it (through tsx, no build).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamicProbe, projectRoot } from '../launch/probe-fixtures.js';
import { makePolicyFolder, wellFormedSpec } from './policy-folder-fixture.js';

let cacheDir = '';
let probe = '';
beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), 'jail-run-run-device-cache-'));
  probe = dynamicProbe();
});
afterAll(() => {
  if (cacheDir !== '') rmSync(cacheDir, { recursive: true, force: true });
});

function jailRun(args: readonly string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts'), ...args], {
    cwd: projectRoot,
    env: { ...process.env, JAIL_RUN_CACHE_DIR: cacheDir, JAIL_RUN_POLICY_DIR: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('jail-run --device', () => {
  it('runs a program under the device policy, compiling through the cache', () => {
    const result = jailRun(['--device', 'block', '--transport', 'vhost-user', '--', probe, 'getpid', 'echo', 'hello']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^getpid = \d+\nhello\n/);
    expect(readdirSync(cacheDir).filter((name) => name.startsWith('ir-')).length).toBeGreaterThanOrEqual(2);
    // Same policy again: served from the cache, same behaviour.
    const again = jailRun(['--device', 'block', '--transport', 'vhost-user', '--', probe, 'echo', 'again']);
    expect(again.status).toBe(0);
  });

  it('gives the errno the policy says: block answers openat with ENOENT', () => {
    const result = jailRun(['--device', 'block', '--', probe, 'openat', '/etc/hostname']);
    expect(result.stdout).toContain('openat = -ENOENT');
    expect(result.status).toBe(1);
  });

  it('kills the program on a denied call and reports the deciding line', () => {
    const result = jailRun(['--device', 'block', '--transport', 'vhost-user', '--', probe, 'mmap-exec']);
    expect(result.status).toBe(128 + 31);
    expect(result.stderr).toMatch(/denied mmap\(/);
    expect(result.stderr).toMatch(/policies\/x86_64\/common_device\.policy:\d+:\d+: no filter of mmap matches/);
  });

  it('refuses an unknown device, transport or arch before launching anything', () => {
    const device = jailRun(['--device', 'blok', '--', probe, 'echo', 'launched']);
    expect(device.status).toBe(125);
    expect(device.stderr).toContain('did you mean "block"?');
    expect(device.stdout).toBe('');
    const transport = jailRun(['--device', 'block', '--transport', 'vhost', '--', probe, 'echo', 'launched']);
    expect(transport.status).toBe(125);
    expect(transport.stderr).toContain('transports: virtio, vhost-user, vvu');
    const arch = jailRun(['--device', 'block', '--arch', 'sparc', '--', probe, 'echo', 'launched']);
    expect(arch.status).not.toBe(0);
    expect(arch.stderr).toContain('unknown arch "sparc"');
    expect(arch.stdout).toBe('');
  });

  it('refuses a device whose fragment is missing, with the compiler\'s located error, before launching', () => {
    const spec = wellFormedSpec();
    delete spec['x86_64/beta.policy'];
    const folder = makePolicyFolder(spec);
    try {
      const result = jailRun(['--device', 'beta', '--policy-dir', folder.root, '--arch', 'x86_64', '--', probe, 'echo', 'launched']);
      expect(result.status).toBe(125);
      expect(result.stderr).toContain(`${folder.root}/x86_64/beta_device.policy(2:10): Could not @include ${folder.root}/x86_64/beta.policy`);
      expect(result.stdout).toBe('');
    } finally {
      folder.remove();
    }
  });

  it.each([
    ['a loadable file that skips common_device', 'x86_64/beta_device.policy', '@include ./beta.policy\n', /beta_device\.policy:1:1: error \[loadable-includes\] beta_device\.policy does not include \.\/common_device\.policy/],
    ['a fragment that includes another file', 'x86_64/beta.policy', '@include ./alpha.policy\nfdatasync: 1\n', /beta\.policy:1:\d+: error \[fragment-include\]/],
  ])('refuses a device whose files break the naming rules (%s), naming the rule, before launching', (_case, file, text, finding) => {
    const folder = makePolicyFolder({ ...wellFormedSpec(), [file]: text });
    try {
      const result = jailRun(['--device', 'beta', '--policy-dir', folder.root, '--arch', 'x86_64', '--', probe, 'echo', 'launched']);
      expect(result.status).toBe(125);
      expect(result.stderr).toMatch(/the beta device's policy files for x86_64 \(virtio\) break the naming rules, so it is not launched/);
      expect(result.stderr).toMatch(finding);
      expect(result.stdout).toBe('');
    } finally {
      folder.remove();
    }
  });

  it('refuses --transport without --device', () => {
    const result = jailRun(['--policy', join(projectRoot, 'policies', 'x86_64', 'block_device.policy'), '--transport', 'vvu', '--', probe, 'echo', 'x']);
    expect(result.status).toBe(125);
    expect(result.stderr).toContain('--transport and --policy-dir go with --device');
  });
});
