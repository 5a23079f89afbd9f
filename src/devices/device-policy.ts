/**
 * What `--device NAME --transport T [--arch A] [--policy-dir DIR]` means:
 * the one loadable policy file the run mode compiles and launches under.
 */
import { basename, dirname, join } from 'node:path';
import { hostArch, resolveArch, type ShippedArch } from '../arch/index.js';
import { DeviceCatalogError, resolveDevicePolicy, type CatalogOptions } from './catalog.js';
import { formatFinding } from './lint-finding.js';
import { isFile, readPolicyFile } from './lint-folder.js';
import { checkStructure } from './lint-structure.js';
import { parseTransport, requiredIncludes, type Transport } from './naming.js';

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
  refuseBrokenComposition(path, selection.device, transport, arch);
  return { device: selection.device, transport, arch, path };
}

/**
 * A device is launched only when its files keep the naming rules (the
 * linter's structural rules, for just the files this device is made of): a
 * loadable file that skips common_device or includes a stranger would
 * otherwise run the device under a policy nobody reviewed as that device's.
 */
function refuseBrokenComposition(path: string, device: string, transport: Transport, arch: ShippedArch): void {
  const folder = dirname(path);
  // Only this device's own files: the structural rules judge a file by its name and its includes, not by its neighbours.
  const ownNames = [basename(path), ...requiredIncludes(device, transport)].filter((name) => isFile(join(folder, name)));
  const archFolder = { arch, path: folder, files: ownNames.map((name) => readPolicyFile(folder, name)) };
  // A missing include is left to the compiler, whose error points at the @include line in the reference's format.
  const problems = checkStructure(archFolder).filter((finding) => finding.severity === 'error' && finding.rule !== 'include-missing');
  if (problems.length === 0) return;
  throw new DeviceCatalogError(
    'naming-rules',
    `the ${device} device's policy files for ${arch} (${transport}) break the naming rules, so it is not launched ` +
      `(\`jail-run lint\` checks the whole folder):\n${problems.map((finding) => `  ${formatFinding(finding)}`).join('\n')}`,
  );
}
