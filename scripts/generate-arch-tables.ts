/**
 * Generates src/arch/generated/{x86_64,aarch64,arm}.ts from the Linux UAPI
 * and libc headers installed on this machine, evaluated by each arch's own C
 * compiler.
 *
 *   npx tsx scripts/generate-arch-tables.ts [--out-dir DIR]
 *
 * How values are obtained: macro names are collected with `cc -dM -E` over a
 * list of headers; every candidate becomes one initialised global in a C file
 * that the arch's (cross) compiler compiles with `-c`. The values are read
 * back from the object file's symbol table, so they are exactly what the
 * target compiler computes (type sizes, signedness of char, struct layouts in
 * _IOR()/_IOW() request numbers), and no cross binary is ever run. A macro
 * that is not an integer constant expression (strings, pointers, calls to
 * sysconf, structs the headers do not define) fails to compile; its line is
 * dropped and the file recompiled.
 *
 * Constants are stored as the value of `(long)NAME` on the target, the same
 * convention as Minijail's constants.json: a 32-bit arch reads 0x80000000 as
 * -2147483648, a 64-bit arch reads ~0UL as -1. The policy compiler reduces
 * every constant to the arch word anyway, so this loses nothing. A constant
 * whose exact value does not fit the arch word (a 64-bit flag on arm) is left
 * out rather than silently truncated.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

type ArchName = 'x86_64' | 'aarch64' | 'arm';

interface ArchSpec {
  readonly name: ArchName;
  /** Minijail's arch_name (what `[arch=...]` metadata matches). */
  readonly minijailName: string;
  /** The compiler that targets this arch; its default include path is the arch's sysroot. */
  readonly compiler: string;
  /** The linux/audit.h macro that holds this arch's AUDIT_ARCH value. */
  readonly auditArchMacro: string;
}

const ARCHES: readonly ArchSpec[] = [
  { name: 'x86_64', minijailName: 'x86_64', compiler: 'x86_64-linux-gnu-gcc', auditArchMacro: 'AUDIT_ARCH_X86_64' },
  { name: 'aarch64', minijailName: 'arm64', compiler: 'aarch64-linux-gnu-gcc', auditArchMacro: 'AUDIT_ARCH_AARCH64' },
  { name: 'arm', minijailName: 'arm', compiler: 'arm-linux-gnueabihf-gcc', auditArchMacro: 'AUDIT_ARCH_ARM' },
];

/**
 * Headers whose macros become named constants. Groups are compiled as
 * separate translation units because libc and UAPI headers for the same
 * thing (termios.h and linux/termios.h, sys/epoll.h and linux/eventpoll.h)
 * cannot be included together. A name keeps the value of the first group
 * that defines it; later groups only add names.
 */
interface HeaderGroup {
  readonly label: string;
  readonly defines: readonly string[];
  readonly headers: readonly string[];
  readonly onlyFor?: readonly ArchName[];
}

const CONSTANT_HEADER_GROUPS: readonly HeaderGroup[] = [
  {
    // The set Minijail's own constant table is built from, without
    // _GNU_SOURCE (with it glibc turns SIGSTKSZ into a sysconf() call).
    label: 'minijail-compatible base',
    defines: [],
    headers: [
      'errno.h', 'fcntl.h', 'linux/fd.h', 'linux/fs.h', 'linux/loop.h', 'linux/mman.h', 'linux/net.h',
      'linux/prctl.h', 'linux/sched.h', 'linux/serial.h', 'linux/sockios.h', 'linux/termios.h', 'signal.h',
      'stddef.h', 'sys/mman.h', 'sys/resource.h', 'sys/socket.h', 'sys/stat.h', 'sys/types.h', 'linux/audit.h',
    ],
  },
  { label: 'x86 arch_prctl codes', defines: [], headers: ['asm/prctl.h'], onlyFor: ['x86_64'] },
  {
    // libc interfaces that device policies filter on and that need
    // _GNU_SOURCE (MFD_*, F_SEAL_*, F_OFD_*, O_PATH, O_TMPFILE, ...).
    label: 'libc, GNU extensions',
    defines: ['_GNU_SOURCE'],
    headers: [
      'fcntl.h', 'sys/mman.h', 'sys/epoll.h', 'sys/eventfd.h', 'sys/timerfd.h', 'sys/signalfd.h', 'sys/inotify.h',
      'sys/random.h', 'sys/wait.h', 'sys/ioctl.h', 'sys/file.h', 'sys/xattr.h', 'sys/un.h', 'sys/pidfd.h',
      'sched.h', 'poll.h', 'time.h', 'unistd.h', 'netinet/in.h', 'netinet/tcp.h', 'sys/socket.h', 'sys/stat.h',
    ],
  },
  {
    // Kernel interfaces of VM devices: KVM, VFIO, vhost, tun, dma-buf,
    // userfaultfd, seccomp itself, and friends.
    label: 'Linux UAPI for devices',
    defines: [],
    headers: [
      'linux/vfio.h', 'linux/vhost.h', 'linux/if_tun.h', 'linux/if.h', 'linux/netlink.h',
      'linux/vm_sockets.h', 'linux/udmabuf.h', 'linux/dma-buf.h', 'linux/sync_file.h', 'linux/usbdevice_fs.h',
      'linux/userfaultfd.h', 'linux/seccomp.h', 'linux/falloc.h', 'linux/futex.h', 'linux/random.h',
      'linux/capability.h', 'linux/securebits.h', 'linux/openat2.h', 'linux/memfd.h', 'linux/close_range.h',
      'linux/io_uring.h', 'linux/stat.h', 'linux/membarrier.h', 'linux/rseq.h',
    ],
  },
  {
    // 32-bit arm has no KVM host support, so no <asm/kvm.h>.
    label: 'KVM',
    defines: [],
    headers: ['linux/kvm.h'],
    onlyFor: ['x86_64', 'aarch64'],
  },
];

const SYSCALL_HEADERS = ['asm/unistd.h'];

/** Names in the __NR_ namespace that are not system calls. */
const NOT_SYSCALLS = new Set(['syscalls']);

/** Minijail's constant names: upper case, digits, underscores; no leading underscore. */
const CONSTANT_NAME = /^[A-Z][A-Z0-9_]*$/;

class GeneratorError extends Error {
  override name = 'GeneratorError';
}

const scratchDir = mkdtempSync(path.join(tmpdir(), 'jail-run-arch-'));

function run(command: string, args: readonly string[], input?: string): string {
  const result = spawnSync(command, args, { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new GeneratorError(
      code === 'ENOENT'
        ? `${command} is not installed (needs gcc-aarch64-linux-gnu, gcc-arm-linux-gnueabihf, gcc and the linux-libc-dev/libc6-dev cross packages)`
        : `${command} failed to start: ${result.error.message}`,
    );
  }
  if (result.status !== 0) {
    throw new GeneratorError(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

const includeLines = (headers: readonly string[]): string => headers.map((header) => `#include <${header}>\n`).join('');
const defineFlags = (defines: readonly string[]): string[] => defines.map((define) => `-D${define}`);

/** Object-like macros the preprocessor sees after the given prelude: name -> body. */
function collectMacros(compiler: string, flags: readonly string[], prelude: string): Map<string, string> {
  const output = run(compiler, [...flags, '-dM', '-E', '-x', 'c', '-'], prelude);
  const macros = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^#define ([A-Za-z_][A-Za-z0-9_]*)(?: (.*))?$/.exec(line);
    if (match) macros.set(match[1], match[2] ?? '');
  }
  return macros;
}

/** Every file the preprocessor read for the prelude (for the provenance header). */
function collectHeaderFiles(compiler: string, flags: readonly string[], prelude: string): string[] {
  const output = run(compiler, [...flags, '-M', '-E', '-x', 'c', '-'], prelude);
  return output
    .replace(/\\\n/g, ' ')
    .split(/\s+/)
    .filter((token) => token.startsWith('/'));
}

// ---------------------------------------------------------------------------
// Evaluation through the target compiler.

/** Marker stored next to each value so that an entry is never all zero (and never lands in .bss). */
const ENTRY_MARKER = 0x4a52_4e56;

/**
 * Compiles `names` as integer constants and returns name -> exact value
 * (as the C expression's own type gives it, not yet reduced to the arch word).
 * Names that do not compile as integer constant expressions are left out.
 */
function evaluateIntegerMacros(
  compiler: string,
  flags: readonly string[],
  prelude: string,
  names: readonly string[],
): Map<string, bigint> {
  let remaining = [...names];
  for (let round = 0; round < 50; round++) {
    const source = buildEvaluationSource(prelude, remaining);
    const sourceFile = path.join(scratchDir, 'evaluate.c');
    const objectFile = path.join(scratchDir, 'evaluate.o');
    writeFileSync(sourceFile, source.text);
    const result = spawnSync(
      compiler,
      [
        ...flags, '-std=gnu11', '-c', '-O0', '-w', '-fno-common', '-ftrack-macro-expansion=0', '-fmax-errors=0',
        '-fdiagnostics-color=never', '-fno-diagnostics-show-caret', '-o', objectFile, sourceFile,
      ],
      { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    if (result.error) throw new GeneratorError(`${compiler} failed to start: ${result.error.message}`);
    if (result.status === 0) {
      const values = readEntries(readFileSync(objectFile), remaining.length);
      return new Map(remaining.map((name, index) => [name, values[index]]));
    }
    // Drop every constant whose line has an error, then try again.
    const failedLines = new Set<number>();
    const errorPattern = new RegExp(`^${escapeRegExp(sourceFile)}:(\\d+):\\d+: error:`, 'gm');
    for (const match of result.stderr.matchAll(errorPattern)) failedLines.add(Number(match[1]));
    const failedNames = new Set<string>();
    for (const line of failedLines) {
      const name = source.nameAtLine.get(line);
      if (name !== undefined) failedNames.add(name);
    }
    if (failedNames.size === 0) {
      throw new GeneratorError(`${compiler}: evaluation failed outside the constant lines:\n${result.stderr.slice(0, 4000)}`);
    }
    remaining = remaining.filter((name) => !failedNames.has(name));
  }
  throw new GeneratorError(`${compiler}: constant evaluation did not converge`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function buildEvaluationSource(prelude: string, names: readonly string[]): { text: string; nameAtLine: Map<number, string> } {
  // _Generic accepts only integer types (no default branch), so strings,
  // pointers and floating values fail to compile and are dropped.
  const header = `${prelude}
#define JAIL_RUN_IS_SIGNED(x) _Generic((x), \\
  _Bool: 0, char: ((char)-1 < 0), signed char: 1, unsigned char: 0, short: 1, unsigned short: 0, \\
  int: 1, unsigned int: 0, long: 1, unsigned long: 0, long long: 1, unsigned long long: 0)
struct jail_run_entry { unsigned int marker; unsigned int is_signed; unsigned long long value; };
`;
  const lines = header.split('\n');
  lines.pop();
  const nameAtLine = new Map<number, string>();
  names.forEach((name, index) => {
    lines.push(
      `__attribute__((used)) const struct jail_run_entry jail_run_entry_${index} = { ${ENTRY_MARKER}u, JAIL_RUN_IS_SIGNED(${name}), (unsigned long long)(${name}) };`,
    );
    nameAtLine.set(lines.length, name);
  });
  return { text: `${lines.join('\n')}\n`, nameAtLine };
}

/** Reads jail_run_entry_<i> for i < count from a little-endian ELF relocatable object. */
function readEntries(object: Buffer, count: number): bigint[] {
  if (object.readUInt32BE(0) !== 0x7f454c46) throw new GeneratorError('compiler output is not an ELF object');
  const is64 = object[4] === 2;
  if (object[5] !== 1) throw new GeneratorError('only little-endian targets are supported');
  const word = (offset: number): number => (is64 ? Number(object.readBigUInt64LE(offset)) : object.readUInt32LE(offset));
  const sectionHeaderOffset = word(is64 ? 0x28 : 0x20);
  const sectionHeaderSize = object.readUInt16LE(is64 ? 0x3a : 0x2e);
  const sectionCount = object.readUInt16LE(is64 ? 0x3c : 0x30);
  const sections = Array.from({ length: sectionCount }, (_, index) => {
    const base = sectionHeaderOffset + index * sectionHeaderSize;
    return {
      type: object.readUInt32LE(base + 4),
      offset: word(base + (is64 ? 0x18 : 0x10)),
      size: word(base + (is64 ? 0x20 : 0x14)),
      link: object.readUInt32LE(base + (is64 ? 0x28 : 0x18)),
      info: object.readUInt32LE(base + (is64 ? 0x2c : 0x1c)),
    };
  });
  const SHT_SYMTAB = 2;
  const SHT_RELA = 4;
  const SHT_NOBITS = 8;
  const SHT_REL = 9;
  const symbolTable = sections.find((section) => section.type === SHT_SYMTAB);
  if (!symbolTable) throw new GeneratorError('compiler output has no symbol table');
  const strings = sections[symbolTable.link];
  const symbolSize = is64 ? 24 : 16;
  const values: (bigint | undefined)[] = new Array(count);
  const dataSections = new Set<number>();
  for (let offset = symbolTable.offset; offset < symbolTable.offset + symbolTable.size; offset += symbolSize) {
    const nameOffset = object.readUInt32LE(offset);
    const nameEnd = object.indexOf(0, strings.offset + nameOffset);
    const name = object.toString('latin1', strings.offset + nameOffset, nameEnd);
    const match = /^jail_run_entry_(\d+)$/.exec(name);
    if (!match) continue;
    const sectionIndex = object.readUInt16LE(offset + (is64 ? 6 : 14));
    const value = is64 ? Number(object.readBigUInt64LE(offset + 8)) : object.readUInt32LE(offset + 4);
    const section = sections[sectionIndex];
    if (section === undefined || section.type === SHT_NOBITS) throw new GeneratorError(`${name} is not initialised data`);
    dataSections.add(sectionIndex);
    const entry = section.offset + value;
    if (object.readUInt32LE(entry) !== ENTRY_MARKER) throw new GeneratorError(`${name}: unexpected layout in the object file`);
    const isSigned = object.readUInt32LE(entry + 4) !== 0;
    values[Number(match[1])] = isSigned ? object.readBigInt64LE(entry + 8) : object.readBigUInt64LE(entry + 8);
  }
  // A relocation against the data would mean some value is an address, not a number.
  for (const section of sections) {
    if ((section.type === SHT_REL || section.type === SHT_RELA) && dataSections.has(section.info)) {
      throw new GeneratorError('a constant needs a relocation (it is an address, not a number)');
    }
  }
  return values.map((value, index) => {
    if (value === undefined) throw new GeneratorError(`jail_run_entry_${index} is missing from the object file`);
    return value;
  });
}

// ---------------------------------------------------------------------------
// Per-arch tables.

interface ArchTables {
  readonly spec: ArchSpec;
  readonly bits: 32 | 64;
  readonly auditArch: bigint;
  readonly syscalls: [string, number][];
  readonly constants: [string, bigint][];
  readonly headerFiles: Set<string>;
  readonly compilerVersion: string;
  readonly omittedWide: string[];
  readonly conflicts: string[];
}

function generateArch(spec: ArchSpec): ArchTables {
  const compiler = spec.compiler;
  const predefined = collectMacros(compiler, [], '');
  const sizeOfLong = Number(predefined.get('__SIZEOF_LONG__'));
  if (sizeOfLong !== 4 && sizeOfLong !== 8) throw new GeneratorError(`${compiler}: unexpected __SIZEOF_LONG__`);
  const bits: 32 | 64 = sizeOfLong === 8 ? 64 : 32;
  const headerFiles = new Set<string>();

  // Syscalls: __NR_name, plus arm's private __ARM_NR_name under Minijail's name ARM_name.
  const syscallPrelude = includeLines(SYSCALL_HEADERS);
  for (const file of collectHeaderFiles(compiler, [], syscallPrelude)) headerFiles.add(file);
  const syscallMacros = [...collectMacros(compiler, [], syscallPrelude).keys()].filter((name) =>
    /^__(?:ARM_)?NR_[a-z0-9_]+$/.test(name),
  );
  const syscallNameOf = (macro: string): string =>
    macro.startsWith('__ARM_NR_') ? `ARM_${macro.slice('__ARM_NR_'.length)}` : macro.slice('__NR_'.length);
  const syscallValues = evaluateIntegerMacros(
    compiler,
    [],
    syscallPrelude,
    syscallMacros.filter((macro) => !NOT_SYSCALLS.has(syscallNameOf(macro))),
  );
  const syscalls: [string, number][] = [];
  for (const [macro, value] of syscallValues) {
    if (value < 0n || value > 0xffffffffn) throw new GeneratorError(`${spec.name}: ${macro} = ${value} is not a syscall number`);
    // Only the native ABI belongs in the table: x32 numbers carry bit 30.
    if (spec.name === 'x86_64' && (value & 0x40000000n) !== 0n) {
      throw new GeneratorError(`${spec.name}: ${macro} = ${value} is an x32 number`);
    }
    syscalls.push([syscallNameOf(macro), Number(value)]);
  }
  syscalls.sort(([nameA, numberA], [nameB, numberB]) => numberA - numberB || compareNames(nameA, nameB));

  // Constants, group by group; the first group that defines a name wins.
  const constants = new Map<string, bigint>();
  const omittedWide: string[] = [];
  const conflicts: string[] = [];
  const minimum = -(1n << BigInt(bits - 1));
  const maximum = (1n << BigInt(bits)) - 1n;
  for (const group of CONSTANT_HEADER_GROUPS) {
    if (group.onlyFor && !group.onlyFor.includes(spec.name)) continue;
    const flags = defineFlags(group.defines);
    const prelude = includeLines(group.headers);
    const predefinedHere = collectMacros(compiler, flags, '');
    for (const file of collectHeaderFiles(compiler, flags, prelude)) headerFiles.add(file);
    const candidates = [...collectMacros(compiler, flags, prelude)]
      .filter(([name, body]) => CONSTANT_NAME.test(name) && body !== '' && !predefinedHere.has(name))
      .map(([name]) => name)
      .sort(compareNames);
    for (const [name, exact] of evaluateIntegerMacros(compiler, flags, prelude, candidates)) {
      if (exact < minimum || exact > maximum) {
        if (!omittedWide.includes(name)) omittedWide.push(name);
        continue;
      }
      // The value of (long)NAME on the target: the word, read as signed.
      const value = BigInt.asIntN(bits, exact);
      const earlier = constants.get(name);
      if (earlier === undefined) constants.set(name, value);
      else if (earlier !== value) conflicts.push(`${name}: ${earlier} kept, ${group.label} says ${value}`);
    }
  }
  const auditArch = constants.get(spec.auditArchMacro);
  if (auditArch === undefined) throw new GeneratorError(`${spec.name}: ${spec.auditArchMacro} not found in linux/audit.h`);
  const auditArchValue = BigInt.asUintN(32, auditArch);
  // Minijail's arch.h adds these two; policies written for Minijail may name them.
  constants.set('MINIJAIL_ARCH_NR', BigInt.asIntN(bits, auditArchValue));
  constants.set('MINIJAIL_ARCH_BITS', BigInt(bits));

  return {
    spec,
    bits,
    auditArch: auditArchValue,
    syscalls,
    constants: [...constants].sort(([nameA], [nameB]) => compareNames(nameA, nameB)),
    headerFiles,
    compilerVersion: run(compiler, ['-dumpfullversion']).trim(),
    omittedWide: omittedWide.sort(compareNames),
    conflicts,
  };
}

/** Code-unit order, independent of the locale, so the output is the same everywhere. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------
// Provenance: the Debian packages that own the compiler and the headers read.

function owningPackages(files: readonly string[]): string[] {
  const owners = new Set<string>();
  const paths = [...new Set(files.map((file) => {
    try {
      return realpathSync(file);
    } catch {
      return file;
    }
  }))].sort();
  // dpkg -S exits non-zero when one path is unowned; its stdout still lists the rest.
  const result = spawnSync('dpkg', ['-S', ...paths], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) return [];
  for (const line of result.stdout.split('\n')) {
    // "pkg[:arch][, pkg[:arch]...]: /path"; "diversion by ..." lines do not match.
    const match = /^((?:[a-z0-9][a-z0-9+.-]*(?::[a-z0-9]+)?)(?:, [a-z0-9][a-z0-9+.-]*(?::[a-z0-9]+)?)*): \//.exec(line);
    if (!match) continue;
    for (const owner of match[1].split(', ')) owners.add(owner);
  }
  const versions: string[] = [];
  for (const owner of [...owners].sort()) {
    const version = spawnSync('dpkg-query', ['-W', '-f', '${Version}', owner], { encoding: 'utf8' });
    versions.push(version.status === 0 ? `${owner} ${version.stdout.trim()}` : owner);
  }
  return versions;
}

function compilerPath(compiler: string): string {
  for (const directory of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(directory, compiler);
    try {
      return realpathSync(candidate);
    } catch {
      // not in this directory
    }
  }
  return compiler;
}

// ---------------------------------------------------------------------------
// Output.

function render(tables: ArchTables): string {
  const { spec } = tables;
  const packages = owningPackages([compilerPath(spec.compiler), ...tables.headerFiles]);
  const groups = CONSTANT_HEADER_GROUPS.filter((group) => !group.onlyFor || group.onlyFor.includes(spec.name));
  const lines: string[] = [];
  lines.push(`// Generated by scripts/generate-arch-tables.ts: do not edit; regenerate with npm run generate:arch.`);
  lines.push(`//`);
  lines.push(`// Arch ${spec.name}, evaluated by ${spec.compiler} ${tables.compilerVersion} (values as the target computes them).`);
  lines.push(`// Debian packages read:`);
  for (const entry of packages.length > 0 ? packages : ['(dpkg not available: package versions unknown)']) {
    lines.push(`//   ${entry}`);
  }
  lines.push(`// Syscalls: __NR_* (and __ARM_NR_* as ARM_*) of <${SYSCALL_HEADERS.join('>, <')}>.`);
  lines.push(`// Constants: integer-valued upper-case macros of these headers, first group wins:`);
  for (const group of groups) {
    const defines = group.defines.length > 0 ? ` [${group.defines.map((define) => `-D${define}`).join(' ')}]` : '';
    lines.push(`//   ${group.label}${defines}: ${group.headers.join(' ')}`);
  }
  lines.push(`// Constant values are (long)NAME on the target, as in Minijail's constants.json.`);
  if (tables.omittedWide.length > 0) {
    lines.push(`// Left out, wider than the ${tables.bits}-bit word: ${tables.omittedWide.join(' ')}`);
  }
  lines.push(``);
  lines.push(`export const archInfo = {`);
  lines.push(`  name: '${spec.name}',`);
  lines.push(`  minijailName: '${spec.minijailName}',`);
  lines.push(`  auditArch: 0x${tables.auditArch.toString(16)},`);
  lines.push(`  bits: ${tables.bits},`);
  lines.push(`} as const;`);
  lines.push(``);
  lines.push(`/** [name, number], by number. */`);
  lines.push(`export const syscalls: readonly (readonly [string, number])[] = [`);
  for (const [name, number] of tables.syscalls) lines.push(`  ['${name}', ${number}],`);
  lines.push(`];`);
  lines.push(``);
  lines.push(`/** [name, decimal value], by name; parsed to bigint at load. */`);
  lines.push(`export const constants: readonly (readonly [string, string])[] = [`);
  for (const [name, value] of tables.constants) lines.push(`  ['${name}', '${value}'],`);
  lines.push(`];`);
  return `${lines.join('\n')}\n`;
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

function parseArguments(argv: readonly string[]): { outDir: string } {
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  let outDir = path.join(projectRoot, 'src/arch/generated');
  for (let index = 0; index < argv.length; index++) {
    if (argv[index] === '--out-dir' && argv[index + 1] !== undefined) outDir = path.resolve(argv[++index]);
    else throw new GeneratorError(`unknown argument "${argv[index]}" (usage: generate-arch-tables.ts [--out-dir DIR])`);
  }
  return { outDir };
}

function main(): void {
  const { outDir } = parseArguments(process.argv.slice(2));
  // Render everything first, so a failure leaves the previous tables untouched.
  const outputs = ARCHES.map((spec) => {
    const tables = generateArch(spec);
    for (const conflict of tables.conflicts) process.stderr.write(`${spec.name}: note: ${conflict}\n`);
    process.stdout.write(
      `${spec.name}: ${tables.syscalls.length} syscalls, ${tables.constants.length} constants` +
        ` (${tables.omittedWide.length} left out as wider than ${tables.bits} bits)\n`,
    );
    return { file: path.join(outDir, `${spec.name}.ts`), text: render(tables) };
  });
  mkdirSync(outDir, { recursive: true });
  for (const output of outputs) writeAtomically(output.file, output.text);
}

try {
  main();
} catch (error) {
  if (error instanceof GeneratorError) {
    process.stderr.write(`generate-arch-tables: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
} finally {
  rmSync(scratchDir, { recursive: true, force: true });
}
