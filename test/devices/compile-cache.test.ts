import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import { OP_LD_W_ABS, ret, SECCOMP_DATA_NR, SECCOMP_RET_ERRNO, type Instruction } from '../../src/bpf/instruction.js';
import { compileCacheDirectory, compileWithCache, type CacheableCompileOptions } from '../../src/devices/compile-cache.js';

const temporary: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jail-run-cache-test-'));
  temporary.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A stand-in compiler: follows `@include ./x` lines through the readFile hook
 * (as the real one does) and returns a program whose errno encodes the text
 * it read, so a stale program would be visible.
 */
function countingCompiler() {
  const calls: string[] = [];
  const compile = (file: string, options: CacheableCompileOptions) => {
    calls.push(file);
    const read = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
    let text = '';
    const visit = (path: string) => {
      const content = read(path);
      text += content;
      for (const match of content.matchAll(/^@include (\S+)$/gm)) visit(resolve(dirname(path), match[1]));
    };
    visit(file);
    const program: Instruction[] = [{ code: OP_LD_W_ABS, jt: 0, jf: 0, k: SECCOMP_DATA_NR }, ret(SECCOMP_RET_ERRNO | (text.length & 0xfff))];
    return { program };
  };
  return { compile, calls };
}

function policyFiles(): { top: string; fragment: string } {
  const dir = tempDir();
  const top = join(dir, 'alpha_device.policy');
  const fragment = join(dir, 'alpha.policy');
  writeFileSync(top, '@include ./alpha.policy\n');
  writeFileSync(fragment, 'read: 1\n');
  return { top, fragment };
}

describe('compile cache', () => {
  it('compiles on a miss and serves the same program on the next run', () => {
    const { top, fragment } = policyFiles();
    const cacheDir = tempDir();
    const { compile, calls } = countingCompiler();
    const first = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    expect(first.outcome).toBe('miss');
    expect(first.files).toEqual([top, fragment]);
    expect(first.entryPath?.startsWith(cacheDir)).toBe(true);
    const second = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    expect(second.outcome).toBe('hit');
    expect(second.program).toEqual(first.program);
    expect(second.arch).toBe(getShippedArch('x86_64'));
    expect(calls.length).toBe(1);
    // Atomic writes leave no temp files behind.
    expect(readdirSync(cacheDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('recompiles when an included file changes', () => {
    const { top, fragment } = policyFiles();
    const cacheDir = tempDir();
    const { compile, calls } = countingCompiler();
    const first = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    writeFileSync(fragment, 'read: 1\nwrite: 1\n');
    const second = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    expect(second.outcome).toBe('stale');
    expect(second.program).not.toEqual(first.program);
    expect(calls.length).toBe(2);
    expect(compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir }).outcome).toBe('hit');
  });

  it('keys entries by arch and compile options', () => {
    const { top } = policyFiles();
    const cacheDir = tempDir();
    const { compile, calls } = countingCompiler();
    compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    expect(compileWithCache(top, { arch: 'arm' }, compile, { cacheDir }).outcome).toBe('miss');
    expect(compileWithCache(top, { arch: 'x86_64', layout: 'minijail' }, compile, { cacheDir }).outcome).toBe('miss');
    expect(compileWithCache(top, { arch: 'x86_64', defaultAction: 'trap' }, compile, { cacheDir }).outcome).toBe('miss');
    expect(compileWithCache(top, { arch: 'x86_64', layout: 'optimized' }, compile, { cacheDir }).outcome).toBe('hit');
    expect(calls.length).toBe(4);
  });

  it('detects a damaged entry, recompiles and replaces it', () => {
    const { top } = policyFiles();
    const cacheDir = tempDir();
    const { compile, calls } = countingCompiler();
    const first = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    const entryPath = first.entryPath as string;

    writeFileSync(entryPath, readFileSync(entryPath, 'utf8').slice(0, 40));
    const truncated = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    expect(truncated.outcome).toBe('corrupt');
    expect(truncated.corruption).toContain('JSON');
    expect(truncated.program).toEqual(first.program);

    // A program altered inside otherwise valid JSON fails its checksum.
    const entry = JSON.parse(readFileSync(entryPath, 'utf8'));
    const bytes = Buffer.from(entry.program, 'base64');
    bytes[bytes.length - 1] ^= 0x01;
    entry.program = bytes.toString('base64');
    writeFileSync(entryPath, JSON.stringify(entry));
    const flipped = compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir });
    expect(flipped.outcome).toBe('corrupt');
    expect(flipped.corruption).toContain('checksum');

    // A file list that does not belong to the settings fails the content key.
    const forged = JSON.parse(readFileSync(entryPath, 'utf8'));
    forged.files = forged.files.slice(0, 1);
    writeFileSync(entryPath, JSON.stringify(forged));
    expect(compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir }).outcome).toBe('corrupt');

    expect(compileWithCache(top, { arch: 'x86_64' }, compile, { cacheDir }).outcome).toBe('hit');
    expect(calls.length).toBe(4);
  });

  it('still compiles when the cache folder cannot be written', () => {
    if (process.getuid?.() === 0) {
      // root ignores directory permissions, so use a path under a regular file instead.
      const { top } = policyFiles();
      const blocker = join(tempDir(), 'not-a-folder');
      writeFileSync(blocker, '');
      const result = compileWithCache(top, { arch: 'x86_64' }, countingCompiler().compile, { cacheDir: join(blocker, 'cache') });
      expect(result.outcome).toBe('miss');
      expect(result.entryPath).toBeUndefined();
      expect(result.program.length).toBe(2);
      return;
    }
    const { top } = policyFiles();
    const cacheDir = tempDir();
    chmodSync(cacheDir, 0o500);
    const result = compileWithCache(top, { arch: 'x86_64' }, countingCompiler().compile, { cacheDir });
    expect(result.entryPath).toBeUndefined();
  });

  it('lets a compile error through and caches nothing', () => {
    const cacheDir = tempDir();
    const failing = () => {
      throw new Error('policy error');
    };
    const { top } = policyFiles();
    expect(() => compileWithCache(top, { arch: 'x86_64' }, failing, { cacheDir })).toThrow('policy error');
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('lives under $JAIL_RUN_CACHE_DIR, else $XDG_CACHE_HOME/jail-run, else ~/.cache/jail-run', () => {
    const saved = { jail: process.env.JAIL_RUN_CACHE_DIR, xdg: process.env.XDG_CACHE_HOME, home: process.env.HOME };
    try {
      delete process.env.JAIL_RUN_CACHE_DIR;
      process.env.XDG_CACHE_HOME = '/xdg-cache';
      expect(compileCacheDirectory()).toBe('/xdg-cache/jail-run');
      delete process.env.XDG_CACHE_HOME;
      process.env.HOME = '/home/someone';
      expect(compileCacheDirectory()).toBe('/home/someone/.cache/jail-run');
      process.env.JAIL_RUN_CACHE_DIR = '/explicit';
      expect(compileCacheDirectory()).toBe('/explicit');
      expect(compileCacheDirectory({ cacheDir: '/option' })).toBe('/option');
    } finally {
      for (const [key, value] of [['JAIL_RUN_CACHE_DIR', saved.jail], ['XDG_CACHE_HOME', saved.xdg], ['HOME', saved.home]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
