import { Option, type Command } from 'commander';
import { SHIPPED_ARCHES } from '../../arch/index.js';
import { archFolderHint, catalogArches, DeviceCatalogError, listDevices, type DeviceEntry } from '../../devices/catalog.js';
import { TRANSPORTS } from '../../devices/naming.js';
import { policyDirectory } from '../../devices/policy-directory.js';
import { registerCommand } from '../program.js';
import { UsageError } from '../report-failure.js';

interface DevicesOptions {
  arch?: string;
  json?: boolean;
  policyDir?: string;
}

/** One row per device, one column per arch; a cell lists the transports that device has there. */
function renderTable(entries: readonly DeviceEntry[], arches: readonly string[]): string {
  const devices = [...new Set(entries.map((entry) => entry.device))].sort();
  const rows = [['device', ...arches]];
  for (const device of devices) {
    rows.push([
      device,
      ...arches.map((arch) => {
        const transports = TRANSPORTS.filter((transport) => entries.some((entry) => entry.device === device && entry.arch === arch && entry.transport === transport));
        return transports.length === 0 ? '-' : transports.join(' ');
      }),
    ]);
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n');
}

registerCommand((program: Command) => {
  program
    .command('devices')
    .description('list the device policies: devices × transports (virtio, vhost-user, vvu) × arches, read from the policies folder')
    .addOption(new Option('--arch <arch>', `only this arch (${SHIPPED_ARCHES.join(', ')})`))
    .addOption(new Option('--json', 'one JSON object per policy: device, transport, arch, path'))
    .addOption(new Option('--policy-dir <dir>', 'a policies folder other than the shipped one (also JAIL_RUN_POLICY_DIR)'))
    .action((options: DevicesOptions) => {
      const catalog = { policyDir: options.policyDir };
      let entries: DeviceEntry[];
      let arches: string[];
      try {
        entries = listDevices(options.arch, catalog);
        arches = options.arch === undefined ? catalogArches(catalog) : [...new Set(entries.map((entry) => entry.arch))];
        if (options.arch !== undefined && arches.length === 0) arches = [options.arch];
        // No arch folder at all is a wrong folder, not an empty catalog.
        if (options.arch === undefined && arches.length === 0) {
          const root = policyDirectory(catalog);
          throw new UsageError(`no arch folders (${SHIPPED_ARCHES.join(', ')}) in ${root}${archFolderHint(root)}`);
        }
      } catch (error) {
        if (error instanceof DeviceCatalogError) throw new UsageError(error.message);
        throw error;
      }
      if (options.json === true) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      const deviceCount = new Set(entries.map((entry) => entry.device)).size;
      process.stdout.write(`${renderTable(entries, arches)}\n\n${deviceCount} devices, ${entries.length} policies in ${policyDirectory(catalog)}\n`);
    });
});
