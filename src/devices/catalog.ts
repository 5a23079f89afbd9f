/**
 * The device catalog. The policies folder is the catalog: for arch A, device
 * foo exists when policies/A/foo_device*.policy exists, and the suffix names
 * the transport (design §5). Nothing here lists devices by hand.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { hostArch, resolveArch, SHIPPED_ARCHES, type ShippedArch } from '../arch/index.js';
import { closestName } from '../util/closest-name.js';
import { classifyPolicyFile, loadableFileName, parseTransport, TRANSPORTS, type Transport } from './naming.js';
import { policyDirectory, policyDirectoryOrigin, type PolicyDirectoryOptions } from './policy-directory.js';

export interface DeviceEntry {
  readonly device: string;
  readonly transport: Transport;
  readonly arch: ShippedArch;
  /** The loadable policy file. */
  readonly path: string;
}

export type CatalogOptions = PolicyDirectoryOptions;

export type DeviceCatalogErrorKind =
  | 'no-policy-folder'
  | 'unknown-arch'
  | 'no-policies-for-arch'
  | 'unknown-device'
  | 'unknown-transport'
  | 'transport-unavailable'
  | 'naming-rules';

/** A device, transport or arch the catalog cannot give a policy for; the message lists what exists. */
export class DeviceCatalogError extends Error {
  constructor(
    readonly kind: DeviceCatalogErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'DeviceCatalogError';
  }
}

/** The arch folders present in the policies folder, in shipped order. */
export function catalogArches(options: CatalogOptions = {}): ShippedArch[] {
  const root = existingPolicyDirectory(options);
  return SHIPPED_ARCHES.filter((arch) => isDirectory(join(root, arch)));
}

/**
 * Every loadable device policy, for one arch (name or alias) or for all arch
 * folders present. Sorted by arch (shipped order), device, transport.
 */
export function listDevices(arch?: string, options: CatalogOptions = {}): DeviceEntry[] {
  const root = existingPolicyDirectory(options);
  const arches = arch === undefined ? catalogArches(options) : [shippedArchName(arch)];
  const entries: DeviceEntry[] = [];
  for (const archName of arches) {
    const folder = join(root, archName);
    if (!isDirectory(folder)) continue;
    const found: DeviceEntry[] = [];
    for (const fileName of readdirSync(folder)) {
      const role = classifyPolicyFile(fileName);
      if (role.kind !== 'loadable' || !isFile(join(folder, fileName))) continue;
      found.push({ device: role.device, transport: role.transport, arch: archName, path: join(folder, fileName) });
    }
    found.sort((a, b) => a.device.localeCompare(b.device) || TRANSPORTS.indexOf(a.transport) - TRANSPORTS.indexOf(b.transport));
    entries.push(...found);
  }
  return entries;
}

/**
 * The loadable policy file for a device, transport and arch (default: virtio
 * on this machine's arch). Throws DeviceCatalogError saying what exists.
 */
export function resolveDevicePolicy(device: string, transport: string = 'virtio', arch: string = hostArch(), options: CatalogOptions = {}): string {
  const archName = shippedArchName(arch);
  const wantedTransport = parseTransport(transport);
  if (wantedTransport === undefined) {
    throw new DeviceCatalogError('unknown-transport', `unknown transport "${transport}"${didYouMean(transport, TRANSPORTS)}; transports: ${TRANSPORTS.join(', ')}`);
  }
  const root = existingPolicyDirectory(options);
  const forArch = listDevices(archName, options);
  if (forArch.length === 0) {
    const elsewhere = catalogArches(options).filter((other) => listDevices(other, options).length > 0);
    throw new DeviceCatalogError(
      'no-policies-for-arch',
      `no device policies for arch ${archName} in ${join(root, archName)}` +
        (elsewhere.length > 0 ? `; device policies exist for: ${elsewhere.join(', ')}` : '') +
        archFolderHint(root),
    );
  }
  const devices = [...new Set(forArch.map((entry) => entry.device))];
  const transports = forArch.filter((entry) => entry.device === device);
  if (transports.length === 0) {
    const otherArches = listDevices(undefined, options).filter((entry) => entry.device === device).map((entry) => entry.arch);
    const hint =
      otherArches.length > 0
        ? ` (it exists for ${[...new Set(otherArches)].join(', ')})`
        : didYouMean(deviceOfFileName(device), devices);
    throw new DeviceCatalogError('unknown-device', `no device "${device}" for arch ${archName}${hint}; devices for ${archName}: ${devices.join(', ')}`);
  }
  const match = transports.find((entry) => entry.transport === wantedTransport);
  if (match === undefined) {
    throw new DeviceCatalogError(
      'transport-unavailable',
      `device "${device}" has no ${wantedTransport} policy for arch ${archName} (no ${loadableFileName(device, wantedTransport)}); ` +
        `its transports there: ${transports.map((entry) => entry.transport).join(', ')}`,
    );
  }
  return match.path;
}

/** Accepts x86_64, aarch64, arm and their aliases; anything else is an unknown-arch error. */
function shippedArchName(arch: string): ShippedArch {
  try {
    return resolveArch(arch).name as ShippedArch;
  } catch (error) {
    throw new DeviceCatalogError('unknown-arch', (error as Error).message);
  }
}

function existingPolicyDirectory(options: CatalogOptions): string {
  const root = policyDirectory(options);
  if (!isDirectory(root)) {
    throw new DeviceCatalogError('no-policy-folder', `policies folder ${root} (${policyDirectoryOrigin(options)}) does not exist or is not a folder`);
  }
  return root;
}

/** The commonest slip with --policy-dir: naming one arch folder (policies/x86_64) instead of the folder above. */
export function archFolderHint(root: string): string {
  return (SHIPPED_ARCHES as readonly string[]).includes(basename(root))
    ? `; ${root} looks like an arch folder itself: give the folder above it, ${dirname(root)}`
    : '';
}

/** A policy's file name given as the device ("block_device_vhost_user.policy") is a likely slip: hint at its device. */
const deviceOfFileName = (name: string): string => name.replace(/\.policy$/, '').replace(/_device(_vhost_user|_vvu)?$/, '');

function didYouMean(requested: string, candidates: Iterable<string>): string {
  const suggestion = closestName(requested, candidates);
  return suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
