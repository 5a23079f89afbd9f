import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { getShippedArch, loadArchJson, SHIPPED_ARCHES, type ArchTable, type ShippedArch } from '../../src/arch/index.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const corpusRoot = fileURLToPath(new URL('../../../shared/corpus/crosvm-2023/', import.meta.url));
const haveCorpus = existsSync(corpusRoot);

/**
 * Corpus entries our tables leave out on purpose, with the reason. The tests
 * check that exactly these are missing, so a new gap fails as well as a fixed one.
 */
const CORPUS_SYSCALLS_LEFT_OUT: Readonly<Record<ShippedArch, Readonly<Record<string, string>>>> = {
  x86_64: {},
  // asm-generic/unistd.h's __NR_syscalls is the size of the table, not a system call.
  aarch64: { syscalls: 'count of syscalls, not a syscall' },
  arm: {},
};
const CORPUS_CONSTANTS_LEFT_OUT: Readonly<Record<ShippedArch, Readonly<Record<string, string>>>> = {
  // A string macro ("fscrypt:"); Minijail's file records 0 for it.
  x86_64: { FS_KEY_DESC_PREFIX: 'string, not an integer' },
  aarch64: { FS_KEY_DESC_PREFIX: 'string, not an integer' },
  arm: {
    FS_KEY_DESC_PREFIX: 'string, not an integer',
    // 0x100000000ULL and 0x200000000ULL do not fit arm's 32-bit word; Minijail's file truncates them to 0.
    CLONE_CLEAR_SIGHAND: 'wider than 32 bits',
    CLONE_INTO_CGROUP: 'wider than 32 bits',
  },
};
/**
 * Constants whose value changed in the kernel headers after the corpus was
 * generated. Linux 6.x's hugetlb_encode.h spells the 16GB size 34U, so the
 * value is 0x88000000 instead of the sign-extended int the older headers gave.
 */
const CORPUS_CONSTANTS_CHANGED_BY_HEADERS: Readonly<Record<ShippedArch, readonly string[]>> = {
  x86_64: ['MAP_HUGE_16GB'],
  aarch64: ['MAP_HUGE_16GB'],
  arm: [],
};

interface PolicyNames {
  readonly syscalls: Set<string>;
  readonly constants: Set<string>;
}

/**
 * Syscall and constant names used by the policies of one corpus arch. A rough
 * reading is enough here: policies are `name: filter` lines, syscall names
 * may come as `{a, b}` lists, constants are upper-case identifiers after the colon.
 */
function namesInPolicies(directory: string): PolicyNames {
  const syscalls = new Set<string>();
  const constants = new Set<string>();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.policy')).sort()) {
    const text = readFileSync(path.join(directory, file), 'utf8').replace(/\\\r?\n/g, ' ');
    for (const rawLine of text.split(/\r?\n/)) {
      const line = rawLine.replace(/#.*/, '').trim();
      if (line === '' || line.startsWith('@')) continue;
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      for (const name of line.slice(0, colon).split(/[{},\s]+/)) {
        if (/^[a-z0-9_]+$/.test(name)) syscalls.add(name);
      }
      for (const match of line.slice(colon + 1).matchAll(/\b[A-Z][A-Z0-9_]*\b/g)) constants.add(match[0]);
    }
  }
  return { syscalls, constants };
}

const toWord = (value: bigint, bits: number): bigint => BigInt.asUintN(bits, value);
const hex = (value: bigint, bits: number): string => `0x${toWord(value, bits).toString(16)}`;

describe.each(SHIPPED_ARCHES)('generated %s table against the crosvm 2023 corpus', (archName) => {
  const corpusDirectory = path.join(corpusRoot, archName);
  const loadCorpus = (): ArchTable => loadArchJson(path.join(corpusDirectory, 'constants.json'));
  const ours = getShippedArch(archName);

  it.skipIf(!haveCorpus)('has the corpus AUDIT_ARCH, word size and Minijail arch name (needs ../shared/corpus)', () => {
    const corpus = loadCorpus();
    expect(ours.auditArch).toBe(corpus.auditArch);
    expect(ours.bits).toBe(corpus.bits);
    expect(ours.minijailName).toBe(corpus.minijailName);
    expect(ours.name).toBe(archName);
  });

  it.skipIf(!haveCorpus)('gives every corpus syscall it has the corpus number (needs ../shared/corpus)', () => {
    const corpus = loadCorpus();
    const mismatches: string[] = [];
    const missing: string[] = [];
    for (const [name, number] of corpus.syscalls) {
      const ourNumber = ours.syscalls.get(name);
      if (ourNumber === undefined) missing.push(name);
      else if (ourNumber !== number) mismatches.push(`${name}: corpus ${number}, ours ${ourNumber}`);
    }
    expect(mismatches).toEqual([]);
    expect(missing.sort()).toEqual(Object.keys(CORPUS_SYSCALLS_LEFT_OUT[archName]).sort());
  });

  it.skipIf(!haveCorpus)('has every syscall the corpus policies name (needs ../shared/corpus)', () => {
    const { syscalls } = namesInPolicies(corpusDirectory);
    expect(syscalls.size).toBeGreaterThan(50);
    expect([...syscalls].filter((name) => !ours.syscalls.has(name)).sort()).toEqual([]);
  });

  it.skipIf(!haveCorpus)('has every constant the corpus policies name, with the corpus value (needs ../shared/corpus)', () => {
    const corpus = loadCorpus();
    const { constants } = namesInPolicies(corpusDirectory);
    expect(constants.size).toBeGreaterThan(10);
    const problems: string[] = [];
    for (const name of [...constants].sort()) {
      const expected = corpus.constants.get(name);
      const actual = ours.constants.get(name);
      if (expected === undefined) problems.push(`${name}: not in the corpus constants.json either`);
      else if (actual === undefined) problems.push(`${name}: missing (corpus ${expected})`);
      else if (toWord(actual, ours.bits) !== toWord(expected, ours.bits)) {
        problems.push(`${name}: corpus ${expected} (${hex(expected, ours.bits)}), ours ${actual} (${hex(actual, ours.bits)})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it.skipIf(!haveCorpus)('agrees exactly with every corpus constant it has, apart from documented header changes (needs ../shared/corpus)', () => {
    const corpus = loadCorpus();
    const differing: string[] = [];
    const missing: string[] = [];
    for (const [name, expected] of corpus.constants) {
      const actual = ours.constants.get(name);
      if (actual === undefined) missing.push(name);
      else if (actual !== expected) differing.push(name);
    }
    expect(differing.sort()).toEqual([...CORPUS_CONSTANTS_CHANGED_BY_HEADERS[archName]].sort());
    expect(missing.sort()).toEqual(Object.keys(CORPUS_CONSTANTS_LEFT_OUT[archName]).sort());
    // Broad coverage: at least the corpus's ~1900 names.
    expect(ours.constants.size).toBeGreaterThanOrEqual(corpus.constants.size);
  });
});

describe('generated tables on their own', () => {
  it('x86_64 has no x32 syscall numbers', () => {
    const x86_64 = getShippedArch('x86_64');
    expect([...x86_64.syscalls].filter(([, number]) => (number & 0x40000000) !== 0)).toEqual([]);
  });

  it('arm carries the private ARM calls under Minijail names', () => {
    const arm = getShippedArch('arm');
    // __ARM_NR_BASE is 0x0f0000; cacheflush is BASE+2 and set_tls BASE+5 (arch/arm/include/uapi/asm/unistd.h).
    expect(arm.syscalls.get('ARM_cacheflush')).toBe(0x0f0002);
    expect(arm.syscalls.get('ARM_set_tls')).toBe(0x0f0005);
    expect(arm.syscalls.has('ARM_BASE')).toBe(false);
  });

  it.each(SHIPPED_ARCHES)('%s constants fit the arch word as signed values', (archName) => {
    const table = getShippedArch(archName);
    const minimum = -(1n << BigInt(table.bits - 1));
    const maximum = (1n << BigInt(table.bits - 1)) - 1n;
    const outside = [...table.constants].filter(([, value]) => value < minimum || value > maximum);
    expect(outside).toEqual([]);
  });

  it.each(SHIPPED_ARCHES)('%s file names its sources and how to regenerate', (archName) => {
    const text = readFileSync(path.join(projectRoot, 'src/arch/generated', `${archName}.ts`), 'utf8');
    const header = text.slice(0, text.indexOf('export '));
    expect(header).toMatch(/do not edit; regenerate with npm run generate:arch/);
    expect(header).toMatch(/scripts\/generate-arch-tables\.ts/);
    expect(header).toMatch(/linux-libc-dev\S* \S+/);
    expect(header).toMatch(/libc6-dev\S* \S+/);
  });
});

const COMPILERS = ['x86_64-linux-gnu-gcc', 'aarch64-linux-gnu-gcc', 'arm-linux-gnueabihf-gcc'];
const haveCompilers = COMPILERS.every((compiler) => spawnSync(compiler, ['--version']).status === 0);

describe('generator', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'jail-run-arch-test-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it.skipIf(!haveCompilers)(
    'reproduces the committed tables from the installed headers (needs the cross compilers and headers)',
    (context) => {
      const tsx = path.join(projectRoot, 'node_modules/.bin/tsx');
      const result = spawnSync(tsx, [path.join(projectRoot, 'scripts/generate-arch-tables.ts'), '--out-dir', scratch], {
        encoding: 'utf8',
      });
      expect(result.status, result.stderr).toBe(0);
      const headerOf = (text: string): string => text.slice(0, text.indexOf('export '));
      for (const archName of SHIPPED_ARCHES) {
        const committed = readFileSync(path.join(projectRoot, 'src/arch/generated', `${archName}.ts`), 'utf8');
        const regenerated = readFileSync(path.join(scratch, `${archName}.ts`), 'utf8');
        if (headerOf(committed) !== headerOf(regenerated)) {
          context.skip(`installed packages differ from those ${archName}.ts was generated from; compare the headers by hand`);
        }
        expect(regenerated).toBe(committed);
      }
    },
    120_000,
  );
});
