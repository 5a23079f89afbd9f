/**
 * What the launcher must know about a program before it picks the launch
 * prologue: which machine it is built for, and whether the kernel hands
 * control to a dynamic loader (PT_INTERP) or straight to the program.
 *
 * Scripts (`#!`) are followed to their interpreter, as the kernel does: the
 * process that runs under the filter is the interpreter, so the interpreter's
 * machine and linkage are what count. The kernel allows a few levels of
 * interpreters being scripts themselves; we follow up to the same depth.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { LaunchError } from './errors.js';

export type Linkage = 'static' | 'dynamic';

export interface ElfInfo {
  /** The file read. */
  readonly path: string;
  /** Our arch name (x86_64, aarch64, arm), or a descriptive name for machines we do not ship (i386, x32, ...). */
  readonly arch: string;
  readonly machine: number;
  readonly bits: 32 | 64;
  readonly endianness: 'little' | 'big';
  /** ELF e_type: 2 executable, 3 shared object / PIE. */
  readonly type: number;
  /** 'dynamic' when the file names a program interpreter (PT_INTERP). A static PIE is 'static'. */
  readonly linkage: Linkage;
  /** The PT_INTERP path (the dynamic loader), when there is one. */
  readonly interpreter?: string;
}

export interface ScriptLine {
  /** The file that starts with `#!`. */
  readonly path: string;
  readonly interpreter: string;
  readonly argument?: string;
}

/** The result of inspecting a program: the ELF file the kernel finally runs, and the scripts on the way. */
export interface ExecutableInfo extends ElfInfo {
  /** The program as given (after PATH search). */
  readonly program: string;
  /** `#!` lines followed to reach the ELF file, outermost first; empty for an ELF program. */
  readonly scripts: readonly ScriptLine[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const PT_INTERP = 3;
/** Linux reads at most this much of a `#!` line (BINPRM_BUF_SIZE). */
const SHEBANG_LIMIT = 256;
/** Linux gives up after this many interpreter rewrites. */
const SCRIPT_DEPTH_LIMIT = 4;
/** Program headers beyond this are not looked at (the kernel's own limit is 64 KiB of headers). */
const PROGRAM_HEADER_LIMIT = 65536;

/** e_machine values of the arches that matter here (elf.h). */
const MACHINES: Readonly<Record<number, { readonly name: string; readonly bits: 32 | 64 }>> = {
  3: { name: 'i386', bits: 32 },
  40: { name: 'arm', bits: 32 },
  62: { name: 'x86_64', bits: 64 },
  183: { name: 'aarch64', bits: 64 },
};

/**
 * The arch name the kernel will report for a program of this machine/class/
 * byte order (x32 is EM_X86_64 in a 32-bit file; armeb is big-endian ARM).
 */
function archName(machine: number, bits: 32 | 64, endianness: 'little' | 'big'): string {
  const known = MACHINES[machine];
  if (known === undefined) return `ELF machine ${machine}`;
  if (machine === 62 && bits === 32) return 'x32';
  if (known.bits !== bits) return `${known.name} (${bits}-bit ELF)`;
  if (endianness === 'big') return `${known.name} big-endian`;
  return known.name;
}

function readPrefix(path: string, length: number, position = 0): Buffer {
  let descriptor: number;
  try {
    descriptor = openSync(path, 'r');
  } catch (error) {
    throw unreadable(path, error);
  }
  try {
    const buffer = Buffer.alloc(length);
    let filled = 0;
    while (filled < length) {
      const got = readSync(descriptor, buffer, filled, length - filled, position + filled);
      if (got === 0) break;
      filled += got;
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    throw unreadable(path, error);
  } finally {
    closeSync(descriptor);
  }
}

function unreadable(path: string, error: unknown): LaunchError {
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  if (code === 'ENOENT' || code === 'ENOTDIR') return new LaunchError('NOT_FOUND', `${path}: no such file`, path, 'inspect', code);
  if (code === 'EISDIR') return new LaunchError('NOT_EXECUTABLE', `${path}: is a directory`, path, 'inspect', code);
  return new LaunchError('NOT_EXECUTABLE', `${path}: cannot read the executable (${code})`, path, 'inspect', code);
}

const isElf = (header: Buffer): boolean => ELF_MAGIC.every((byte, index) => header[index] === byte);

/** Reads the ELF header and program headers of one file. Throws LaunchError for anything that is not a usable ELF file. */
export function readElfInfo(path: string): ElfInfo {
  const header = readPrefix(path, 64);
  if (!isElf(header)) {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: not an ELF executable (exec format error)`, path, 'inspect', 'ENOEXEC');
  }
  const elfClass = header[4];
  const dataEncoding = header[5];
  if ((elfClass !== 1 && elfClass !== 2) || (dataEncoding !== 1 && dataEncoding !== 2)) {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: malformed ELF header (class ${elfClass}, data ${dataEncoding})`, path, 'inspect', 'ENOEXEC');
  }
  const bits: 32 | 64 = elfClass === 2 ? 64 : 32;
  const endianness = dataEncoding === 1 ? 'little' : 'big';
  const headerSize = bits === 64 ? 64 : 52;
  if (header.length < headerSize) {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: truncated ELF header`, path, 'inspect', 'ENOEXEC');
  }
  const little = endianness === 'little';
  const u16 = (buffer: Buffer, offset: number) => (little ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset));
  const u32 = (buffer: Buffer, offset: number) => (little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset));
  const word = (buffer: Buffer, offset: number) =>
    bits === 32 ? u32(buffer, offset) : Number(little ? buffer.readBigUInt64LE(offset) : buffer.readBigUInt64BE(offset));

  const type = u16(header, 16);
  const machine = u16(header, 18);
  const arch = archName(machine, bits, endianness);
  if (type !== 2 && type !== 3) {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: ELF file of type ${type} is not an executable`, path, 'inspect', 'ENOEXEC');
  }
  const programHeaderOffset = word(header, bits === 64 ? 32 : 28);
  const programHeaderSize = u16(header, bits === 64 ? 54 : 42);
  const programHeaderCount = u16(header, bits === 64 ? 56 : 44);
  const tableSize = programHeaderSize * programHeaderCount;
  const minimumEntry = bits === 64 ? 56 : 32;
  if (programHeaderCount === 0 || programHeaderSize < minimumEntry || tableSize > PROGRAM_HEADER_LIMIT) {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: ELF program header table is missing or malformed`, path, 'inspect', 'ENOEXEC');
  }
  const table = readPrefix(path, tableSize, programHeaderOffset);
  if (table.length < tableSize) {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: truncated ELF program header table`, path, 'inspect', 'ENOEXEC');
  }
  let interpreter: string | undefined;
  for (let index = 0; index < programHeaderCount; index++) {
    const entry = index * programHeaderSize;
    if (u32(table, entry) !== PT_INTERP) continue;
    const offset = word(table, entry + (bits === 64 ? 8 : 4));
    const size = word(table, entry + (bits === 64 ? 32 : 16));
    if (size === 0 || size > 4096) {
      throw new LaunchError('NOT_EXECUTABLE', `${path}: malformed PT_INTERP entry`, path, 'inspect', 'ENOEXEC');
    }
    const text = readPrefix(path, size, offset).toString('latin1');
    interpreter = text.replace(/\0[\s\S]*$/, '');
    break;
  }
  return {
    path,
    arch,
    machine,
    bits,
    endianness,
    type,
    linkage: interpreter === undefined ? 'static' : 'dynamic',
    ...(interpreter !== undefined ? { interpreter } : {}),
  };
}

/** The interpreter and optional single argument of a `#!` line, split as Linux splits it. */
export function parseShebang(path: string, prefix: Buffer): ScriptLine | undefined {
  if (prefix[0] !== 0x23 || prefix[1] !== 0x21) return undefined;
  const end = prefix.indexOf(0x0a);
  const line = prefix.subarray(2, end < 0 ? prefix.length : end).toString('latin1').replace(/[ \t]+$/, '');
  const trimmed = line.replace(/^[ \t]+/, '');
  const split = trimmed.search(/[ \t]/);
  const interpreter = split < 0 ? trimmed : trimmed.slice(0, split);
  const argument = split < 0 ? '' : trimmed.slice(split).replace(/^[ \t]+/, '');
  if (interpreter === '') {
    throw new LaunchError('NOT_EXECUTABLE', `${path}: "#!" line names no interpreter`, path, 'inspect', 'ENOEXEC');
  }
  return { path, interpreter, ...(argument !== '' ? { argument } : {}) };
}

/**
 * Follows `#!` lines to the ELF file the kernel will run, and reads it.
 * `program` must already be resolved (see resolve-program.ts); relative
 * interpreter paths are taken relative to `cwd`, as execve does.
 */
export function inspectExecutable(program: string, cwd: string = process.cwd()): ExecutableInfo {
  const scripts: ScriptLine[] = [];
  let current = program;
  for (;;) {
    const prefix = readPrefix(current, SHEBANG_LIMIT);
    const script = parseShebang(current, prefix);
    if (script === undefined) break;
    if (scripts.length >= SCRIPT_DEPTH_LIMIT) {
      throw new LaunchError('NOT_EXECUTABLE', `${program}: too many levels of "#!" interpreters`, program, 'inspect', 'ELOOP');
    }
    scripts.push(script);
    current = script.interpreter.startsWith('/') ? script.interpreter : `${cwd}/${script.interpreter}`;
  }
  let elf: ElfInfo;
  try {
    elf = readElfInfo(current);
  } catch (error) {
    // A missing interpreter makes the script itself unrunnable (execve: ENOENT), but the
    // script was found: say which file is missing.
    if (error instanceof LaunchError && scripts.length > 0) {
      throw new LaunchError(
        error.code,
        `${program}: interpreter ${scripts[scripts.length - 1].interpreter}: ${error.message.replace(`${current}: `, '')}`,
        program,
        'inspect',
        error.errno,
      );
    }
    throw error;
  }
  return { ...elf, program, scripts };
}

/** Refuses a program whose machine is not the policy's arch (it would be killed on its first syscall). */
export function checkExecutableArch(info: ExecutableInfo, policyArch: string): void {
  if (info.arch === policyArch) return;
  const via = info.scripts.length > 0 ? ` (its interpreter ${info.path})` : '';
  throw new LaunchError(
    'ARCH_MISMATCH',
    `${info.program}${via} is built for ${info.arch}, but the policy is compiled for ${policyArch}`,
    info.program,
    'inspect',
  );
}
