/** Expressions, filters and statements (policy-language.md §3, §12 items 20–44). */
import { describe, expect, it } from 'vitest';
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  SECCOMP_RET_USER_NOTIF,
} from '../../src/bpf/instruction.js';
import { PolicyError } from '../../src/policy/errors.js';
import { parsePolicySyntax } from '../../src/policy/index.js';
import type { PolicyIR } from '../../src/policy/ir.js';
import { block, parseTest, policyErrorOf } from './helpers.js';

const detail = (text: string, options = {}): string => {
  try {
    parseTest(text, options);
  } catch (error) {
    if (error instanceof PolicyError) return error.detail;
    throw error;
  }
  return 'accepted';
};

/** Each rule's filters as [expression as (argument, operator, value) triples, action value]. */
const shape = (ir: PolicyIR) =>
  ir.rules.map((rule) => ({
    name: rule.name,
    number: rule.number,
    filters: rule.filters.map((filter) => [
      filter.expression?.map((clause) => clause.map((atom) => [atom.argument, atom.operator, atom.value])) ?? null,
      filter.action.value,
    ]),
  }));

describe('argument expressions', () => {
  it('builds DNF in source order', () => {
    const ir = parseTest('read: arg0 in 0xffff || arg0 == PROT_EXEC && arg1 == PROT_WRITE');
    expect(ir.rules[0].filters[0].expression?.map((clause) => clause.map((atom) => [atom.argument, atom.operator, atom.value]))).toEqual([
      [[0, 'in', 0xffffn]],
      [
        [0, '==', 4n],
        [1, '==', 2n],
      ],
    ]);
  });

  it('reads octal and hex alike', () => {
    for (const value of ['4607', '010777', '0x11ff']) {
      expect(parseTest(`read: arg0 in ${value}`).rules[0].filters[0].expression?.[0][0].value).toBe(4607n);
    }
  });

  it('reports incomplete expressions', () => {
    expect(detail('read: arg0 in 0xffff ||')).toBe('empty argument expression');
    expect(detail('read: arg0 in 0xffff &&')).toBe('empty clause');
    expect(detail('read: arg0 == 1 && 1')).toBe('invalid argument');
    expect(detail('read: arg0 = 0xffff')).toBe('invalid operator');
    expect(detail('read: arg0')).toBe('missing operator');
    expect(detail('read: arg0 ==')).toBe('empty constant');
    expect(policyErrorOf(() => parseTest('read: arg0 in 0xffff ||'))).toBe(
      block('test.policy(1:24): empty argument expression', 'read: arg0 in 0xffff ||', 24),
    );
  });

  it('checks the argument index after the value, as the reference does', () => {
    expect(policyErrorOf(() => parseTest('read: arg7 == 1'))).toBe(block('test.policy(1:7): invalid argument', 'read: arg7 == 1', 7, 4));
    expect(detail('read: arg7 == NOPE')).toBe('invalid constant');
    expect(parseTest('read: arg6 == 1').rules[0].filters[0].expression?.[0][0].argument).toBe(6);
  });

  it('treats argX as an invalid argument only where an argument is due', () => {
    // A filter that does not start with argN is an action.
    expect(detail('read: argX in 0xffff')).toBe('invalid action');
  });
});

describe('filters and actions', () => {
  it('gives an expression without an action ALLOW', () => {
    expect(shape(parseTest('read: arg0 == 0'))[0].filters[0]).toEqual([[[[0, '==', 0n]]], SECCOMP_RET_ALLOW]);
  });

  it('maps every action form', () => {
    const cases: [string, number][] = [
      ['kill-process', SECCOMP_RET_KILL_PROCESS],
      ['kill-thread', SECCOMP_RET_KILL_THREAD],
      ['trap', SECCOMP_RET_TRAP],
      ['return ENOSYS', SECCOMP_RET_ERRNO | 38],
      ['trace', SECCOMP_RET_TRACE],
      ['user-notify', SECCOMP_RET_USER_NOTIF],
      ['log', SECCOMP_RET_LOG],
      ['allow', SECCOMP_RET_ALLOW],
      ['1', SECCOMP_RET_ALLOW],
      ['0x1', SECCOMP_RET_ALLOW],
      ['01', SECCOMP_RET_ALLOW],
      ['kill', SECCOMP_RET_KILL_PROCESS],
      ['return 70000', SECCOMP_RET_ERRNO | 4464],
      ['return -1', SECCOMP_RET_ERRNO | 0xffff],
    ];
    for (const [text, value] of cases) expect([text, parseTest(`read: ${text}`).rules[0].filters[0].action.value]).toEqual([text, value]);
    expect(parseTest('read: kill', { useKillProcess: false }).rules[0].filters[0].action.value).toBe(SECCOMP_RET_KILL_THREAD);
  });

  it('keeps each filter of a brace list with its own action', () => {
    expect(shape(parseTest('read: { arg0 == 0, arg0 == 1; return ENOSYS, trap }'))[0].filters).toEqual([
      [[[[0, '==', 0n]]], SECCOMP_RET_ALLOW],
      [[[[0, '==', 1n]]], SECCOMP_RET_ERRNO | 38],
      [null, SECCOMP_RET_TRAP],
    ]);
  });

  it('reports bad actions', () => {
    expect(policyErrorOf(() => parseTest('read: return'))).toBe(block('test.policy(1:13): missing return value', 'read: return', 13));
    expect(detail('read: return arg0')).toBe('invalid constant');
    expect(detail('read: return NOPE|1')).toBe('invalid constant');
    expect(detail('read: return ENOSYS|1')).toBe('extra tokens');
    expect(detail('read: return (1)')).toBe('invalid constant');
    expect(detail('read: 0')).toBe('invalid action');
    expect(detail('read: 2')).toBe('invalid action');
    expect(detail('read: 0x10000000000000000')).toBe('unsigned overflow');
    expect(detail('read: arg0 == 1;')).toBe('missing action');
    expect(detail('read: { allow')).toBe('unclosed brace');
    expect(detail('read: {')).toBe('unclosed brace');
    expect(detail('read: {allow,')).toBe('unclosed brace');
    expect(detail('read: {}')).toBe('invalid action');
    expect(policyErrorOf(() => parseTest('read: { allow'))).toBe(block('test.policy(1:7): unclosed brace', 'read: { allow', 7));
  });

  it('takes any token as the value of return under --use-ret-log, unchecked', () => {
    expect(parseTest('read: return NOT_A_CONSTANT', { useRetLog: true }).rules[0].filters[0].action.value).toBe(SECCOMP_RET_LOG);
    expect(detail('read: return', { useRetLog: true })).toBe('missing return value');
  });

  it('accepts only return actions in denylist mode, and the implied allow of a bare expression', () => {
    const ir = parseTest('@denylist\nread: arg0 == 0; return ENOSYS\nwrite: arg0 == 1', { denylist: true });
    expect(shape(ir)[0].filters[0]).toEqual([[[[0, '==', 0n]]], SECCOMP_RET_ERRNO | 38]);
    expect(shape(ir)[1].filters[0][1]).toBe(SECCOMP_RET_ALLOW);
    expect(policyErrorOf(() => parseTest('@denylist\nread: allow', { denylist: true }))).toBe(
      block('test.policy(2:12): invalid denylist policy', 'read: allow', 12),
    );
  });
});

describe('filter statements', () => {
  it('names syscalls singly, in braces, by group and as kill', () => {
    expect(shape(parseTest('read: arg0 == 0')).map((rule) => [rule.name, rule.number])).toEqual([['read', 0]]);
    expect(shape(parseTest('{read, write}: arg0 == 0')).map((rule) => [rule.name, rule.number])).toEqual([
      ['read', 0],
      ['write', 1],
    ]);
    expect(parseTest('io@libc: arg0 == 0').rules.map((rule) => rule.name)).toEqual(['read', 'write']);
    expect(parseTest('file-io@systemd: arg0 == 0').rules.map((rule) => rule.name)).toEqual(['read', 'write']);
    expect(shape(parseTest('kill: arg0 == 0')).map((rule) => [rule.name, rule.number])).toEqual([['kill', 62]]);
  });

  it('shares one filter object among the syscalls of a statement', () => {
    const ir = parseTest('{read, write}: arg0 == 0; return 1');
    expect(ir.rules[0].filters[0]).toBe(ir.rules[1].filters[0]);
  });

  it('skips descriptors for other arches before looking their names up', () => {
    expect(parseTest('read[arch=test]: arg0 == 0').rules.map((rule) => rule.name)).toEqual(['read']);
    expect(parseTest('{read, nonexistent[arch=nonexistent]}: arg0 == 0').rules.map((rule) => rule.name)).toEqual(['read']);
    expect(parseTest('read[arch=other,test;foo=bar]: 1').rules.map((rule) => rule.name)).toEqual(['read']);
  });

  it('still parses and checks the filter of a statement dropped for another arch, but not its leftovers', () => {
    expect(detail('read[arch=other]: arg0 == NOPE')).toBe('invalid constant');
    expect(parseTest('read[arch=other]: allow junk').rules).toEqual([]);
    expect(detail('read[arch=test]: allow junk')).toBe('extra tokens');
  });

  it('reports bad statements', () => {
    expect(detail('{ read, write: arg0 == 0')).toBe('unclosed brace');
    expect(policyErrorOf(() => parseTest('read'))).toBe(block('test.policy(1:5): missing colon', 'read', 5));
    expect(policyErrorOf(() => parseTest('read arg0'))).toBe(block('test.policy(1:6): invalid colon', 'read arg0', 6, 4));
    expect(policyErrorOf(() => parseTest('read:'))).toBe(block('test.policy(1:6): missing filter', 'read:', 6));
    expect(detail(':')).toBe('invalid syscall descriptor');
    expect(detail('1: 1')).toBe('invalid syscall descriptor');
    expect(detail('{}: 1')).toBe('invalid syscall descriptor');
    expect(detail('{read,}: 1')).toBe('invalid syscall descriptor');
    expect(detail('allow: 1')).toBe('invalid syscall descriptor');
    expect(policyErrorOf(() => parseTest('nope: 1'))).toBe(block('test.policy(1:1): nonexistent syscall', 'nope: 1', 1, 4));
    expect(detail('a@b@c: 1')).toBe('invalid syscall group name');
    expect(detail('io@nope: 1')).toBe('nonexistent syscall group namespace');
    expect(detail('nope@libc: 1')).toBe('nonexistent syscall group');
  });

  it('reports bad metadata', () => {
    expect(detail('read[=x]: 1')).toBe('invalid key');
    expect(policyErrorOf(() => parseTest('read[arch'))).toBe(block('test.policy(1:10): missing equal', 'read[arch', 10));
    expect(detail('read[arch x]: 1')).toBe('invalid equal');
    expect(detail('read[arch=]: 1')).toBe('invalid value');
    expect(detail('read[arch=')).toBe('empty value');
    expect(detail('read[arch=a,')).toBe('empty value');
    expect(policyErrorOf(() => parseTest('read[arch=test;arch=x]: 1'))).toBe(
      block('test.policy(1:16): duplicate metadata key: "arch"', 'read[arch=test;arch=x]: 1', 16, 4),
    );
    expect(policyErrorOf(() => parseTest('read[arch=x: 1'))).toBe(block('test.policy(1:5): unclosed bracket', 'read[arch=x: 1', 5));
    expect(detail('read[]: 1')).toBe('invalid key');
  });

  it('points errors without a token past the end of the statement\'s last physical line', () => {
    expect(policyErrorOf(() => parseTest('read: \\\n#c\nallow'))).toBe(block('test.policy(2:3): missing filter', '#c', 3));
    expect(policyErrorOf(() => parseTest('read: arg0 == \\\n  1 ||'))).toBe(block('test.policy(2:7): empty argument expression', '  1 ||', 7));
  });
});

describe('parsePolicySyntax', () => {
  it('gives the statements as written, with locations, without an arch', () => {
    const statements = parsePolicySyntax('@include ./a.policy\n@frequency ./f\n@default trap\nnosuch: arg0 == UNKNOWN; return 1\n@denylist\n', 'p.policy');
    expect(statements.map((statement) => statement.kind)).toEqual(['include', 'frequency', 'default', 'filter', 'denylist']);
    const filter = statements[3];
    if (filter.kind !== 'filter') throw new Error('expected a filter statement');
    expect(filter.syscalls[0].name.text).toBe('nosuch');
    expect([filter.colon.line, filter.colon.column]).toEqual([4, 7]);
    expect(filter.filters[0].expression?.[0][0].argument.text).toBe('arg0');
  });

  it('throws the first syntax error, extra tokens included', () => {
    expect(policyErrorOf(() => parsePolicySyntax('read: allow\nwrite: allow allow\n', 'p.policy'))).toBe(
      block('p.policy(2:14): extra tokens', 'write: allow allow', 14, 5),
    );
    expect(policyErrorOf(() => parsePolicySyntax('@default allow', 'p.policy'))).toBe(
      block('p.policy(1:10): invalid permissive default action', '@default allow', 10, 5),
    );
  });
});
