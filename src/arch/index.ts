import * as aarch64Data from './generated/aarch64.js';
import * as armData from './generated/arm.js';
import * as x86_64Data from './generated/x86_64.js';
import { SHIPPED_ARCHES, type ArchTable, type ShippedArch } from './types.js';
import { closestName } from '../util/closest-name.js';

export { ArchFileError, loadArchJson, parseArchJson } from './arch-json.js';
export { SHIPPED_ARCHES } from './types.js';
export type { ArchTable, ShippedArch } from './types.js';

/** An arch name that names none of the shipped tables. */
export class UnknownArchError extends Error {
  constructor(
    readonly requested: string,
    readonly suggestion: string | undefined,
    context = 'unknown arch',
  ) {
    const hint = suggestion !== undefined ? ` (did you mean "${suggestion}"?)` : '';
    super(
      `${context} "${requested}"${hint}; shipped arches: ${SHIPPED_ARCHES.join(', ')}` +
        ` (aliases ${Object.keys(ALIASES).filter((alias) => !isShippedArch(alias)).join(', ')});` +
        ' for other arches pass a Minijail constants.json with --arch-json',
    );
    this.name = 'UnknownArchError';
  }
}

interface GeneratedArchModule {
  readonly archInfo: { readonly name: string; readonly minijailName: string; readonly auditArch: number; readonly bits: 32 | 64 };
  readonly syscalls: readonly (readonly [string, number])[];
  readonly constants: readonly (readonly [string, string])[];
}

const GENERATED: Readonly<Record<ShippedArch, GeneratedArchModule>> = {
  x86_64: x86_64Data,
  aarch64: aarch64Data,
  arm: armData,
};

/** Other names people and tools use for the same arches (Debian, Go, Node, Minijail). */
const ALIASES: Readonly<Record<string, ShippedArch>> = {
  x86_64: 'x86_64',
  aarch64: 'aarch64',
  arm: 'arm',
  amd64: 'x86_64',
  arm64: 'aarch64',
  armhf: 'arm',
};

/** Node's process.arch -> our arch name. */
const NODE_ARCHES: Readonly<Record<string, ShippedArch>> = { x64: 'x86_64', arm64: 'aarch64', arm: 'arm' };

function isShippedArch(name: string): name is ShippedArch {
  return (SHIPPED_ARCHES as readonly string[]).includes(name);
}

const shippedTables = new Map<ShippedArch, ArchTable>();

/**
 * The table for one of the arches we ship. Built on first use: turning
 * thousands of decimal strings into bigints is wasted work for arches a run
 * never touches.
 */
export function getShippedArch(name: ShippedArch): ArchTable {
  if (!isShippedArch(name)) throw new UnknownArchError(name, closestArch(name));
  let table = shippedTables.get(name);
  if (table === undefined) {
    const data = GENERATED[name];
    table = {
      name: data.archInfo.name,
      minijailName: data.archInfo.minijailName,
      auditArch: data.archInfo.auditArch,
      bits: data.archInfo.bits,
      syscalls: new Map(data.syscalls),
      constants: new Map(data.constants.map(([constant, value]) => [constant, BigInt(value)])),
      syscallGroups: new Map(),
    };
    shippedTables.set(name, table);
  }
  return table;
}

/** Accepts x86_64, aarch64, arm and the aliases amd64, arm64, armhf. */
export function resolveArch(nameOrAlias: string): ArchTable {
  if (!Object.hasOwn(ALIASES, nameOrAlias)) throw new UnknownArchError(nameOrAlias, closestArch(nameOrAlias));
  return getShippedArch(ALIASES[nameOrAlias]);
}

/** The shipped arch this process runs on (from process.arch, or the given Node arch name). */
export function hostArch(nodeArch: string = process.arch): ShippedArch {
  const name = Object.hasOwn(NODE_ARCHES, nodeArch) ? NODE_ARCHES[nodeArch] : undefined;
  if (name === undefined) throw new UnknownArchError(nodeArch, undefined, 'no shipped table for host arch');
  return name;
}

const namesByNumber = new WeakMap<ArchTable, Map<number, string>>();

/**
 * The syscall name for a number, for disassembly and denial reports. Where
 * several names share a number (arm's sync_file_range2), the table's first
 * name wins.
 */
export function syscallName(arch: ArchTable, number: number): string | undefined {
  let byNumber = namesByNumber.get(arch);
  if (byNumber === undefined) {
    byNumber = new Map();
    for (const [name, syscallNumber] of arch.syscalls) {
      if (!byNumber.has(syscallNumber)) byNumber.set(syscallNumber, name);
    }
    namesByNumber.set(arch, byNumber);
  }
  return byNumber.get(number);
}

/** The known name or alias nearest to a misspelling, when one is close enough to be a likely typo. */
const closestArch = (requested: string): string | undefined => closestName(requested, Object.keys(ALIASES), 2);
