/**
 * How `jail-run check` reads the system call it is asked about: a name or a
 * number, and arguments written as numbers or the arch's constant names.
 */
import { syscallName, type ArchTable } from '../arch/index.js';
import { SECCOMP_DATA_ARGUMENT_COUNT } from '../bpf/index.js';
import { closestName, didYouMean } from '../util/closest-name.js';
import type { SelectedSyscall } from '../check/check-syscall.js';
import { UsageError } from './report-failure.js';

export type { SelectedSyscall } from '../check/check-syscall.js';

// Base prefixes as Python's int(x, 0) takes them, which is how the reference reads numbers.
const NUMBER = /^-?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[0-9]+)$/i;

function parseNumber(text: string): bigint | undefined {
  if (!NUMBER.test(text)) return undefined;
  const negative = text.startsWith('-');
  const magnitude = BigInt(negative ? text.slice(1) : text);
  return negative ? -magnitude : magnitude;
}

/** --syscall NAME|NUMBER. A number need not be in the table: a filter must still decide it. */
export function selectSyscall(text: string, arch: ArchTable): SelectedSyscall {
  const number = parseNumber(text);
  if (number !== undefined) {
    if (number < 0n || number > 0xffffffffn) throw new UsageError(`--syscall ${text}: a syscall number must be between 0 and 0xffffffff`);
    return { name: syscallName(arch, Number(number)), number: Number(number) };
  }
  const known = arch.syscalls.get(text);
  if (known === undefined) {
    throw new UsageError(`--syscall ${text}: no such syscall on ${arch.name}${didYouMean(closestName(text, arch.syscalls.keys()))}`);
  }
  return { name: text, number: known };
}

/**
 * One argument: values joined by `|`, each a number (decimal, 0x, 0o, 0b, or
 * negative, taken as two's complement) or a constant of the arch.
 */
function parseArgument(text: string, index: number, arch: ArchTable): bigint {
  const width = BigInt(arch.bits);
  const limit = (1n << width) - 1n;
  let value = 0n;
  for (const rawPart of text.split('|')) {
    const part = rawPart.trim();
    if (part === '') throw new UsageError(`--args: argument ${index} ("${text}") has an empty part`);
    let partValue = parseNumber(part) ?? arch.constants.get(part);
    if (partValue === undefined) {
      throw new UsageError(`--args: argument ${index}: "${part}" is neither a number nor a constant of ${arch.name}${didYouMean(closestName(part, arch.constants.keys()))}`);
    }
    if (partValue < -(1n << (width - 1n)) || partValue > limit) {
      throw new UsageError(`--args: argument ${index}: ${part} does not fit in ${arch.bits} bits`);
    }
    partValue = BigInt.asUintN(arch.bits, partValue);
    value |= partValue;
  }
  return value;
}

/** --args a0,a1,...: up to six arguments; missing ones are 0. */
export function parseArguments(text: string | undefined, arch: ArchTable): bigint[] {
  if (text === undefined || text.trim() === '') return [];
  const parts = text.split(',');
  if (parts.length > SECCOMP_DATA_ARGUMENT_COUNT) {
    throw new UsageError(`--args: a syscall has at most ${SECCOMP_DATA_ARGUMENT_COUNT} arguments, got ${parts.length}`);
  }
  return parts.map((part, index) => parseArgument(part.trim(), index, arch));
}
