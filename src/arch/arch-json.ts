import { readFailureName, readInputText } from '../util/read-input-file.js';
import type { ArchTable } from './types.js';

/** A Minijail-format arch file (`constants.json`) that cannot be used. */
export class ArchFileError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'ArchFileError';
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Minijail's arch_name for each AUDIT_ARCH value (generate_constants_json.py);
 * used to give a loaded file our own arch name where we know it.
 */
const OUR_NAME_BY_MINIJAIL_NAME: Readonly<Record<string, string>> = { x86_64: 'x86_64', arm64: 'aarch64', arm: 'arm' };

/**
 * Integers in constants.json may exceed 2^53 (64-bit masks), so the file is
 * parsed with big integers preserved: JSON.parse would round them.
 */
function parseJsonWithBigInts(text: string): unknown {
  const marker = '__jail_run_bigint__:';
  const protectedText = text.replace(
    // Only whole integers: the digits of 1.5 or 1e5 stay a number, which the checks below refuse by name.
    /("(?:[^"\\]|\\.)*")|(?<![\d.eE+-])(-?\d+)(?![\d.eE])/g,
    (match, quoted: string | undefined, digits: string | undefined) =>
      quoted !== undefined ? quoted : `"${marker}${digits}"`,
  );
  return JSON.parse(protectedText, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(marker) ? BigInt(value.slice(marker.length)) : value,
  );
}

export function parseArchJson(text: string, file: string): ArchTable {
  let data: unknown;
  try {
    data = parseJsonWithBigInts(text);
  } catch (error) {
    throw new ArchFileError(file, `not valid JSON (${(error as Error).message})`);
  }
  if (!isRecord(data)) throw new ArchFileError(file, 'expected a JSON object');
  const { arch_nr: archNr, arch_name: archName, bits, syscalls, constants } = data;
  if (typeof archNr !== 'bigint' || archNr < 0n || archNr > 0xffffffffn) {
    throw new ArchFileError(file, '"arch_nr" must be an integer in 0..0xffffffff');
  }
  if (typeof archName !== 'string' || archName === '') throw new ArchFileError(file, '"arch_name" must be a string');
  if (bits !== 32n && bits !== 64n) throw new ArchFileError(file, '"bits" must be 32 or 64');
  if (!isRecord(syscalls)) throw new ArchFileError(file, '"syscalls" must be an object of name -> number');
  if (!isRecord(constants)) throw new ArchFileError(file, '"constants" must be an object of name -> integer');

  const syscallTable = new Map<string, number>();
  for (const [name, value] of Object.entries(syscalls)) {
    if (typeof value !== 'bigint' || value < 0n || value > 0xffffffffn) {
      throw new ArchFileError(file, `syscall "${name}" must have a number in 0..0xffffffff`);
    }
    syscallTable.set(name, Number(value));
  }
  const constantTable = new Map<string, bigint>();
  for (const [name, value] of Object.entries(constants)) {
    if (typeof value !== 'bigint') throw new ArchFileError(file, `constant "${name}" must be an integer`);
    constantTable.set(name, value);
  }
  const groups = new Map<string, Map<string, readonly string[]>>();
  if (data.syscall_groups !== undefined) {
    if (!isRecord(data.syscall_groups)) throw new ArchFileError(file, '"syscall_groups" must be an object');
    for (const [namespace, namespaceGroups] of Object.entries(data.syscall_groups)) {
      if (!isRecord(namespaceGroups)) throw new ArchFileError(file, `syscall group namespace "${namespace}" must be an object`);
      const byName = new Map<string, readonly string[]>();
      for (const [group, members] of Object.entries(namespaceGroups)) {
        if (!Array.isArray(members) || !members.every((member) => typeof member === 'string')) {
          throw new ArchFileError(file, `syscall group "${group}@${namespace}" must be a list of syscall names`);
        }
        byName.set(group, members as string[]);
      }
      groups.set(namespace, byName);
    }
  }
  return {
    name: OUR_NAME_BY_MINIJAIL_NAME[archName] ?? archName,
    minijailName: archName,
    auditArch: Number(archNr),
    bits: bits === 64n ? 64 : 32,
    syscalls: syscallTable,
    constants: constantTable,
    syscallGroups: groups,
  };
}

export function loadArchJson(file: string): ArchTable {
  let text: string;
  try {
    text = readInputText(file);
  } catch (error) {
    throw new ArchFileError(file, `cannot read arch file (${readFailureName(error)})`);
  }
  return parseArchJson(text, file);
}
