import { describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRAP } from '../../src/bpf/instruction.js';
import { makeSeccompData } from '../../src/bpf/seccomp-data.js';
import { evaluatePolicy, isX32SyscallNumber } from '../../src/policy/evaluate.js';
import { clauseWitness } from '../../src/policy/clause-witness.js';
import { action, anyOf, atom, filter, PolicyBuilder, unitTestArch } from '../bpf/policy-builder.js';

const arch64 = unitTestArch(64);
const arch32 = unitTestArch(32);
const call = (nr: number, args: (bigint | number)[] = [], arch = arch64.auditArch) => makeSeccompData(nr, arch, args.map(BigInt));

describe('evaluatePolicy', () => {
  it('tries filters in order; the first matching clause decides and is reported', () => {
    const errno = action('errno', 5);
    const ir = new PolicyBuilder(arch64, { defaultAction: action('trap') })
      .add('read', [filter(anyOf([atom(0, '==', 1)], [atom(0, '==', 2)]), action('allow')), filter(anyOf([atom(0, '<', 10)]), errno)])
      .build();
    const first = evaluatePolicy(ir, call(0, [2]));
    expect(first.action).toBe(SECCOMP_RET_ALLOW);
    expect(first.decidedBy).toMatchObject({ kind: 'filter', filterIndex: 0, clauseIndex: 1 });
    const second = evaluatePolicy(ir, call(0, [3]));
    expect(second.action).toBe(errno.value);
    expect(second.decidedBy).toMatchObject({ kind: 'filter', filterIndex: 1, clauseIndex: 0 });
    expect(second.location).toBe(errno.location);
    const none = evaluatePolicy(ir, call(0, [10]));
    expect(none.action).toBe(SECCOMP_RET_TRAP);
    expect(none.decidedBy).toMatchObject({ kind: 'default', allowElision: false });
  });

  it('applies allow elision: a plainly allowed syscall ignores its conditional filters', () => {
    const ir = new PolicyBuilder(arch64, { defaultAction: action('trap') })
      .add('read', [filter(anyOf([atom(0, '==', 0)]), action('errno', 1)), filter(null, action('allow'))])
      .build();
    const result = evaluatePolicy(ir, call(0, [0]));
    expect(result.action).toBe(SECCOMP_RET_ALLOW);
    expect(result.decidedBy).toMatchObject({ kind: 'filter', filterIndex: 1, allowElision: true });
  });

  it('gives unlisted syscalls the default, or ALLOW in denylist mode', () => {
    const allowlist = new PolicyBuilder(arch64, { defaultAction: action('trap') }).allow('read').build();
    expect(evaluatePolicy(allowlist, call(1))).toMatchObject({ action: SECCOMP_RET_TRAP, decidedBy: { kind: 'unlisted' } });
    const denylist = new PolicyBuilder(arch64, { denylist: true, defaultAction: action('kill-process'), killAction: action('errno', 1) })
      .add('read', [filter(anyOf([atom(0, '==', 1)]), action('errno', 9))])
      .build();
    expect(evaluatePolicy(denylist, call(1))).toMatchObject({ action: SECCOMP_RET_ALLOW, decidedBy: { kind: 'denylist-unlisted' } });
    // A failed argument filter still gets the resolved default.
    expect(evaluatePolicy(denylist, call(0, [2])).action).toBe(SECCOMP_RET_KILL_PROCESS);
  });

  it('answers an arch mismatch with the kill action, or KILL_PROCESS for the optimized layout', () => {
    const ir = new PolicyBuilder(arch64, { killAction: action('kill-thread') }).allow('read').build();
    expect(evaluatePolicy(ir, call(0, [], 1)).action).toBe(ir.killAction.value);
    expect(evaluatePolicy(ir, call(0, [], 1), { layout: 'optimized' })).toMatchObject({
      action: SECCOMP_RET_KILL_PROCESS,
      decidedBy: { kind: 'arch-mismatch' },
    });
  });

  it('kills x32 numbers on x86_64 in the optimized layout only, and leaves -1 alone', () => {
    const x86 = getShippedArch('x86_64');
    const ir = new PolicyBuilder(x86, { defaultAction: action('trap') }).allow('read').build();
    const x32Read = makeSeccompData(0x40000000, x86.auditArch);
    expect(evaluatePolicy(ir, x32Read).action).toBe(SECCOMP_RET_TRAP);
    expect(evaluatePolicy(ir, x32Read, { layout: 'optimized' }).decidedBy).toEqual({ kind: 'x32-syscall' });
    expect(evaluatePolicy(ir, makeSeccompData(0xffffffff, x86.auditArch), { layout: 'optimized' }).action).toBe(SECCOMP_RET_TRAP);
    expect(isX32SyscallNumber(x86.auditArch, 0xfffffffe)).toBe(true);
    expect(isX32SyscallNumber(x86.auditArch, 0x3fffffff)).toBe(false);
    expect(isX32SyscallNumber(arch64.auditArch, 0x40000000)).toBe(false);
  });

  it('compares full 64-bit values on 64-bit arches and the low word on 32-bit arches', () => {
    const build = (arch: typeof arch64) =>
      new PolicyBuilder(arch, { defaultAction: action('trap') }).allowIf('read', anyOf([atom(0, '==', 1)])).build();
    const wide = call(0, [0x1_0000_0001n]);
    expect(evaluatePolicy(build(arch64), wide).action).toBe(SECCOMP_RET_TRAP);
    expect(evaluatePolicy(build(arch32), makeSeccompData(0, arch32.auditArch, [0x1_0000_0001n])).action).toBe(SECCOMP_RET_ALLOW);
  });

  it('evaluates every operator unsigned, `in` as "no bit outside the mask"', () => {
    const cases: [Parameters<typeof atom>[1], bigint, bigint, boolean][] = [
      ['!=', 5n, 5n, false],
      ['<', 0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_fffen, false],
      ['<=', 7n, 7n, true],
      ['>', 0x1_0000_0000n, 0xffff_ffffn, true],
      ['>=', 3n, 4n, false],
      ['&', 0x10n, 0x30n, true],
      ['&', 0x1_0000_0000n, 0xffff_ffffn, false],
      ['in', 0x4n, 0x6n, true],
      ['in', 0x1_0000_0004n, 0x4n, false],
    ];
    for (const [operator, argument, value, holds] of cases) {
      const ir = new PolicyBuilder(arch64, { defaultAction: action('trap') }).allowIf('read', anyOf([atom(0, operator, value)])).build();
      expect(evaluatePolicy(ir, call(0, [argument])).action, `${argument} ${operator} ${value}`).toBe(holds ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP);
    }
  });
});

describe('clauseWitness', () => {
  it('finds arguments satisfying every atom of a clause, or says there are none', () => {
    const clause = [atom(0, '>=', 10), atom(0, '<', 12), atom(2, '&', 0x100), atom(1, 'in', 3)];
    const witness = clauseWitness(clause, 64)!;
    expect(witness[0] >= 10n && witness[0] < 12n).toBe(true);
    expect(witness[2] & 0x100n).not.toBe(0n);
    expect(witness[1] & ~3n).toBe(0n);
    expect(clauseWitness([atom(0, '==', 1), atom(0, '==', 2)], 64)).toBeUndefined();
  });
});
