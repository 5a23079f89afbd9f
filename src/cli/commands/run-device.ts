/**
 * `jail-run --device NAME [--transport T] [--policy-dir DIR] -- PROGRAM`:
 * the device catalog as a way to name the run mode's policy (run.ts). The
 * arch is the run mode's own --arch (default: this machine's).
 */
import { Option, type Command } from 'commander';
import type { ArchTable } from '../../arch/index.js';
import { DeviceCatalogError } from '../../devices/catalog.js';
import { devicePolicyFor } from '../../devices/device-policy.js';
import { TRANSPORTS } from '../../devices/naming.js';
import { UsageError } from '../report-failure.js';
import { addRunPolicySource, type RunValues } from './run.js';

addRunPolicySource({
  name: '--device',
  addOptions(command: Command): void {
    command
      .addOption(new Option('--device <name>', 'run PROGRAM under the policy of this device (see `jail-run devices`)'))
      .addOption(new Option('--transport <transport>', `with --device: ${TRANSPORTS.join(', ')} (default virtio)`))
      .addOption(new Option('--policy-dir <dir>', 'with --device: a policies folder other than the shipped one (also JAIL_RUN_POLICY_DIR)'));
  },
  resolve(values: RunValues, arch: ArchTable): string | undefined {
    const device = values.device as string | undefined;
    const transport = values.transport as string | undefined;
    const policyDir = values.policyDir as string | undefined;
    if (device === undefined) {
      if (transport !== undefined || policyDir !== undefined) throw new UsageError('--transport and --policy-dir go with --device NAME');
      return undefined;
    }
    try {
      return devicePolicyFor({ device, transport, arch: arch.name, policyDir }).path;
    } catch (error) {
      if (error instanceof DeviceCatalogError) throw new UsageError(error.message);
      throw error;
    }
  },
});
