/**
 * The naming rules of the policies folder (design §5): what a file name in
 * policies/<arch>/ says about the file. Pure functions over names only; the
 * catalog and the linter build on them.
 *
 *   common_device.policy            the base of every device (fragment)
 *   vhost_user.policy, vvu.policy   what a transport adds (fragments)
 *   foo.policy                      what device foo needs (fragment)
 *   foo_device.policy               loadable: foo over virtio
 *   foo_device_vhost_user.policy    loadable: foo as a vhost-user back end
 *   foo_device_vvu.policy           loadable: foo over virtio-vhost-user
 *   launch_*.policy                 the launcher's prologues (not devices)
 */

export const TRANSPORTS = ['virtio', 'vhost-user', 'vvu'] as const;
export type Transport = (typeof TRANSPORTS)[number];

export const POLICY_EXTENSION = '.policy';
export const COMMON_FRAGMENT = 'common_device';
/** Files the launcher owns (its stage-A prologues) share the arch folders but are no device. */
export const LAUNCHER_PREFIX = 'launch_';

/** The loadable-file suffix after `_device` for each transport. */
const LOADABLE_SUFFIX: Readonly<Record<Transport, string>> = {
  virtio: '',
  'vhost-user': '_vhost_user',
  vvu: '_vvu',
};

/** The fragment each transport adds to common_device; virtio adds none. */
const TRANSPORT_FRAGMENT: Readonly<Record<Transport, string | undefined>> = {
  virtio: undefined,
  'vhost-user': 'vhost_user',
  vvu: 'vvu',
};

/** Spellings accepted on the command line for each transport. */
const TRANSPORT_SPELLINGS: Readonly<Record<string, Transport>> = {
  virtio: 'virtio',
  'vhost-user': 'vhost-user',
  vhost_user: 'vhost-user',
  vhostuser: 'vhost-user',
  vvu: 'vvu',
};

export type PolicyFileRole =
  | { readonly kind: 'common' }
  | { readonly kind: 'transport'; readonly transport: Transport }
  | { readonly kind: 'device-fragment'; readonly device: string }
  | { readonly kind: 'loadable'; readonly device: string; readonly transport: Transport }
  /** launch_*.policy: the launcher's own stage-A prologue (docs/launcher.md), not part of the catalog. */
  | { readonly kind: 'launcher' }
  /** Ends in `_device_<something>` where <something> is no transport we know. */
  | { readonly kind: 'unknown-transport'; readonly device: string; readonly suffix: string }
  /** Not a .policy file, or a name the rules cannot read (empty device name, odd characters). */
  | { readonly kind: 'not-a-policy' }
  | { readonly kind: 'bad-name'; readonly reason: string };

/** Device names: what can stand before `_device` (lower-case letters, digits, `_`). */
const DEVICE_NAME = /^[a-z0-9][a-z0-9_]*$/;

export function parseTransport(text: string): Transport | undefined {
  return Object.hasOwn(TRANSPORT_SPELLINGS, text) ? TRANSPORT_SPELLINGS[text] : undefined;
}

export function loadableFileName(device: string, transport: Transport): string {
  return `${device}_device${LOADABLE_SUFFIX[transport]}${POLICY_EXTENSION}`;
}

export function transportFragmentName(transport: Transport): string | undefined {
  const fragment = TRANSPORT_FRAGMENT[transport];
  return fragment === undefined ? undefined : `${fragment}${POLICY_EXTENSION}`;
}

export function deviceFragmentName(device: string): string {
  return `${device}${POLICY_EXTENSION}`;
}

export const commonFragmentName = (): string => `${COMMON_FRAGMENT}${POLICY_EXTENSION}`;

/**
 * The files a loadable policy must include, in this order: the common base
 * first, then the transport, then the device. Include order is the order in
 * which the compiler merges conditional rules of the same syscall, so a fixed
 * order keeps every device's composition readable the same way.
 */
export function requiredIncludes(device: string, transport: Transport): string[] {
  const transportFile = transportFragmentName(transport);
  return [commonFragmentName(), ...(transportFile === undefined ? [] : [transportFile]), deviceFragmentName(device)];
}

/** What a file name in policies/<arch>/ is, by the naming rules alone. */
export function classifyPolicyFile(fileName: string): PolicyFileRole {
  if (!fileName.endsWith(POLICY_EXTENSION)) return { kind: 'not-a-policy' };
  const stem = fileName.slice(0, -POLICY_EXTENSION.length);
  if (stem === COMMON_FRAGMENT) return { kind: 'common' };
  if (stem.startsWith(LAUNCHER_PREFIX)) return { kind: 'launcher' };
  for (const transport of TRANSPORTS) {
    if (TRANSPORT_FRAGMENT[transport] === stem) return { kind: 'transport', transport };
  }
  const marker = stem.lastIndexOf('_device');
  if (marker > 0) {
    const device = stem.slice(0, marker);
    const suffix = stem.slice(marker + '_device'.length);
    if (suffix === '' || suffix.startsWith('_')) {
      if (!DEVICE_NAME.test(device)) return { kind: 'bad-name', reason: `"${device}" is not a device name (lower-case letters, digits and _)` };
      const transport = TRANSPORTS.find((candidate) => LOADABLE_SUFFIX[candidate] === suffix);
      return transport === undefined ? { kind: 'unknown-transport', device, suffix } : { kind: 'loadable', device, transport };
    }
  }
  if (!DEVICE_NAME.test(stem)) return { kind: 'bad-name', reason: `"${stem}" is not a fragment name (lower-case letters, digits and _)` };
  return { kind: 'device-fragment', device: stem };
}
