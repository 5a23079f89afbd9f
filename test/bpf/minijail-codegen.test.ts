import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ArchTable } from '../../src/arch/types.js';
import { encodeProgram } from '../../src/bpf/encode.js';
import { compileFilterBlock } from '../../src/bpf/codegen/minijail/filter-block.js';
import { encodeConditionalJump } from '../../src/bpf/codegen/minijail/jump-encoding.js';
import { generateMinijailProgram } from '../../src/bpf/codegen/minijail/index.js';
import { dispatchEntries } from '../../src/bpf/codegen/minijail/program.js';
import {
  instruction,
  loadAbsolute,
  OP_JA,
  OP_JEQ_K,
  ret,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
  type Instruction,
} from '../../src/bpf/instruction.js';
import { makeSeccompData } from '../../src/bpf/seccomp-data.js';
import { simulate } from '../../src/bpf/simulate.js';
import { findProgramProblems } from '../../src/bpf/verify.js';
import type { Operator } from '../../src/policy/ir.js';
import { action, anyOf, atom, filter, PolicyBuilder, unitTestArch } from './policy-builder.js';
import { haveCorpus, readExpected } from './corpus.js';

const TEST_ARCH = 0xdeadbeef;
const A = SECCOMP_RET_ALLOW;
const K = SECCOMP_RET_KILL_PROCESS;

/** The action a program returns for syscall `nr` with these arguments, on the unit-test arch. */
const run = (program: readonly Instruction[], nr: number, ...args: (number | bigint)[]) =>
  simulate(program, makeSeccompData(nr, TEST_ARCH, args.map(BigInt)));
const actionOf = (program: readonly Instruction[], nr: number, ...args: (number | bigint)[]) => run(program, nr, ...args).action;

/** One syscall, `read`, with these filters: its block and the whole program. */
function compileRead(filters: Parameters<PolicyBuilder['add']>[1], bits: 32 | 64 = 64) {
  const builder = new PolicyBuilder(unitTestArch(bits)).add('read', filters);
  const ir = builder.build();
  return { program: generateMinijailProgram(ir, { strategy: 'bst' }), block: compileFilterBlock(ir.rules[0].filters, bits), ir };
}

describe('Minijail layout: the worked example (policy-language.md §7.6)', () => {
  const x86: ArchTable = {
    name: 'x86_64', minijailName: 'x86_64', auditArch: 0xc000003e, bits: 64,
    syscalls: new Map([['read', 0], ['write', 1], ['close', 3]]), constants: new Map(), syscallGroups: new Map(),
  };
  const arm: ArchTable = { ...x86, name: 'arm', minijailName: 'arm', auditArch: 0x40000028, bits: 32, syscalls: new Map([['read', 3], ['write', 4], ['close', 6]]) };
  const example = (arch: ArchTable) =>
    new PolicyBuilder(arch, { defaultAction: action('trap'), killAction: action('kill-thread') })
      .allow('read')
      .allowIf('write', anyOf([atom(0, '==', 1)], [atom(0, '==', 2)]))
      .allow('close')
      .build();

  const expected: Instruction[] = [
    loadAbsolute(4),
    instruction(OP_JEQ_K, 0xc000003e, 1, 0),
    ret(SECCOMP_RET_KILL_THREAD),
    loadAbsolute(0),
    instruction(OP_JEQ_K, 3, 2, 0),
    instruction(OP_JEQ_K, 1, 3, 0),
    instruction(OP_JEQ_K, 0, 0, 1),
    ret(SECCOMP_RET_ALLOW),
    ret(SECCOMP_RET_TRAP),
    loadAbsolute(20),
    instruction(OP_JEQ_K, 0, 0, 2),
    loadAbsolute(16),
    instruction(OP_JEQ_K, 2, 5, 0),
    loadAbsolute(20),
    instruction(OP_JEQ_K, 0, 0, 2),
    loadAbsolute(16),
    instruction(OP_JEQ_K, 1, 1, 0),
    ret(SECCOMP_RET_TRAP),
    ret(SECCOMP_RET_ALLOW),
  ];

  it('reproduces the 19 instructions of the spec, with both strategies', () => {
    expect(generateMinijailProgram(example(x86), { strategy: 'bst' })).toEqual(expected);
    expect(generateMinijailProgram(example(x86), { strategy: 'linear' })).toEqual(expected);
  });

  it('has the same shape on arm: 15 instructions, one load per atom', () => {
    const program = generateMinijailProgram(example(arm), { strategy: 'bst' });
    expect(program).toHaveLength(15);
    expect(program.slice(4, 7)).toEqual([instruction(OP_JEQ_K, 6, 2, 0), instruction(OP_JEQ_K, 4, 3, 0), instruction(OP_JEQ_K, 3, 0, 1)]);
    expect(program.slice(9)).toEqual([
      loadAbsolute(16), instruction(OP_JEQ_K, 2, 3, 0), loadAbsolute(16), instruction(OP_JEQ_K, 1, 1, 0), ret(SECCOMP_RET_TRAP), ret(SECCOMP_RET_ALLOW),
    ]);
  });

  it.skipIf(!haveCorpus)('matches the reference output bytes (needs ../shared/corpus)', () => {
    expect(Buffer.from(encodeProgram(generateMinijailProgram(example(x86), { strategy: 'bst' })))).toEqual(Buffer.from(readExpected('synthetic/s01_worked_example.bpf')));
    expect(Buffer.from(encodeProgram(generateMinijailProgram(example(arm), { strategy: 'bst' })))).toEqual(Buffer.from(readExpected('synthetic/s01_worked_example_arm.bpf')));
  });

  it('is five instructions when nothing is listed', () => {
    const empty = new PolicyBuilder(x86, { defaultAction: action('trap'), killAction: action('kill-thread') }).build();
    expect(generateMinijailProgram(empty, { strategy: 'bst' })).toEqual([
      loadAbsolute(4), instruction(OP_JEQ_K, 0xc000003e, 1, 0), ret(SECCOMP_RET_KILL_THREAD), loadAbsolute(0), ret(SECCOMP_RET_TRAP),
    ]);
  });
});

describe("Minijail layout: the reference's compiler unit tests (policy-language.md §12, items 61-78)", () => {
  it('61: a plainly allowed syscall has no block and is allowed for any argument', () => {
    const { program, ir } = compileRead([filter(null, action('allow'))]);
    expect(dispatchEntries(ir)[0].block).toBeNull();
    for (const value of [0, 1, 0xffffffff, 2n ** 64n - 1n]) expect(actionOf(program, 0, value)).toBe(A);
  });

  it('62: `read: arg0 == 0x100` is exactly six instructions', () => {
    const { block } = compileRead([filter(anyOf([atom(0, '==', 0x100)]), action('allow'))]);
    expect(block).toEqual([
      loadAbsolute(20), instruction(OP_JEQ_K, 0, 0, 2), loadAbsolute(16), instruction(OP_JEQ_K, 0x100, 1, 0), ret(K), ret(A),
    ]);
  });

  const compare = (operator: Operator, constant: bigint, values: bigint[]) => {
    const { program, block } = compileRead([filter(anyOf([atom(0, operator, constant)]), action('allow'))]);
    return { results: values.map((value) => actionOf(program, 0, value)), length: block.length };
  };

  it('63: comparison operators around 0x100', () => {
    const around = [0xffn, 0x100n, 0x101n];
    const table: [Operator, number[]][] = [['==', [K, A, K]], ['!=', [A, K, A]], ['<', [A, K, K]], ['<=', [A, A, K]], ['>', [K, K, A]], ['>=', [K, A, A]]];
    for (const [operator, expected] of table) expect(compare(operator, 0x100n, around).results, operator).toEqual(expected);
  });

  it('64: `arg0 & 0x3` over 0..8', () => {
    const values = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
    expect(compare('&', 3n, values).results).toEqual([K, A, A, A, K, A, A, A, K]);
  });

  it('65: `arg0 in 0x3` over 0..8', () => {
    const values = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];
    expect(compare('in', 3n, values).results).toEqual([A, A, A, A, K, K, K, K, K]);
  });

  it('66: ordering tests against a 32-bit constant are shorter than against a 64-bit one, and both behave', () => {
    for (const operator of ['<', '<=', '>', '>='] as Operator[]) {
      const small = 0xdeadbeefn;
      const large = 0xbadc0ffee0ddf00dn;
      expect(compare(operator, small, []).length, operator).toBeLessThan(compare(operator, large, []).length);
      const expected = { '<': [A, K, K], '<=': [A, A, K], '>': [K, K, A], '>=': [K, A, A] }[operator as '<' | '<=' | '>' | '>='];
      for (const constant of [small, large]) expect(compare(operator, constant, [constant - 1n, constant, constant + 1n]).results).toEqual(expected);
    }
  });

  it('67: `arg0 == 0 && arg1 == 0 || arg0 == 1`', () => {
    const { program } = compileRead([filter(anyOf([atom(0, '==', 0), atom(1, '==', 0)], [atom(0, '==', 1)]), action('allow'))]);
    expect([actionOf(program, 0, 0, 0), actionOf(program, 0, 0, 1), actionOf(program, 0, 1, 0), actionOf(program, 0, 1, 1)]).toEqual([A, K, A, A]);
  });

  it('68, 70, 71: unconditional actions', () => {
    const cases: [ReturnType<typeof action>, number][] = [
      [action('trap'), SECCOMP_RET_TRAP],
      [action('errno', 1), SECCOMP_RET_ERRNO | 1],
      [action('trace'), SECCOMP_RET_TRACE],
      [action('user-notify'), SECCOMP_RET_USER_NOTIF],
      [action('log'), SECCOMP_RET_LOG],
    ];
    for (const [unconditional, expected] of cases) expect(actionOf(compileRead([filter(null, unconditional)]).program, 0)).toBe(expected >>> 0);
  });

  it('69: the return applies when the expression matches', () => {
    const { program } = compileRead([filter(anyOf([atom(0, '==', 0)], [atom(0, '==', 1)]), action('errno', 1))]);
    expect([actionOf(program, 0, 0), actionOf(program, 0, 1), actionOf(program, 0, 2)]).toEqual([(SECCOMP_RET_ERRNO | 1) >>> 0, (SECCOMP_RET_ERRNO | 1) >>> 0, K]);
  });

  it('72: `arg0 in ~PROT_WRITE || arg0 in ~PROT_EXEC`', () => {
    const complement = (value: bigint) => ~value & (2n ** 64n - 1n);
    const { program } = compileRead([filter(anyOf([atom(0, 'in', complement(2n))], [atom(0, 'in', complement(4n))]), action('allow'))]);
    for (let prot = 0; prot <= 14; prot++) expect(actionOf(program, 0, prot), `prot ${prot}`).toBe((prot & 6) === 6 ? K : A);
  });

  it('73, 74: frequencies put the frequent syscall first, with both strategies', () => {
    for (const strategy of ['linear', 'bst'] as const) {
      const ir = new PolicyBuilder(unitTestArch()).allow('read', { frequency: 1 }).allow('close', { frequency: 10 }).build();
      const program = generateMinijailProgram(ir, { strategy });
      const read = run(program, 0);
      const close = run(program, 3);
      expect([read.action, close.action]).toEqual([A, A]);
      expect(close.instructionsExecuted, strategy).toBeLessThan(read.instructionsExecuted);
    }
  });

  it('75: a policy of only a default gives it to every syscall', () => {
    const ir = new PolicyBuilder(unitTestArch(), { defaultAction: action('kill-thread') }).build();
    for (const strategy of ['linear', 'bst'] as const) {
      const program = generateMinijailProgram(ir, { strategy });
      for (const nr of [0, 1, 62, 255, 1000]) expect(actionOf(program, nr)).toBe(SECCOMP_RET_KILL_THREAD);
    }
  });

  it('76: random allow-lists with random frequencies decide exactly, with both strategies', () => {
    const numbers = [...unitTestArch().syscalls.values()];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...numbers), { minLength: 12, maxLength: 64 }),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 64, maxLength: 64 }),
        (listed, frequencies) => {
          const arch = unitTestArch();
          const names = new Map([...arch.syscalls].map(([name, number]) => [number, name]));
          const builder = new PolicyBuilder(arch);
          listed.forEach((number, index) => builder.allow(names.get(number)!, { frequency: frequencies[index] }));
          for (const strategy of ['linear', 'bst'] as const) {
            const program = generateMinijailProgram(builder.build(), { strategy });
            expect(findProgramProblems(program)).toEqual([]);
            for (let nr = 0; nr < 260; nr++) expect(actionOf(program, nr)).toBe(listed.includes(nr) ? A : K);
          }
        },
      ),
      { numRuns: 40, seed: 76 },
    );
  });

  it('77: 128 random `NAME: arg0 == NUMBER` under BST, with far jumps', () => {
    const arch = unitTestArch();
    const names = new Map([...arch.syscalls].map(([name, number]) => [number, name]));
    const listed = [...names.keys()].sort((a, b) => ((a * 7919) % 251) - ((b * 7919) % 251)).slice(0, 128);
    const builder = new PolicyBuilder(arch);
    for (const number of listed) builder.allowIf(names.get(number)!, anyOf([atom(0, '==', number)]));
    const program = generateMinijailProgram(builder.build(), { strategy: 'bst' });
    expect(program.some((item) => item.code === OP_JA)).toBe(true);
    expect(findProgramProblems(program)).toEqual([]);
    for (const number of listed) {
      expect(actionOf(program, number, number)).toBe(A);
      expect(actionOf(program, number, number + 1)).toBe(K);
    }
    for (const number of [...names.keys()].filter((number) => !listed.includes(number))) expect(actionOf(program, number, number)).toBe(K);
  });

  it('78: 128 syscalls with 128-way disjunctions, linear, without exponential traversal', () => {
    const arch = unitTestArch();
    const names = [...arch.syscalls.keys()].slice(0, 128);
    const valuesOf = (index: number) => Array.from({ length: 128 }, (_, position) => BigInt(((index + 1) * 7777 + position * 131) % 1000));
    const builder = new PolicyBuilder(arch);
    names.forEach((name, index) => builder.allowIf(name, anyOf(...valuesOf(index).map((value) => [atom(0, '==', value)]))));
    const program = generateMinijailProgram(builder.build(), { strategy: 'linear' });
    names.forEach((name, index) => {
      const nr = arch.syscalls.get(name)!;
      expect(actionOf(program, nr, valuesOf(index)[index % 128])).toBe(A);
      expect(actionOf(program, nr, 1025)).toBe(K);
    });
  });
});

describe('Minijail layout: identity sharing and jump encodings', () => {
  it('one RET per action object: `||` shares a return, a brace list of two filters does not', () => {
    const shared = compileRead([filter(anyOf([atom(0, '==', 1)], [atom(0, '==', 2)]), action('allow'))]).block;
    const separate = compileRead([filter(anyOf([atom(0, '==', 1)]), action('allow')), filter(anyOf([atom(0, '==', 2)]), action('allow'))]).block;
    const allows = (block: Instruction[]) => block.filter((item) => item.code === 0x06 && item.k === A).length;
    expect([allows(shared), allows(separate)]).toEqual([1, 2]);
  });

  it('64-bit `>` with a high word reloads it for the equality test; `&` with no high bits tests only the low word', () => {
    const greater = compileRead([filter(anyOf([atom(1, '>', 0x100000005n)]), action('allow'))]).block;
    expect(greater.slice(0, 6)).toEqual([loadAbsolute(28), instruction(0x25, 1, greater[1].jt, 0), loadAbsolute(28), instruction(0x15, 1, 0, greater[3].jf), loadAbsolute(24), instruction(0x25, 5, greater[5].jt, greater[5].jf)]);
    const mask = compileRead([filter(anyOf([atom(2, '&', 4)]), action('allow'))]).block;
    expect(mask.slice(0, 2)).toEqual([loadAbsolute(32), instruction(0x45, 4, 1, 0)]);
  });

  it('encodes conditional jumps in the four forms of §7.5', () => {
    expect(encodeConditionalJump(0x10, 7, 255, 3)).toEqual([instruction(0x15, 7, 255, 3)]);
    expect(encodeConditionalJump(0x10, 7, 254, 300)).toEqual([instruction(0x15, 7, 255, 0), instruction(OP_JA, 300)]);
    expect(encodeConditionalJump(0x20, 7, 300, 254)).toEqual([instruction(0x25, 7, 0, 255), instruction(OP_JA, 300)]);
    expect(encodeConditionalJump(0x30, 7, 255, 255)).toEqual([instruction(0x35, 7, 255, 255)]);
    expect(encodeConditionalJump(0x30, 7, 255, 256)).toEqual([instruction(0x35, 7, 0, 1), instruction(OP_JA, 256), instruction(OP_JA, 256)]);
    expect(encodeConditionalJump(0x40, 7, 400, 500)).toEqual([instruction(0x45, 7, 0, 1), instruction(OP_JA, 401), instruction(OP_JA, 500)]);
  });

  it('keeps every decision right when targets are far apart', () => {
    const arch = unitTestArch();
    const builder = new PolicyBuilder(arch);
    const names = [...arch.syscalls.keys()].slice(0, 200);
    names.forEach((name, index) =>
      builder.add(name, [filter(anyOf([atom(0, '==', index)], [atom(1, '==', index)], [atom(2, '==', index)]), action('errno', index + 1))]),
    );
    for (const strategy of ['bst', 'linear'] as const) {
      const program = generateMinijailProgram(builder.build(), { strategy });
      expect(program.some((item) => item.code === OP_JA), strategy).toBe(true);
      expect(findProgramProblems(program)).toEqual([]);
      names.forEach((name, index) => {
        const nr = arch.syscalls.get(name)!;
        expect(actionOf(program, nr, 0, 0, index)).toBe((SECCOMP_RET_ERRNO | (index + 1)) >>> 0);
        expect(actionOf(program, nr, 999, 999, 999)).toBe(K);
      });
    }
  });
});
