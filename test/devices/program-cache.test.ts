import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveArch } from '../../src/arch/index.js';
import { generateProgram } from '../../src/compile.js';
import { generateProgramWithCache, type ProgramGenerator } from '../../src/devices/compile-cache.js';
import { irFingerprintText } from '../../src/devices/ir-fingerprint.js';
import { parsePolicyText } from '../../src/policy/index.js';
import type { PolicyIR } from '../../src/policy/ir.js';

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jail-run-program-cache-'));
  temporary.push(dir);
  return dir;
}

const arch = resolveArch('x86_64');
const ir = (text: string, file = '/policies/x86_64/test.policy'): PolicyIR => parsePolicyText(text, file, { arch });

function countingGenerator() {
  let calls = 0;
  const generate: ProgramGenerator = (policy, layout, strategy) => {
    calls++;
    return generateProgram(policy, layout, strategy);
  };
  return { generate, calls: () => calls };
}

describe('program cache keyed by IR content', () => {
  it('generates once and then serves the same program, whatever file the same rules came from', () => {
    const dir = cacheDir();
    const { generate, calls } = countingGenerator();
    const text = 'read: 1\nioctl: arg1 == FIONBIO\nopenat: return ENOENT\n';
    const first = generateProgramWithCache(ir(text), 'optimized', 'bst', generate, { cacheDir: dir });
    expect(first.outcome).toBe('miss');
    expect(first.program).toEqual(generateProgram(ir(text), 'optimized', 'bst'));
    const again = generateProgramWithCache(ir(`# moved and commented\n\n${text}`, '/elsewhere/other.policy'), 'optimized', 'bst', generate, { cacheDir: dir });
    expect(again.outcome).toBe('hit');
    expect(again.program).toEqual(first.program);
    expect(calls()).toBe(1);
  });

  it('misses for other rules, another layout or another strategy', () => {
    const dir = cacheDir();
    const { generate, calls } = countingGenerator();
    generateProgramWithCache(ir('read: 1\n'), 'optimized', 'bst', generate, { cacheDir: dir });
    expect(generateProgramWithCache(ir('read: 1\nwrite: 1\n'), 'optimized', 'bst', generate, { cacheDir: dir }).outcome).toBe('miss');
    expect(generateProgramWithCache(ir('read: arg0 == 0\n'), 'optimized', 'bst', generate, { cacheDir: dir }).outcome).toBe('miss');
    expect(generateProgramWithCache(ir('read: 1\n'), 'minijail', 'bst', generate, { cacheDir: dir }).outcome).toBe('miss');
    expect(generateProgramWithCache(ir('read: 1\n'), 'optimized', 'linear', generate, { cacheDir: dir }).outcome).toBe('miss');
    expect(calls()).toBe(5);
  });

  it('tells shared action objects from equal ones (the Minijail layout emits one RET per object)', () => {
    const separate = ir('read: allow\nwrite: allow\n');
    const readAction = separate.rules[0].filters[0].action;
    const shared: PolicyIR = {
      ...separate,
      rules: separate.rules.map((rule) => ({ ...rule, filters: rule.filters.map((filter) => ({ ...filter, action: readAction })) })),
    };
    expect(irFingerprintText(shared)).not.toBe(irFingerprintText(separate));
  });

  it('replaces a damaged entry', () => {
    const dir = cacheDir();
    const { generate, calls } = countingGenerator();
    const policy = ir('read: 1\nwrite: arg0 == 1\n');
    const first = generateProgramWithCache(policy, 'optimized', 'bst', generate, { cacheDir: dir });
    const entry = JSON.parse(readFileSync(first.entryPath as string, 'utf8'));
    entry.programSha256 = '0'.repeat(64);
    writeFileSync(first.entryPath as string, JSON.stringify(entry));
    const damaged = generateProgramWithCache(policy, 'optimized', 'bst', generate, { cacheDir: dir });
    expect(damaged.outcome).toBe('corrupt');
    expect(damaged.program).toEqual(first.program);
    expect(generateProgramWithCache(policy, 'optimized', 'bst', generate, { cacheDir: dir }).outcome).toBe('hit');
    expect(calls()).toBe(2);
  });
});
