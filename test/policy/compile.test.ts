/** compilePolicy / compilePolicyText: options, layouts, and programs the kernel would refuse. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostArch, resolveArch } from '../../src/arch/index.js';
import { InvalidProgramError, ProgramTooLongError, simulate, makeSeccompData, SECCOMP_RET_ALLOW, SECCOMP_RET_TRAP } from '../../src/bpf/index.js';
import { compilePolicy, compilePolicyText } from '../../src/compile.js';
import { PolicyError } from '../../src/policy/errors.js';

describe('compilePolicyText', () => {
  const text = 'read: allow\nwrite: arg0 == 1 || arg0 == 2\nclose: allow\n';

  it('defaults to the host arch and the optimized layout', () => {
    const compiled = compilePolicyText(text, 'p.policy');
    expect(compiled.layout).toBe('optimized');
    expect(compiled.arch).toBe(resolveArch(hostArch()));
    expect(compiled.ir.rules.map((rule) => rule.name)).toEqual(['read', 'write', 'close']);
  });

  it('takes arch names and aliases, and both layouts decide alike', () => {
    for (const arch of ['x86_64', 'amd64', 'aarch64', 'arm64', 'arm', 'armhf']) {
      const table = resolveArch(arch);
      const minijail = compilePolicyText(text, 'p.policy', { arch, layout: 'minijail', defaultAction: 'trap' });
      const optimized = compilePolicyText(text, 'p.policy', { arch, defaultAction: 'trap' });
      expect(minijail.arch).toBe(table);
      const write = table.syscalls.get('write') as number;
      for (const [argument, wanted] of [
        [1n, SECCOMP_RET_ALLOW],
        [3n, SECCOMP_RET_TRAP],
      ] as const) {
        const data = makeSeccompData(write, table.auditArch, [argument]);
        expect(simulate(minijail.program, data).action >>> 0).toBe(wanted);
        expect(simulate(optimized.program, data).action >>> 0).toBe(wanted);
      }
    }
  });

  it('passes the strategy to code generation', () => {
    const bst = compilePolicyText(text, 'p.policy', { arch: 'x86_64', layout: 'minijail', strategy: 'bst' });
    const linear = compilePolicyText(text, 'p.policy', { arch: 'x86_64', layout: 'minijail', strategy: 'linear' });
    expect(bst.program.length).toBeGreaterThan(0);
    expect(linear.program.length).toBeGreaterThan(0);
  });

  it('throws PolicyError for a bad policy and an Error for an unknown arch', () => {
    expect(() => compilePolicyText('read: nope', 'p.policy', { arch: 'x86_64' })).toThrow(PolicyError);
    expect(() => compilePolicyText('read: allow', 'p.policy', { arch: 'sparc' })).toThrow(/unknown arch/);
  });

  it('refuses a program over 4096 instructions in both layouts', () => {
    const arch = resolveArch('x86_64');
    const names = [...arch.syscalls.keys()].slice(0, 300);
    const huge = names.map((name, index) => `${name}: arg0 == ${index} || arg1 == ${index} || arg2 == ${index}`).join('\n');
    expect(() => compilePolicyText(huge, 'huge.policy', { arch, layout: 'minijail' })).toThrow(ProgramTooLongError);
    expect(() => compilePolicyText(huge, 'huge.policy', { arch, layout: 'optimized' })).toThrow(ProgramTooLongError);
  });

  it('refuses arg6, which reads past seccomp_data (Q10)', () => {
    expect(() => compilePolicyText('read: arg6 == 1', 'p.policy', { arch: 'x86_64', layout: 'minijail' })).toThrow(InvalidProgramError);
  });
});

describe('compilePolicy', () => {
  it('reads the file and its includes', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'jail-run-compile-'));
    try {
      writeFileSync(path.join(folder, 'main.policy'), '@include ./part.policy\nwrite: allow\n');
      writeFileSync(path.join(folder, 'part.policy'), 'read: allow\n');
      const compiled = compilePolicy(path.join(folder, 'main.policy'), { arch: 'aarch64', layout: 'minijail' });
      expect(compiled.ir.rules.map((rule) => rule.name)).toEqual(['read', 'write']);
      expect(compiled.arch.name).toBe('aarch64');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
