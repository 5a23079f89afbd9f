/**
 * What `--device NAME --transport T [--arch A] [--policy-dir DIR]` means:
 * the one loadable policy file the run mode compiles and launches under.
 */
import { hostArch, resolveArch, type ShippedArch } from '../arch/index.js';
import { resolveDevicePolicy, type CatalogOptions } from './catalog.js';
import { parseTransport, type Transport } from './naming.js';

export interface DeviceSelection extends CatalogOptions {
  readonly device: string;
  /** virtio (default), vhost-user or vvu. */
  readonly transport?: string;
  /** x86_64, aarch64, arm or an alias; default this machine's arch. */
  readonly arch?: string;
}

export interface DevicePolicy {
  readonly device: string;
  readonly transport: Transport;
  readonly arch: ShippedArch;
  /** The loadable policy file. */
  readonly path: string;
}

/** Resolves a device selection to its policy file; throws DeviceCatalogError listing what exists. */
export function devicePolicyFor(selection: DeviceSelection): DevicePolicy {
  const transportText = selection.transport ?? 'virtio';
  const path = resolveDevicePolicy(selection.device, transportText, selection.arch ?? hostArch(), selection);
  // resolveDevicePolicy has validated both, so these lookups cannot fail here.
  const transport = parseTransport(transportText) as Transport;
  const arch = resolveArch(selection.arch ?? hostArch()).name as ShippedArch;
  return { device: selection.device, transport, arch, path };
}
