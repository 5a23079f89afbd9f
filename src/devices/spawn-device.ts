/**
 * `jail-run --device NAME --transport T -- PROGRAM` as a library call: the
 * catalog picks the policy, the launcher runs the program under it.
 */
import { spawnJailed, type JailedProcess, type SpawnJailedOptions } from '../launch/spawn-jailed.js';
import { devicePolicyFor, type DevicePolicy, type DeviceSelection } from './device-policy.js';

export type SpawnDeviceOptions = Omit<SpawnJailedOptions, 'policy' | 'arch'>;

/**
 * Starts `file` under the policy of a catalog device. Throws
 * DeviceCatalogError (unknown device, transport or arch: nothing is started)
 * or whatever spawnJailed throws.
 */
export function spawnDevice(selection: DeviceSelection, file: string, args: readonly string[], options: SpawnDeviceOptions = {}): { device: DevicePolicy; process: JailedProcess } {
  const device = devicePolicyFor(selection);
  const child = spawnJailed(file, args, { ...options, policy: device.path, arch: device.arch });
  return { device, process: child };
}
