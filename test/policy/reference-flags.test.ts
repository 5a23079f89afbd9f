/** The conformance tests' reading of cases.tsv flags (shell words) into compile options. */
import { describe, expect, it } from 'vitest';
import { optionsFromReferenceFlags, shellWords } from './reference-flags.js';

describe('shellWords', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    expect(shellWords('')).toEqual([]);
    expect(shellWords('  --denylist   --use-ret-log ')).toEqual(['--denylist', '--use-ret-log']);
    expect(shellWords(`--default-action 'return EPERM'`)).toEqual(['--default-action', 'return EPERM']);
    expect(shellWords('--default-action "trap  junk" a\\ b x""y')).toEqual(['--default-action', 'trap  junk', 'a b', 'xy']);
    expect(() => shellWords("'open")).toThrow(/unterminated/);
  });
});

describe('optionsFromReferenceFlags', () => {
  it('maps every flag the corpus uses', () => {
    expect(
      optionsFromReferenceFlags([
        '--default-action', 'return 1', '--use-kill-process', '--use-ret-log', '--denylist', '--optimization-strategy', 'linear', '--include-depth-limit', '100',
      ]),
    ).toEqual({ defaultAction: 'return 1', useKillProcess: true, useRetLog: true, denylist: true, strategy: 'linear', includeDepthLimit: 100 });
    expect(() => optionsFromReferenceFlags(['--arch-json'])).toThrow(/not handled/);
  });
});
