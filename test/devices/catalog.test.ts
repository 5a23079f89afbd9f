import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceCatalogError, listDevices, resolveDevicePolicy } from '../../src/devices/catalog.js';
import { devicePolicyFor } from '../../src/devices/device-policy.js';
import { policyDirectory, POLICY_DIR_ENVIRONMENT } from '../../src/devices/policy-directory.js';
import { classifyPolicyFile, requiredIncludes } from '../../src/devices/naming.js';
import { makePolicyFolder, wellFormedSpec } from './policy-folder-fixture.js';

const folders: { remove: () => void }[] = [];
function folder(spec: Record<string, string>): string {
  const made = makePolicyFolder(spec);
  folders.push(made);
  return made.root;
}
afterEach(() => {
  for (const made of folders.splice(0)) made.remove();
  delete process.env[POLICY_DIR_ENVIRONMENT];
});

function catchError(run: () => unknown): DeviceCatalogError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DeviceCatalogError);
    return error as DeviceCatalogError;
  }
  throw new Error('expected a DeviceCatalogError');
}

describe('naming rules', () => {
  it('reads every kind of file name', () => {
    expect(classifyPolicyFile('common_device.policy')).toEqual({ kind: 'common' });
    expect(classifyPolicyFile('vhost_user.policy')).toEqual({ kind: 'transport', transport: 'vhost-user' });
    expect(classifyPolicyFile('vvu.policy')).toEqual({ kind: 'transport', transport: 'vvu' });
    expect(classifyPolicyFile('block.policy')).toEqual({ kind: 'device-fragment', device: 'block' });
    expect(classifyPolicyFile('block_device.policy')).toEqual({ kind: 'loadable', device: 'block', transport: 'virtio' });
    expect(classifyPolicyFile('block_device_vhost_user.policy')).toEqual({ kind: 'loadable', device: 'block', transport: 'vhost-user' });
    expect(classifyPolicyFile('9p_device_vvu.policy')).toEqual({ kind: 'loadable', device: '9p', transport: 'vvu' });
    expect(classifyPolicyFile('vhost_vsock_device.policy')).toEqual({ kind: 'loadable', device: 'vhost_vsock', transport: 'virtio' });
    expect(classifyPolicyFile('block_device_vhost.policy')).toEqual({ kind: 'unknown-transport', device: 'block', suffix: '_vhost' });
    expect(classifyPolicyFile('launch_prologue_static.policy')).toEqual({ kind: 'launcher' });
    expect(classifyPolicyFile('Block.policy').kind).toBe('bad-name');
    expect(classifyPolicyFile('common_device.frequency')).toEqual({ kind: 'not-a-policy' });
  });

  it('composes common_device, then the transport, then the device', () => {
    expect(requiredIncludes('block', 'virtio')).toEqual(['common_device.policy', 'block.policy']);
    expect(requiredIncludes('block', 'vhost-user')).toEqual(['common_device.policy', 'vhost_user.policy', 'block.policy']);
    expect(requiredIncludes('net', 'vvu')).toEqual(['common_device.policy', 'vvu.policy', 'net.policy']);
  });
});

describe('listDevices', () => {
  it('finds devices and transports from the files alone, per arch and for all arches', () => {
    const spec = wellFormedSpec();
    spec['arm/gamma_device_vvu.policy'] = '@include ./common_device.policy\n@include ./vvu.policy\n@include ./gamma.policy\n';
    spec['arm/notes.txt'] = 'not a policy';
    spec['arm/alpha_device_bogus.policy'] = '# unknown transport suffix: not a catalog entry\n';
    const root = folder(spec);
    const arm = listDevices('arm', { policyDir: root });
    expect(arm.map((entry) => `${entry.device}/${entry.transport}`)).toEqual(['alpha/virtio', 'alpha/vhost-user', 'beta/virtio', 'gamma/vvu']);
    expect(arm.every((entry) => entry.arch === 'arm')).toBe(true);
    expect(arm[3].path).toBe(join(root, 'arm', 'gamma_device_vvu.policy'));
    expect(listDevices('armhf', { policyDir: root })).toEqual(arm);
    const all = listDevices(undefined, { policyDir: root });
    expect(all.length).toBe(3 + 3 + 4);
    expect([...new Set(all.map((entry) => entry.arch))]).toEqual(['x86_64', 'aarch64', 'arm']);
  });

  it('takes the folder from JAIL_RUN_POLICY_DIR when no option is given', () => {
    const root = folder(wellFormedSpec());
    process.env[POLICY_DIR_ENVIRONMENT] = root;
    expect(policyDirectory()).toBe(root);
    expect(listDevices('x86_64').length).toBe(3);
    expect(policyDirectory({ policyDir: '/elsewhere' })).toBe('/elsewhere');
  });

  it('defaults to the policies folder shipped in the package', () => {
    expect(policyDirectory()).toMatch(/[/\\]policies$/);
  });
});

describe('resolveDevicePolicy', () => {
  it('gives the loadable file for a device, transport and arch', () => {
    const root = folder(wellFormedSpec());
    expect(resolveDevicePolicy('alpha', 'vhost-user', 'x86_64', { policyDir: root })).toBe(join(root, 'x86_64', 'alpha_device_vhost_user.policy'));
    expect(resolveDevicePolicy('alpha', 'vhost_user', 'arm64', { policyDir: root })).toBe(join(root, 'aarch64', 'alpha_device_vhost_user.policy'));
    expect(resolveDevicePolicy('beta', undefined, 'arm', { policyDir: root })).toBe(join(root, 'arm', 'beta_device.policy'));
    expect(devicePolicyFor({ device: 'beta', arch: 'arm', policyDir: root })).toEqual({
      device: 'beta',
      transport: 'virtio',
      arch: 'arm',
      path: join(root, 'arm', 'beta_device.policy'),
    });
  });

  it('suggests the nearest device and lists those that exist', () => {
    const root = folder(wellFormedSpec());
    const error = catchError(() => resolveDevicePolicy('alhpa', 'virtio', 'x86_64', { policyDir: root }));
    expect(error.kind).toBe('unknown-device');
    expect(error.message).toContain('did you mean "alpha"?');
    expect(error.message).toContain('devices for x86_64: alpha, beta');
    const far = catchError(() => resolveDevicePolicy('zzzzzz', 'virtio', 'x86_64', { policyDir: root }));
    expect(far.message).not.toContain('did you mean');
    expect(far.message).toContain('alpha, beta');
  });

  it('says which transports a device has when the one asked for is missing', () => {
    const root = folder(wellFormedSpec());
    const error = catchError(() => resolveDevicePolicy('beta', 'vhost-user', 'x86_64', { policyDir: root }));
    expect(error.kind).toBe('transport-unavailable');
    expect(error.message).toContain('beta_device_vhost_user.policy');
    expect(error.message).toContain('its transports there: virtio');
  });

  it('rejects an unknown transport with a suggestion', () => {
    const root = folder(wellFormedSpec());
    const error = catchError(() => resolveDevicePolicy('alpha', 'vhost-usr', 'x86_64', { policyDir: root }));
    expect(error.kind).toBe('unknown-transport');
    expect(error.message).toContain('did you mean "vhost-user"?');
    expect(error.message).toContain('virtio, vhost-user, vvu');
  });

  it('rejects an unknown arch and an arch without policies', () => {
    const spec = wellFormedSpec();
    for (const path of Object.keys(spec)) if (path.startsWith('arm/')) delete spec[path];
    const root = folder(spec);
    const unknown = catchError(() => resolveDevicePolicy('alpha', 'virtio', 'mips', { policyDir: root }));
    expect(unknown.kind).toBe('unknown-arch');
    expect(unknown.message).toContain('x86_64, aarch64, arm');
    const empty = catchError(() => resolveDevicePolicy('alpha', 'virtio', 'arm', { policyDir: root }));
    expect(empty.kind).toBe('no-policies-for-arch');
    expect(empty.message).toContain('device policies exist for: x86_64, aarch64');
  });

  it('says on which arches a device exists when it is missing on the one asked for', () => {
    const spec = wellFormedSpec();
    spec['x86_64/gamma_device.policy'] = '@include ./common_device.policy\n@include ./gamma.policy\n';
    const root = folder(spec);
    const error = catchError(() => resolveDevicePolicy('gamma', 'virtio', 'arm', { policyDir: root }));
    expect(error.kind).toBe('unknown-device');
    expect(error.message).toContain('it exists for x86_64');
  });

  it('reports a policies folder that does not exist', () => {
    const error = catchError(() => listDevices('x86_64', { policyDir: '/nonexistent/jail-run-policies' }));
    expect(error.kind).toBe('no-policy-folder');
    expect(error.message).toContain('/nonexistent/jail-run-policies');
  });
});
