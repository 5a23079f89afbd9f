/**
 * Turns the six raw argument words of a denied syscall into text a person can
 * check against the policy: `openat(AT_FDCWD, 0x7ffd3c2a1f40, O_RDONLY|O_CLOEXEC, 0)`.
 * Pure: no memory of the program is read (a pointer stays an address, a
 * path stays unknown), which keeps the launcher safe from a hostile program.
 */
import type { ArchTable } from '../arch/types.js';
import {
  ENUM_NAMES,
  FLAG_NAMES,
  IOCTL_NAME_PATTERN,
  SOCKET_TYPE_NAMES,
  SYSCALL_SIGNATURES,
  ZERO_NAMES,
  type ArgumentKind,
} from './argument-kinds.js';

export interface DecodedArgument {
  readonly index: number;
  /** The raw word as the filter saw it (low 32 bits only on a 32-bit arch). */
  readonly raw: bigint;
  /** 'raw' when the syscall's signature is unknown. */
  readonly kind: ArgumentKind | 'raw';
  readonly text: string;
}

const hex = (value: bigint): string => `0x${value.toString(16)}`;

/** The low `bits` bits as a signed integer. */
function signed(value: bigint, bits: 32 | 64): bigint {
  return BigInt.asIntN(bits, value);
}

interface NamedValue {
  readonly name: string;
  readonly value: bigint;
}

const namedCache = new WeakMap<ArchTable, Map<string, readonly NamedValue[]>>();

/** The listed names that the arch defines, with their values, in list order. */
function namedValues(arch: ArchTable, key: string, names: readonly string[]): readonly NamedValue[] {
  let perArch = namedCache.get(arch);
  if (perArch === undefined) {
    perArch = new Map();
    namedCache.set(arch, perArch);
  }
  let found = perArch.get(key);
  if (found === undefined) {
    found = names.flatMap((name) => {
      const value = arch.constants.get(name);
      return value === undefined ? [] : [{ name, value: BigInt.asUintN(arch.bits, value) }];
    });
    perArch.set(key, found);
  }
  return found;
}

const popcount = (value: bigint): number => value.toString(2).replaceAll('0', '').length;

/**
 * A flag word as NAME|NAME|0xrest. Multi-bit names (O_SYNC, MAP_SHARED_VALIDATE)
 * are tried first so they win over their single-bit parts; a name is used only
 * when all its bits are set and it adds bits not yet shown.
 */
export function decodeFlags(value: bigint, flags: readonly NamedValue[], zeroName = '0'): string {
  if (value === 0n) return zeroName;
  const ordered = [...flags].filter((flag) => flag.value !== 0n).sort((a, b) => popcount(b.value) - popcount(a.value));
  const names: string[] = [];
  let covered = 0n;
  for (const flag of ordered) {
    if ((value & flag.value) === flag.value && (flag.value & ~covered) !== 0n) {
      names.push(flag.name);
      covered |= flag.value;
    }
  }
  const rest = value & ~covered;
  if (rest !== 0n) names.push(hex(rest));
  return names.join('|');
}

function decodeEnum(value: bigint, names: readonly NamedValue[], fallback: string): string {
  return names.find((named) => named.value === value)?.name ?? fallback;
}

function decodeOpenFlags(value: bigint, arch: ArchTable): string {
  const accessModes = namedValues(arch, 'open-access', ['O_RDONLY', 'O_WRONLY', 'O_RDWR']);
  const mode = value & 3n;
  const accessName = accessModes.find((named) => named.value === mode)?.name ?? hex(mode);
  const rest = value & ~3n;
  if (rest === 0n) return accessName;
  return `${accessName}|${decodeFlags(rest, namedValues(arch, 'open-flags', FLAG_NAMES['open-flags']!))}`;
}

function decodeSocketType(value: bigint, arch: ArchTable): string {
  const flags = namedValues(arch, 'socket-flags', FLAG_NAMES['socket-flags']!);
  const flagBits = flags.reduce((bits, flag) => bits | flag.value, 0n);
  const base = value & ~flagBits;
  const baseName = decodeEnum(base, namedValues(arch, 'socket-type', SOCKET_TYPE_NAMES), base.toString());
  const flagText = value & flagBits ? `|${decodeFlags(value & flagBits, flags)}` : '';
  return baseName + flagText;
}

function decodeCloneFlags(value: bigint, arch: ArchTable): string {
  // The low byte is the signal sent to the parent at exit, not a flag.
  const exitSignal = value & 0xffn;
  const flags = value & ~0xffn;
  const parts: string[] = [];
  if (flags !== 0n) parts.push(decodeFlags(flags, namedValues(arch, 'clone-flags', FLAG_NAMES['clone-flags']!)));
  if (exitSignal !== 0n || parts.length === 0) parts.push(decodeEnum(exitSignal, namedValues(arch, 'signal', ENUM_NAMES.signal!), exitSignal.toString()));
  return parts.join('|');
}

const ioctlCache = new WeakMap<ArchTable, Map<bigint, string>>();

function decodeIoctlRequest(value: bigint, arch: ArchTable): string {
  let byValue = ioctlCache.get(arch);
  if (byValue === undefined) {
    byValue = new Map();
    for (const [name, constant] of arch.constants) {
      if (!IOCTL_NAME_PATTERN.test(name)) continue;
      const word = BigInt.asUintN(arch.bits, constant);
      if (!byValue.has(word)) byValue.set(word, name);
    }
    ioctlCache.set(arch, byValue);
  }
  // The request is an unsigned int in the kernel: compare the low 32 bits.
  return byValue.get(value) ?? byValue.get(value & 0xffffffffn) ?? hex(value);
}

/** One argument's text. */
export function decodeArgument(kind: ArgumentKind, raw: bigint, arch: ArchTable): string {
  const value = BigInt.asUintN(arch.bits, raw);
  switch (kind) {
    // C int parameters: the kernel reads the low 32 bits (libc may leave the high word zero for -1).
    case 'fd':
    case 'int':
    case 'pid':
      return signed(value, 32).toString();
    case 'dirfd': {
      const number = signed(value, 32);
      return number === arch.constants.get('AT_FDCWD') ? 'AT_FDCWD' : number.toString();
    }
    case 'offset':
      return signed(value, arch.bits).toString();
    case 'size':
      return value.toString();
    case 'pointer':
      return value === 0n ? 'NULL' : hex(value);
    case 'hex':
      return hex(value);
    case 'mode':
      return value === 0n ? '0' : `0${value.toString(8)}`;
    case 'open-flags':
      return decodeOpenFlags(value, arch);
    case 'socket-type':
      return decodeSocketType(value, arch);
    case 'clone-flags':
      return decodeCloneFlags(value, arch);
    case 'ioctl-request':
      return decodeIoctlRequest(value, arch);
    default: {
      const flagNames = FLAG_NAMES[kind];
      if (flagNames !== undefined) return decodeFlags(value, namedValues(arch, kind, flagNames), ZERO_NAMES[kind]);
      const enumNames = ENUM_NAMES[kind];
      if (enumNames !== undefined) return decodeEnum(value, namedValues(arch, kind, enumNames), signed(value, 32).toString());
      return hex(value);
    }
  }
}

/**
 * The arguments a syscall takes, decoded. An unknown syscall shows all six
 * words in hex: the filter may have judged any of them.
 */
export function decodeSyscallArguments(syscall: string | undefined, args: readonly bigint[], arch: ArchTable): DecodedArgument[] {
  const signature = syscall === undefined ? undefined : SYSCALL_SIGNATURES[syscall];
  if (signature === undefined) {
    return args.slice(0, 6).map((raw, index) => {
      const word = BigInt.asUintN(arch.bits, raw);
      return { index, raw: word, kind: 'raw' as const, text: hex(word) };
    });
  }
  return signature.map((kind, index) => {
    const word = BigInt.asUintN(arch.bits, args[index] ?? 0n);
    return { index, raw: word, kind, text: decodeArgument(kind, word, arch) };
  });
}

/** `name(arg, arg, ...)` for a report line. */
export function formatSyscallCall(syscall: string, decoded: readonly DecodedArgument[]): string {
  return `${syscall}(${decoded.map((argument) => argument.text).join(', ')})`;
}
