import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A policies folder made for one test: paths relative to the folder -> file text. */
export type PolicyFolderSpec = Record<string, string>;

export function makePolicyFolder(spec: PolicyFolderSpec): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'jail-run-policies-'));
  for (const [path, text] of Object.entries(spec)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export const ARCHES = ['x86_64', 'aarch64', 'arm'] as const;

/**
 * A small well-formed catalog: every arch has common_device, vhost_user and
 * devices "alpha" (virtio, vhost-user) and "beta" (virtio), all made of
 * syscalls every arch has.
 */
export function wellFormedSpec(): PolicyFolderSpec {
  const spec: PolicyFolderSpec = {};
  for (const arch of ARCHES) {
    spec[`${arch}/common_device.policy`] = '# base\nread: 1\nwrite: 1\nclose: 1\nexit_group: 1\n';
    spec[`${arch}/vhost_user.policy`] = '# vhost-user transport\nrecvmsg: 1\n';
    spec[`${arch}/vvu.policy`] = '# vvu transport\nsendmsg: 1\n';
    spec[`${arch}/alpha.policy`] = '# alpha\nfsync: 1\n';
    spec[`${arch}/beta.policy`] = '# beta\nfdatasync: 1\n';
    spec[`${arch}/alpha_device.policy`] = '@include ./common_device.policy\n@include ./alpha.policy\n';
    spec[`${arch}/alpha_device_vhost_user.policy`] = '@include ./common_device.policy\n@include ./vhost_user.policy\n@include ./alpha.policy\n';
    spec[`${arch}/beta_device.policy`] = '@include ./common_device.policy\n@include ./beta.policy\n';
  }
  return spec;
}
