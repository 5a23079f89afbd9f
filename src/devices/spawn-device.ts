/**
 * `jail-run --device NAME --transport T -- PROGRAM` as a library call: the
 * catalog picks the policy, the launcher runs the program under it, and the
 * stage programs come from the compile cache when the same policy ran before.
 */
import { spawnJailed, type JailedProcess, type SpawnJailedOptions } from '../launch/spawn-jailed.js';
import type { CompileCacheOptions } from './compile-cache.js';
import { devicePolicyFor, type DevicePolicy, type DeviceSelection } from './device-policy.js';

export type SpawnDeviceOptions = Omit<SpawnJailedOptions, 'policy' | 'arch' | 'programCache'> & {
  /** The compile cache (default: the user's cache folder, see compileCacheDirectory); false to compile every time. */
  readonly cache?: CompileCacheOptions | false;
};

/**
 * Starts `file` under the policy of a catalog device. Throws
 * DeviceCatalogError (unknown device, transport or arch: nothing is started)
 * or whatever spawnJailed throws.
 */
export function spawnDevice(selection: DeviceSelection, file: string, args: readonly string[], options: SpawnDeviceOptions = {}): { device: DevicePolicy; process: JailedProcess } {
  const device = devicePolicyFor(selection);
  const { cache, ...launchOptions } = options;
  const child = spawnJailed(file, args, {
    ...launchOptions,
    policy: device.path,
    arch: device.arch,
    ...(cache === false ? {} : { programCache: cache ?? {} }),
  });
  return { device, process: child };
}
