import { isAbsolute, join, resolve } from 'node:path';
import { packageRoot } from './package-root.js';

/** Environment variable that points jail-run at another policies folder (tests, local policy work). */
export const POLICY_DIR_ENVIRONMENT = 'JAIL_RUN_POLICY_DIR';

export interface PolicyDirectoryOptions {
  /** A policies folder holding <arch>/ subfolders; wins over the environment and the shipped folder. */
  readonly policyDir?: string;
}

/** The policies folder in use: the option, else $JAIL_RUN_POLICY_DIR, else the one shipped with jail-run. */
export function policyDirectory(options: PolicyDirectoryOptions = {}): string {
  const chosen = options.policyDir ?? nonEmpty(process.env[POLICY_DIR_ENVIRONMENT]);
  if (chosen !== undefined) return isAbsolute(chosen) ? chosen : resolve(chosen);
  return join(packageRoot(), 'policies');
}

/** Where the folder in use came from, for error messages. */
export function policyDirectoryOrigin(options: PolicyDirectoryOptions = {}): string {
  if (options.policyDir !== undefined) return 'given with --policy-dir';
  if (nonEmpty(process.env[POLICY_DIR_ENVIRONMENT]) !== undefined) return `set by ${POLICY_DIR_ENVIRONMENT}`;
  return 'shipped with jail-run';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
