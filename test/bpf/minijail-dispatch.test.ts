import { describe, expect, it } from 'vitest';
import type { ArchTable } from '../../src/arch/types.js';
import { generateMinijailProgram } from '../../src/bpf/codegen/minijail/index.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, SECCOMP_RET_TRAP } from '../../src/bpf/instruction.js';
import { makeSeccompData } from '../../src/bpf/seccomp-data.js';
import { simulate } from '../../src/bpf/simulate.js';
import { findProgramProblems } from '../../src/bpf/verify.js';
import { action, anyOf, atom, filter, PolicyBuilder, unitTestArch } from './policy-builder.js';

const decide = (program: ReturnType<typeof generateMinijailProgram>, arch: number, nr: number, arg0 = 0n) =>
  simulate(program, makeSeccompData(nr, arch, [arg0])).action;

describe('Minijail dispatch', () => {
  it('merges consecutive plainly allowed numbers into one range test', () => {
    const ir = new PolicyBuilder(unitTestArch()).allow('syscall_10').allow('syscall_11').allow('syscall_12').build();
    const program = generateMinijailProgram(ir, { strategy: 'linear' });
    // prologue 4, one two-comparison range test, accept, reject.
    expect(program).toHaveLength(4 + 2 + 2);
    for (const nr of [9, 10, 11, 12, 13]) expect(decide(program, 0xdeadbeef, nr)).toBe(nr >= 10 && nr <= 12 ? SECCOMP_RET_ALLOW : 0x80000000);
  });

  it('chooses the same tree whatever the scale of the frequencies (exact costs, numbers or bigints)', () => {
    const build = (scale: bigint) => {
      const arch = unitTestArch();
      const builder = new PolicyBuilder(arch);
      [...arch.syscalls.keys()].slice(0, 60).forEach((name, index) => {
        const frequency = Number(BigInt((index * 37) % 11) * scale);
        if (index % 4 === 0) builder.allowIf(name, anyOf([atom(0, '==', index)]), { frequency });
        else builder.allow(name, { frequency });
      });
      return generateMinijailProgram(builder.build(), { strategy: 'bst' });
    };
    // 2^40 * 10 * 60 ranges exceeds 2^53: the bigint path runs.
    expect(build(2n ** 40n)).toEqual(build(1n));
  });

  it('Q17: aliased syscall numbers compile under BST and decide as the linear chain does', () => {
    const base = unitTestArch(32);
    const arch: ArchTable = { ...base, syscalls: new Map([...base.syscalls, ['alias_of_200', 200], ['alias_of_7', 7]]) };
    const variants = [
      (builder: PolicyBuilder) => builder.allow('syscall_200').add('alias_of_200', [filter(null, action('errno', 5))]),
      (builder: PolicyBuilder) => builder.add('alias_of_200', [filter(null, action('errno', 5))], { frequency: 3 }).allow('syscall_200').allow('syscall_201'),
      (builder: PolicyBuilder) =>
        builder.allow('syscall_6').allowIf('alias_of_7', anyOf([atom(0, '==', 1)])).allow('syscall_7').allow('syscall_8').add('syscall_200', [filter(null, action('trap'))]),
    ];
    for (const variant of variants) {
      const ir = variant(new PolicyBuilder(arch, { defaultAction: action('trap') })).build();
      const linear = generateMinijailProgram(ir, { strategy: 'linear' });
      const tree = generateMinijailProgram(ir, { strategy: 'bst' });
      expect(findProgramProblems(tree)).toEqual([]);
      for (let nr = 0; nr < 260; nr++) {
        for (const arg0 of [0n, 1n]) expect(decide(tree, 0xdeadbeef, nr, arg0), `nr ${nr} arg0 ${arg0}`).toBe(decide(linear, 0xdeadbeef, nr, arg0));
      }
    }
    const first = variants[0](new PolicyBuilder(arch, { defaultAction: action('trap') })).build();
    // Equal frequencies: the chain tests the later entry first, so the alias's errno decides 200.
    expect(decide(generateMinijailProgram(first, { strategy: 'bst' }), 0xdeadbeef, 200)).toBe((SECCOMP_RET_ERRNO | 5) >>> 0);
    expect(decide(generateMinijailProgram(first, { strategy: 'bst' }), 0xdeadbeef, 201)).toBe(SECCOMP_RET_TRAP);
  });

  it('denylist mode: listed syscalls get their return, the rest ALLOW, an arch mismatch the kill action', () => {
    const eperm = action('errno', 1);
    const ir = new PolicyBuilder(unitTestArch(), { denylist: true, killAction: eperm })
      .add('read', [filter(null, action('errno', 38))])
      .add('write', [filter(anyOf([atom(0, '==', 1)]), action('errno', 13))])
      .build();
    const program = generateMinijailProgram(ir, { strategy: 'bst' });
    expect(decide(program, 0xdeadbeef, 0)).toBe((SECCOMP_RET_ERRNO | 38) >>> 0);
    expect(decide(program, 0xdeadbeef, 1, 1n)).toBe((SECCOMP_RET_ERRNO | 13) >>> 0);
    expect(decide(program, 0xdeadbeef, 1, 2n)).toBe(SECCOMP_RET_ALLOW);
    expect(decide(program, 0xdeadbeef, 3)).toBe(SECCOMP_RET_ALLOW);
    expect(decide(program, 0x12345678, 3)).toBe((SECCOMP_RET_ERRNO | 1) >>> 0);
  });
});
