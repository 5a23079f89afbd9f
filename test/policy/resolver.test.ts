/**
 * Whole policies: includes, frequencies, merging, defaults, denylist mode
 * (policy-language.md §4, §12 items 45–60), and where jail-run gives a clean
 * error in place of the reference's crash.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRAP,
} from '../../src/bpf/instruction.js';
import { PolicyError } from '../../src/policy/errors.js';
import { parsePolicyFile, PolicyFileError } from '../../src/policy/index.js';
import type { PolicyIR } from '../../src/policy/ir.js';
import { pythonNormpath, resolveIncludedPath } from '../../src/policy/resolver.js';
import { block, memoryFiles, parseTest, policyErrorOf, testArch } from './helpers.js';

const actions = (ir: PolicyIR, name: string): number[] => {
  const rule = ir.rules.find((candidate) => candidate.name === name);
  if (!rule) throw new Error(`no rule for ${name}`);
  return rule.filters.map((filter) => filter.action.value);
};

describe('whole files (parser_unittest)', () => {
  it('gives each listed syscall frequency 1 and its filters, default kill action', () => {
    for (const text of ['# comment\nread: allow\nwrite: allow\n', '# comment\nread: \\\n  allow\nwrite: allow\n']) {
      const ir = parseTest(text);
      expect(ir.defaultAction.value).toBe(SECCOMP_RET_KILL_PROCESS);
      expect(ir.rules.map((rule) => [rule.name, rule.frequency, rule.plainlyAllowed])).toEqual([
        ['read', 1, true],
        ['write', 1, true],
      ]);
      expect(actions(ir, 'read')).toEqual([SECCOMP_RET_ALLOW]);
    }
  });

  it('takes @default, and refuses permissive ones', () => {
    expect(parseTest('@default kill-thread\nread: allow').defaultAction.value).toBe(SECCOMP_RET_KILL_THREAD);
    expect(policyErrorOf(() => parseTest('@default log'))).toBe(block('test.policy(1:10): invalid permissive default action', '@default log', 10, 3));
    expect(policyErrorOf(() => parseTest('@default return 1'))).toBe(block('test.policy(1:10): invalid default action', '@default return 1', 10, 6));
    expect(policyErrorOf(() => parseTest('@default'))).toBe(block('test.policy(1:9): empty action', '@default', 9));
    expect(policyErrorOf(() => parseTest('@default trap trap'))).toBe(block('test.policy(1:15): extra tokens', '@default trap trap', 15, 4));
  });

  it('expands brace lists and drops other arches', () => {
    const ir = parseTest('{read, write}: allow');
    expect(ir.rules.map((rule) => [rule.name, actions(ir, rule.name)])).toEqual([
      ['read', [SECCOMP_RET_ALLOW]],
      ['write', [SECCOMP_RET_ALLOW]],
    ]);
    expect(parseTest('read[arch=nonexistent]: allow\nwrite: allow').rules.map((rule) => rule.name)).toEqual(['write']);
  });

  it('merges statements across includes, appending the default to conditional-only lists', () => {
    const ir = parseTest('@include ./test.include.policy\nread: return ENOSYS\n', {}, {
      'test.include.policy': '{read, write}: arg0 == 0; allow\n',
    });
    expect(actions(ir, 'read')).toEqual([SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 38]);
    expect(actions(ir, 'write')).toEqual([SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS]);
    expect(ir.rules.find((rule) => rule.name === 'write')?.filters[1].action).toBe(ir.defaultAction);
  });

  it('reports bad include lines', () => {
    expect(policyErrorOf(() => parseTest('@include'))).toBe(block('test.policy(1:9): empty include path', '@include', 9));
    expect(policyErrorOf(() => parseTest('@include arg0'))).toBe(block('test.policy(1:10): invalid include path', '@include arg0', 10, 4));
    expect(policyErrorOf(() => parseTest('@include ./test.policy', {}, { 'test.policy': '@include ./test.policy' }))).toBe(
      block('test.policy(1:23): @include statement nested too deep', '@include ./test.policy', 23),
    );
    expect(policyErrorOf(() => parseTest('@include ./nonexistent.policy'))).toBe(
      block('test.policy(1:10): Could not @include nonexistent.policy', '@include ./nonexistent.policy', 10, 20),
    );
  });

  it('reads frequencies; syscalls not in the policy are ignored', () => {
    const ir = parseTest('@frequency ./test.frequency\nread: allow\n', {}, { 'test.frequency': 'read: 2\nwrite: 3\n' });
    expect(ir.rules.map((rule) => [rule.name, rule.frequency])).toEqual([['read', 2]]);
  });

  it('reports bad frequency files and statements', () => {
    const frequencyError = (contents: string): string =>
      policyErrorOf(() => parseTest('@frequency ./test.frequency\nread: allow', {}, { 'test.frequency': contents }));
    expect(frequencyError('read')).toBe(block('test.frequency(1:5): missing colon', 'read', 5));
    expect(frequencyError('read foo')).toBe(block('test.frequency(1:6): invalid colon', 'read foo', 6, 3));
    expect(frequencyError('read:')).toBe(block('test.frequency(1:6): missing number', 'read:', 6));
    expect(frequencyError('read: foo')).toBe(block('test.frequency(1:7): invalid number', 'read: foo', 7, 3));
    expect(frequencyError('read: -1')).toBe(block('test.frequency(1:7): invalid number', 'read: -1', 7, 2));
    expect(frequencyError('{read, write}: 1')).toBe(block('test.frequency(1:1): invalid syscall descriptor', '{read, write}: 1', 1));
    expect(frequencyError('nope: 1')).toBe(block('test.frequency(1:1): nonexistent syscall', 'nope: 1', 1, 4));
    expect(policyErrorOf(() => parseTest('@frequency'))).toBe(block('test.policy(1:11): empty frequency path', '@frequency', 11));
    expect(policyErrorOf(() => parseTest('@frequency arg0'))).toBe(block('test.policy(1:12): invalid frequency path', '@frequency arg0', 12, 4));
    expect(policyErrorOf(() => parseTest('@frequency ./missing'))).toBe(
      block('test.policy(1:12): Could not open frequency file missing', '@frequency ./missing', 12, 9),
    );
  });

  it('refuses a second unconditional action, pointing at it and chaining the first', () => {
    const text = '\n            read: allow\n            read: allow\n';
    let error: unknown;
    try {
      parseTest(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).format()).toBe(
      block('test.policy(3:17): Syscall read (number 0) already had an unconditional action applied', '            read: allow', 17),
    );
    expect(((error as Error).cause as PolicyError).format()).toBe(
      block('test.policy(2:17): Previous definition', '            read: allow', 17),
    );
    expect(policyErrorOf(() => parseTest('\n            read: log\n            read: arg0 == 0; log\n'))).toMatch(
      /^test\.policy\(3:17\): Syscall read \(number 0\) already had an unconditional action applied/,
    );
    expect(policyErrorOf(() => parseTest('read: {allow, arg0 == 1}'))).toMatch(/^test\.policy\(1:5\): Syscall read/);
  });

  it('refuses @denylist without the flag', () => {
    expect(policyErrorOf(() => parseTest('@denylist\nread: return 1'))).toBe(
      block('test.policy(1:10): policy is denylist, but flag --denylist not passed in.', '@denylist', 10),
    );
  });

  it('compiles denylist files: default allow, return per syscall, failed expressions allowed', () => {
    let ir = parseTest('@denylist\nread: return ENOSYS\nwrite: return ENOSYS\n', { denylist: true });
    expect(ir.defaultAction.value).toBe(SECCOMP_RET_ALLOW);
    expect(ir.denylist).toBe(true);
    expect(actions(ir, 'read')).toEqual([SECCOMP_RET_ERRNO | 38]);
    ir = parseTest('@denylist\nread: return ENOSYS\nwrite: arg0 == 0 ; return ENOSYS\n', { denylist: true });
    expect(actions(ir, 'write')).toEqual([SECCOMP_RET_ERRNO | 38, SECCOMP_RET_ALLOW]);
    expect(ir.rules.every((rule) => !rule.plainlyAllowed)).toBe(true);
    expect(policyErrorOf(() => parseTest('read: return ENOSYS\n', { denylist: true }))).toBe(
      block('test.policy(1:20): policy must contain @denylist flag to be compiled with --denylist flag.', 'read: return ENOSYS', 20),
    );
  });
});

describe('merging and allow elision (§4.4)', () => {
  it('concatenates filter lists in source order; syscalls keep their first appearance', () => {
    const ir = parseTest('write: arg0 == 1\nread: arg0 == 1\nwrite: arg1 == 2; return 5\nwrite: trap');
    expect(ir.rules.map((rule) => rule.name)).toEqual(['write', 'read']);
    expect(actions(ir, 'write')).toEqual([SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | 5, SECCOMP_RET_TRAP]);
  });

  it('accepts a conditional filter before an unconditional one, in either statement', () => {
    expect(actions(parseTest('read: arg0 == 1\nread: allow'), 'read')).toEqual([SECCOMP_RET_ALLOW, SECCOMP_RET_ALLOW]);
  });

  it('merges a syscall named twice in one list, sharing its filter', () => {
    const ir = parseTest('{read, read}: arg0 == 1');
    expect(ir.rules).toHaveLength(1);
    expect(ir.rules[0].filters[0]).toBe(ir.rules[0].filters[1]);
    expect(policyErrorOf(() => parseTest('{read, read}: allow'))).toMatch(/^test\.policy\(1:13\): Syscall read \(number 0\) already had/);
  });

  it('elides every filter of a syscall whose final action is allow (Q1), except in denylist mode', () => {
    expect(parseTest('read: {arg0 == 0; return 1, allow}').rules[0].plainlyAllowed).toBe(true);
    expect(parseTest('read: arg0 == 0; return 1\nread: 1').rules[0].plainlyAllowed).toBe(true);
    expect(parseTest('read: arg0 == 1; return 5', { defaultAction: 'allow' }).rules[0].plainlyAllowed).toBe(true);
    expect(parseTest('read: arg0 == 1; return 5').rules[0].plainlyAllowed).toBe(false);
  });

  it('shares the kill action object between `kill` and the default, and makes a new object per written action', () => {
    const ir = parseTest('read: {arg0 == 1; kill, arg0 == 2; trap, arg0 == 3; trap}');
    const [first, second, third, last] = ir.rules[0].filters;
    expect(first.action).toBe(ir.killAction);
    expect(last.action).toBe(ir.defaultAction);
    expect(ir.defaultAction).toBe(ir.killAction);
    expect(second.action).not.toBe(third.action);
    expect(second.action.location).toEqual({ file: 'test.policy', line: 1, column: 36 });
  });
});

describe('default and kill actions (§4.3, §4.6)', () => {
  it('lets the last @default anywhere apply to the whole policy', () => {
    const ir = parseTest('read: arg0 == 1\n@default trap\n@include ./b.policy', {}, { 'b.policy': '@default user-notify\n' });
    expect(ir.defaultAction.value).toBe(0x7fc00000);
    expect(ir.rules[0].filters[1].action).toBe(ir.defaultAction);
  });

  it('lets --default-action override @default; kill there means kill-process (Q5), trailing tokens are ignored (Q6)', () => {
    expect(parseTest('@default trap\nread: arg0 == 1', { defaultAction: 'log' }).defaultAction.value).toBe(SECCOMP_RET_LOG);
    const ir = parseTest('read: arg0 == 1', { defaultAction: 'kill', useKillProcess: false });
    expect(ir.defaultAction.value).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(ir.killAction.value).toBe(SECCOMP_RET_KILL_THREAD);
    expect(parseTest('read: allow', { defaultAction: 'trap junk' }).defaultAction.value).toBe(SECCOMP_RET_TRAP);
    expect(parseTest('read: allow', { defaultAction: 'return EPERM' }).defaultAction.value).toBe(SECCOMP_RET_ERRNO | 1);
    expect(parseTest('read: allow', { defaultAction: '1' }).defaultAction.value).toBe(SECCOMP_RET_ALLOW);
  });

  it('reports a bad --default-action against <memory>, before the policy', () => {
    expect(policyErrorOf(() => parseTest('%', { defaultAction: 'bogus' }))).toBe(block('<memory>(1:1): invalid action', 'bogus', 1, 5));
    // Errors with no token come from the reference parser's fresh state: line 0, no source line.
    expect(policyErrorOf(() => parseTest('', { defaultAction: 'return' }))).toBe(block('<memory>(0:1): missing return value', '', 1));
    expect(policyErrorOf(() => parseTest('', { defaultAction: 'return NOPE' }))).toBe(block('<memory>(1:8): invalid constant', 'return NOPE', 8, 4));
  });

  it('reports an empty --default-action as a missing action (the reference crashes)', () => {
    expect(policyErrorOf(() => parseTest('', { defaultAction: '  ' }))).toBe(block('<memory>(0:1): missing action', '', 1));
  });

  it('picks the kill action: --use-ret-log, then --denylist, then --use-kill-process', () => {
    expect(parseTest('@denylist', { useRetLog: true, denylist: true }).killAction.value).toBe(SECCOMP_RET_LOG);
    expect(parseTest('@denylist', { denylist: true, useKillProcess: true }).killAction.value).toBe(SECCOMP_RET_ERRNO | 1);
    expect(parseTest('', { useKillProcess: true }).killAction.value).toBe(SECCOMP_RET_KILL_PROCESS);
    expect(parseTest('', { useKillProcess: false }).killAction.value).toBe(SECCOMP_RET_KILL_THREAD);
    expect(actions(parseTest('read: return 1', { useRetLog: true }), 'read')).toEqual([SECCOMP_RET_LOG]);
  });

  it('refuses --denylist on an arch without EPERM instead of crashing', () => {
    const arch = { ...testArch(), constants: new Map<string, bigint>() };
    expect(policyErrorOf(() => parseTest('@denylist', { denylist: true, arch }))).toBe(
      block('test.policy(1:1): the arch has no EPERM constant, which --denylist needs for its kill action', '', 1),
    );
  });
});

describe('includes (§4.5)', () => {
  it('resolves paths against the including file, normalized', () => {
    const files = { 'sub/a.policy': '@include ./../x.policy\n@include ./b.policy', 'x.policy': 'read: allow', 'sub/b.policy': 'write: allow', '/abs/c.policy': 'close: allow' };
    const ir = parseTest('@include ./sub/a.policy\n@include /abs/c.policy', {}, files);
    expect(ir.rules.map((rule) => rule.name)).toEqual(['read', 'write', 'close']);
    expect(policyErrorOf(() => parseTest('@include ./sub/a.policy', {}, { 'sub/a.policy': 'read: nope' }))).toBe(
      block('sub/a.policy(1:7): invalid action', 'read: nope', 7, 4),
    );
  });

  it('allows the top-level file plus 8 nested levels by default, and enforces a given limit', () => {
    const chain = (levels: number): Record<string, string> => {
      const files: Record<string, string> = {};
      for (let level = 1; level <= levels; level++) files[`l${level}.policy`] = level < levels ? `@include ./l${level + 1}.policy` : 'read: allow';
      return files;
    };
    expect(parseTest('@include ./l1.policy', {}, chain(8)).rules).toHaveLength(1);
    expect(policyErrorOf(() => parseTest('@include ./l1.policy', {}, chain(9)))).toBe(
      block('l8.policy(1:21): @include statement nested too deep', '@include ./l9.policy', 21),
    );
    expect(policyErrorOf(() => parseTest('@include ./l1.policy', { includeDepthLimit: 5 }, chain(9)))).toMatch(/^l3\.policy\(1:21\): @include statement nested too deep/);
    expect(parseTest('@include ./l1.policy', { includeDepthLimit: 100 }, chain(30)).rules).toHaveLength(1);
    expect(() => parseTest('', { includeDepthLimit: 0 })).toThrow(RangeError);
  });

  it('stops endless inclusion under a huge limit as the reference stops at its recursion limit', () => {
    expect(policyErrorOf(() => parseTest('@include ./test.policy', { includeDepthLimit: 1_000_000 }, { 'test.policy': '@include ./test.policy' }))).toBe(
      block('test.policy(1:1): recursion limit exceeded', '', 1),
    );
  });

  it('processes an included file completely before the rest of the @include line', () => {
    expect(policyErrorOf(() => parseTest('@include ./a.policy junk', {}, { 'a.policy': 'read: nope' }))).toMatch(/^a\.policy\(1:7\): invalid action/);
    expect(policyErrorOf(() => parseTest('@include ./a.policy junk', {}, { 'a.policy': 'read: allow' }))).toBe(
      block('test.policy(1:21): extra tokens', '@include ./a.policy junk', 21, 4),
    );
  });

  it('merges a file included twice, so a repeated unconditional filter is an error', () => {
    expect(actions(parseTest('@include ./a.policy\n@include ./a.policy', {}, { 'a.policy': 'read: arg0 == 1' }), 'read')).toHaveLength(3);
    expect(policyErrorOf(() => parseTest('@include ./a.policy\n@include ./a.policy', {}, { 'a.policy': 'read: allow' }))).toMatch(
      /^a\.policy\(1:5\): Syscall read \(number 0\) already had an unconditional action applied/,
    );
  });

  it('needs @denylist in every file under --denylist, checked at the end of each', () => {
    expect(policyErrorOf(() => parseTest('@denylist\n@include ./a.policy', { denylist: true }, { 'a.policy': 'read: return 1\n# end\n' }))).toBe(
      block('a.policy(2:6): policy must contain @denylist flag to be compiled with --denylist flag.', '# end', 6),
    );
    expect(policyErrorOf(() => parseTest('@denylist\n@include ./a.policy', { denylist: true }, { 'a.policy': '' }))).toBe(
      block('a.policy(0:1): policy must contain @denylist flag to be compiled with --denylist flag.', '', 1),
    );
  });

  it('reports errors in reading order: a statement before a later invalid token', () => {
    expect(policyErrorOf(() => parseTest('read: nope\n%\n'))).toMatch(/^test\.policy\(1:7\): invalid action/);
  });
});

describe('frequencies (§4.7)', () => {
  const withFrequencies = (contents: string, policy = 'read: allow\nwrite: allow\nclose: allow\n'): PolicyIR =>
    parseTest(`@frequency ./f\n${policy}`, {}, { f: contents });

  it('adds counts across lines, groups and statements; unnamed syscalls count 1, and 0 is kept', () => {
    const ir = parseTest('@frequency ./f\n@frequency ./g\nread: allow\nwrite: allow\nclose: allow', {}, { f: 'read: 2\nio@libc: 3\n', g: 'read: 0x10\nclose: 0' });
    expect(ir.rules.map((rule) => [rule.name, rule.frequency])).toEqual([
      ['read', 21],
      ['write', 3],
      ['close', 0],
    ]);
  });

  it('ignores tokens after the count and honours metadata', () => {
    const ir = withFrequencies('read: 5 whatever ; here\nwrite[arch=other]: 7\n');
    expect(ir.rules.map((rule) => rule.frequency)).toEqual([5, 1, 1]);
  });

  it('refuses a count with a leading zero as an invalid number (the reference crashes, Q7)', () => {
    expect(policyErrorOf(() => withFrequencies('read: 010'))).toBe(block('f(1:7): invalid number', 'read: 010', 7, 3));
    expect(policyErrorOf(() => withFrequencies('read: 08'))).toBe(block('f(1:7): invalid number', 'read: 08', 7, 2));
    expect(withFrequencies('read: 00').rules[0].frequency).toBe(0);
  });

  it('refuses a group member the arch lacks (the reference: KeyError)', () => {
    const base = testArch();
    const arch = { ...base, syscallGroups: new Map([['libc', new Map([['io', ['read', 'missing_call']]])]]) };
    expect(policyErrorOf(() => parseTest('io@libc: allow', { arch }))).toBe(
      block('test.policy(1:1): nonexistent syscall "missing_call" in syscall group io@libc', 'io@libc: allow', 1, 7),
    );
  });
});

describe('parsePolicyFile', () => {
  it('reads the top-level file as named and its includes beside it', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'jail-run-policy-'));
    try {
      writeFileSync(path.join(folder, 'main.policy'), '@include ./part.policy\nwrite: allow\n');
      writeFileSync(path.join(folder, 'part.policy'), 'read: arg0 == 1\n');
      const ir = parsePolicyFile(path.join(folder, 'main.policy'), { arch: testArch() });
      expect(ir.file).toBe(path.join(folder, 'main.policy'));
      expect(ir.rules.map((rule) => rule.name)).toEqual(['read', 'write']);
      expect(ir.rules[0].filters[0].expression?.[0][0].location.file).toBe(path.join(folder, 'part.policy'));
      expect(() => parsePolicyFile(path.join(folder, 'absent.policy'), { arch: testArch() })).toThrow(PolicyFileError);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reads through an injected readFile', () => {
    const ir = parsePolicyFile('virtual/top.policy', { arch: testArch(), readFile: memoryFiles({ 'virtual/top.policy': 'read: allow' }) });
    expect(ir.rules[0].name).toBe('read');
  });
});

describe('include path normalization', () => {
  it('matches Python os.path.normpath, as the reference names files', () => {
    expect(pythonNormpath('//a/b')).toBe('//a/b');
    expect(pythonNormpath('///a')).toBe('/a');
    expect(pythonNormpath('dir/')).toBe('dir');
    expect(pythonNormpath('a/..')).toBe('.');
    expect(pythonNormpath('/')).toBe('/');
    expect(resolveIncludedPath('e19_self.policy', './e19_self.policy')).toBe('e19_self.policy');
    expect(resolveIncludedPath('sub/a.policy', './../../x.policy')).toBe('../x.policy');
    expect(resolveIncludedPath('/etc/p/a.policy', '/abs/./x/')).toBe('/abs/x');
  });
});
