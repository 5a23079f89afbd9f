import { Option } from 'commander';
import { hostArch, loadArchJson, resolveArch, type ArchTable } from '../arch/index.js';
import { UsageError } from './report-failure.js';

export interface ArchOptionValues {
  arch?: string;
  archJson?: string;
}

export const archOption = (): Option =>
  new Option('--arch <arch>', 'target architecture: x86_64, aarch64 or arm (default: this machine\'s)');
export const archJsonOption = (): Option =>
  new Option('--arch-json <file>', 'use a Minijail-format constants.json instead of a shipped arch table').conflicts('arch');

/** The arch table chosen by --arch / --arch-json, or the host's. */
export function selectArch(values: ArchOptionValues): ArchTable {
  if (values.archJson !== undefined) return loadArchJson(values.archJson);
  try {
    return resolveArch(values.arch ?? hostArch());
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
