/**
 * The ELF reader and program resolution: real binaries built from the probe
 * fixture (static and dynamic), scripts followed to their interpreter, and
 * hand-made headers for machines this host cannot run.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkExecutableArch, inspectExecutable, parseShebang, readElfInfo } from '../../src/launch/elf.js';
import { LaunchError } from '../../src/launch/errors.js';
import { resolveProgram } from '../../src/launch/resolve-program.js';
import { dynamicProbe, haveCompiler, haveStaticLibc, staticProbe } from './probe-fixtures.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'jail-run-elf-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A minimal ELF file: header plus one program header (PT_INTERP when `interpreter` is given). */
function fakeElf(options: { machine: number; bits: 32 | 64; bigEndian?: boolean; interpreter?: string }): Buffer {
  const { machine, bits } = options;
  const little = options.bigEndian !== true;
  const headerSize = bits === 64 ? 64 : 52;
  const entrySize = bits === 64 ? 56 : 32;
  const interpreter = options.interpreter === undefined ? undefined : Buffer.from(`${options.interpreter}\0`, 'latin1');
  const file = Buffer.alloc(headerSize + entrySize + (interpreter?.length ?? 0));
  file.set([0x7f, 0x45, 0x4c, 0x46, bits === 64 ? 2 : 1, little ? 1 : 2, 1], 0);
  const u16 = (offset: number, value: number) => (little ? file.writeUInt16LE(value, offset) : file.writeUInt16BE(value, offset));
  const u32 = (offset: number, value: number) => (little ? file.writeUInt32LE(value, offset) : file.writeUInt32BE(value, offset));
  const word = (offset: number, value: number) =>
    bits === 64 ? (little ? file.writeBigUInt64LE(BigInt(value), offset) : file.writeBigUInt64BE(BigInt(value), offset)) : u32(offset, value);
  u16(16, 2); // ET_EXEC
  u16(18, machine);
  word(bits === 64 ? 32 : 28, headerSize); // e_phoff
  u16(bits === 64 ? 54 : 42, entrySize);
  u16(bits === 64 ? 56 : 44, 1);
  const entry = headerSize;
  u32(entry, interpreter === undefined ? 1 /* PT_LOAD */ : 3 /* PT_INTERP */);
  if (interpreter !== undefined) {
    word(entry + (bits === 64 ? 8 : 4), headerSize + entrySize);
    word(entry + (bits === 64 ? 32 : 16), interpreter.length);
    file.set(interpreter, headerSize + entrySize);
  }
  return file;
}

function writeExecutable(name: string, content: Buffer | string): string {
  const file = join(scratch, name);
  writeFileSync(file, content);
  chmodSync(file, 0o755);
  return file;
}

function launchErrorOf(action: () => unknown): LaunchError {
  try {
    action();
  } catch (error) {
    if (error instanceof LaunchError) return error;
    throw error;
  }
  throw new Error('expected a LaunchError');
}

describe('readElfInfo on built programs', () => {
  it.skipIf(!haveCompiler || !haveStaticLibc)('a -static build is static, for the host arch (skipped without cc or libc.a)', () => {
    const info = readElfInfo(staticProbe());
    expect(info.linkage).toBe('static');
    expect(info.interpreter).toBeUndefined();
    expect(info.arch).toBe(process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : 'arm');
  });

  it.skipIf(!haveCompiler)('a default build is dynamic and names its loader (skipped without cc)', () => {
    const info = readElfInfo(dynamicProbe());
    expect(info.linkage).toBe('dynamic');
    expect(info.interpreter).toMatch(/^\/lib.*ld-linux.*\.so\.\d$/);
  });
});

describe('readElfInfo on hand-made headers', () => {
  it.each([
    [183, 64, false, 'aarch64'],
    [40, 32, false, 'arm'],
    [62, 64, false, 'x86_64'],
    [62, 32, false, 'x32'],
    [3, 32, false, 'i386'],
    [40, 32, true, 'arm big-endian'],
    [8, 32, true, 'ELF machine 8'],
  ] as const)('machine %i, %i-bit, big-endian %s is %s', (machine, bits, bigEndian, arch) => {
    const file = writeExecutable(`m${machine}-${bits}-${bigEndian}`, fakeElf({ machine, bits, bigEndian }));
    expect(readElfInfo(file).arch).toBe(arch);
  });

  it('PT_INTERP makes it dynamic and gives the loader path', () => {
    const file = writeExecutable('dyn-arm', fakeElf({ machine: 40, bits: 32, interpreter: '/lib/ld-linux-armhf.so.3' }));
    const info = readElfInfo(file);
    expect(info).toMatchObject({ arch: 'arm', bits: 32, linkage: 'dynamic', interpreter: '/lib/ld-linux-armhf.so.3' });
  });

  it('refuses text, truncated and empty files as not executable (126)', () => {
    for (const [name, content] of [
      ['text', 'hello world\n'],
      ['empty', ''],
      ['truncated', fakeElf({ machine: 62, bits: 64 }).subarray(0, 40)],
    ] as const) {
      const error = launchErrorOf(() => readElfInfo(writeExecutable(name, content)));
      expect(error.code).toBe('NOT_EXECUTABLE');
      expect(error.exitCode).toBe(126);
      expect(error.message).toContain(name);
    }
  });
});

describe('scripts', () => {
  it('splits a #! line as Linux does: interpreter, then the rest as one argument', () => {
    expect(parseShebang('s', Buffer.from('#!/bin/sh\necho'))).toEqual({ path: 's', interpreter: '/bin/sh' });
    expect(parseShebang('s', Buffer.from('#! /usr/bin/env  python3 -u  \n'))).toEqual({
      path: 's',
      interpreter: '/usr/bin/env',
      argument: 'python3 -u',
    });
    expect(parseShebang('s', Buffer.from('\x7fELF'))).toBeUndefined();
    expect(launchErrorOf(() => parseShebang('s', Buffer.from('#!   \n'))).code).toBe('NOT_EXECUTABLE');
  });

  it.skipIf(!haveCompiler)('a script is judged by the ELF file that interprets it (skipped without cc)', () => {
    const interpreter = dynamicProbe();
    const script = writeExecutable('script.sh', `#!${interpreter} echo\n`);
    const info = inspectExecutable(script);
    expect(info.path).toBe(interpreter);
    expect(info.linkage).toBe('dynamic');
    expect(info.scripts).toEqual([{ path: script, interpreter, argument: 'echo' }]);
  });

  it('a script whose interpreter is missing is reported as missing, naming the interpreter', () => {
    const script = writeExecutable('orphan.sh', '#!/no/such/interpreter\n');
    const error = launchErrorOf(() => inspectExecutable(script));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain('/no/such/interpreter');
  });

  it('a loop of scripts stops at the kernel\'s depth', () => {
    const loop = join(scratch, 'loop.sh');
    writeExecutable('loop.sh', `#!${loop}\n`);
    const error = launchErrorOf(() => inspectExecutable(loop));
    expect(error.code).toBe('NOT_EXECUTABLE');
    expect(error.message).toContain('too many levels');
  });
});

describe('checkExecutableArch', () => {
  it('accepts the policy arch and refuses another with both names in the message', () => {
    const file = writeExecutable('aarch64-prog', fakeElf({ machine: 183, bits: 64 }));
    const info = inspectExecutable(file);
    expect(() => checkExecutableArch(info, 'aarch64')).not.toThrow();
    const error = launchErrorOf(() => checkExecutableArch(info, 'x86_64'));
    expect(error.code).toBe('ARCH_MISMATCH');
    expect(error.exitCode).toBe(126);
    expect(error.message).toMatch(/built for aarch64.*compiled for x86_64/);
  });
});

describe('resolveProgram', () => {
  it('searches PATH in order, skipping directories and files without execute permission', () => {
    const first = join(scratch, 'path-a');
    const second = join(scratch, 'path-b');
    mkdirSync(join(first, 'tool'), { recursive: true }); // a directory named like the program
    mkdirSync(second, { recursive: true });
    writeFileSync(join(first, 'other'), 'x');
    const tool = join(second, 'tool');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o755);
    expect(resolveProgram('tool', { path: `${first}:${second}` })).toBe(tool);
  });

  it('not found is 127; found but not executable is 126', () => {
    const directory = join(scratch, 'path-c');
    mkdirSync(directory, { recursive: true });
    const plain = join(directory, 'plain');
    writeFileSync(plain, 'data');
    chmodSync(plain, 0o644);
    expect(launchErrorOf(() => resolveProgram('missing-program', { path: directory })).exitCode).toBe(127);
    expect(launchErrorOf(() => resolveProgram(join(directory, 'missing'))).exitCode).toBe(127);
    expect(launchErrorOf(() => resolveProgram('plain', { path: directory })).exitCode).toBe(126);
    expect(launchErrorOf(() => resolveProgram(plain)).exitCode).toBe(126);
    expect(launchErrorOf(() => resolveProgram(directory)).exitCode).toBe(126);
  });

  it('a name with a slash is taken relative to cwd, without PATH', () => {
    const directory = join(scratch, 'cwd-test');
    mkdirSync(directory, { recursive: true });
    writeExecutable('cwd-test/run-me', '#!/bin/sh\n');
    expect(resolveProgram('./run-me', { cwd: directory, path: '/nonexistent' })).toBe(join(directory, 'run-me'));
  });
});
