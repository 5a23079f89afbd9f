/** Tokens and logical lines (policy-language.md §2, §12 items 1–5). */
import { describe, expect, it } from 'vitest';
import { PolicyLexer, physicalLines, tokenizePhysicalLine, tokenizeSingleLine } from '../../src/policy/lexer.js';
import { block, policyErrorOf } from './helpers.js';

const kinds = (text: string): string[] => tokenizePhysicalLine({ text, number: 1 }, '<memory>').map((token) => token.kind);
const texts = (text: string): string[] => tokenizePhysicalLine({ text, number: 1 }, '<memory>').map((token) => token.text);
const tokenError = (text: string): string => policyErrorOf(() => tokenizePhysicalLine({ text, number: 1 }, '<memory>'));
const logical = (text: string): string[][] => [...new PolicyLexer(text, 'f.policy').logicalLines()].map((line) => line.tokens.map((token) => token.text));

describe('tokens (parser_unittest)', () => {
  it('reads @include with absolute and ./ paths', () => {
    expect(kinds('@include /minijail.policy')).toEqual(['INCLUDE', 'PATH']);
    expect(texts('@include ./minijail.policy')).toEqual(['@include', './minijail.policy']);
  });

  it('reads a full filter line and drops the comment', () => {
    expect(kinds('read: arg0 in ~0xffff || arg0 & (1|2) && arg0 == 0755; return ENOSYS # ignored')).toEqual([
      'IDENTIFIER', 'COLON', 'ARGUMENT', 'OP', 'BITWISE_COMPLEMENT', 'NUMERIC_CONSTANT', 'OR', 'ARGUMENT', 'OP', 'LPAREN',
      'NUMERIC_CONSTANT', 'BITWISE_OR', 'NUMERIC_CONSTANT', 'RPAREN', 'AND', 'ARGUMENT', 'OP', 'NUMERIC_CONSTANT', 'SEMICOLON',
      'RETURN', 'IDENTIFIER',
    ]);
  });

  it('treats keywords as whole words only', () => {
    expect(kinds('inotify_wait return_sys killall trace_sys')).toEqual(['IDENTIFIER', 'IDENTIFIER', 'IDENTIFIER', 'IDENTIFIER']);
  });

  it('reports an invalid token with the exact three-line block', () => {
    expect(tokenError('%invalid-token%')).toBe(block('<memory>(1:1): invalid token', '%invalid-token%', 1));
  });
});

describe('token order and its consequences (§2)', () => {
  it('tries PATH before COMMENT', () => {
    expect(texts('@include ./a.policy#x')).toEqual(['@include', './a.policy#x']);
  });

  it('accepts only / and ./ paths', () => {
    expect(tokenError('@include ../x')).toBe(block('<memory>(1:10): invalid token', '@include ../x', 10));
    expect(texts('@include ./../x')).toEqual(['@include', './../x']);
  });

  it('splits numbers by trying hex, then octal, then decimal', () => {
    expect(texts('0778')).toEqual(['077', '8']);
    expect(texts('08 09 010 0X1F -12 0x')).toEqual(['08', '09', '010', '0X1F', '-12', '0', 'x']);
  });

  it('has no unary plus and no !', () => {
    expect(tokenError('+1')).toBe(block('<memory>(1:1): invalid token', '+1', 1));
    expect(tokenError('!(arg0 == 1)')).toBe(block('<memory>(1:1): invalid token', '!(arg0 == 1)', 1));
  });

  it('reads argN, identifiers with - and @, and splits action words followed by -', () => {
    expect(kinds('arg0x arg01 arg0')).toEqual(['IDENTIFIER', 'ARGUMENT', 'ARGUMENT']);
    expect(kinds('O_RDONLY-1 io@libc')).toEqual(['IDENTIFIER', 'IDENTIFIER']);
    expect(tokenError('kill-foo')).toBe(block('<memory>(1:5): invalid token', 'kill-foo', 5));
    expect(kinds('kill-process kill-thread kill user-notify')).toEqual(['ACTION', 'ACTION', 'ACTION', 'ACTION']);
  });

  it('takes @denylist only at the very end of the line', () => {
    expect(kinds('  @denylist')).toEqual(['DENYLIST']);
    expect(tokenError('@denylist ')).toBe(block('<memory>(1:1): invalid token', '@denylist ', 1));
    expect(tokenError('@denylist # x')).toBe(block('<memory>(1:1): invalid token', '@denylist # x', 1));
    expect(tokenError('@includex ./a')).toBe(block('<memory>(1:1): invalid token', '@includex ./a', 1));
  });

  it('spans the whole unmatched text, up to the next token', () => {
    expect(tokenError('read: $$$ allow')).toBe(block('<memory>(1:7): invalid token', 'read: $$$ allow', 7, 3));
  });

  it('counts columns in characters, as Python does, and uses Unicode word boundaries', () => {
    // The emoji is two UTF-16 units but one character.
    expect(tokenError('read: 😀😀 allow')).toBe(block('<memory>(1:7): invalid token', 'read: 😀😀 allow', 7, 2));
    expect(tokenError('@include ./😀 %')).toBe(block('<memory>(1:14): invalid token', '@include ./😀 %', 14));
    // `é` is a word character for Python's \b, so `@default` does not end at it.
    expect(tokenError('@defaulté')).toBe(block('<memory>(1:1): invalid token', '@defaulté', 1));
    // A non-breaking space is whitespace for Python; a BOM is not.
    expect(kinds('read:\u00a0allow')).toEqual(['IDENTIFIER', 'COLON', 'ACTION']);
    expect(tokenError('\ufeffread: allow')).toBe(block('<memory>(1:1): invalid token', '\ufeffread: allow', 1));
  });
});

describe('logical lines (§2.1)', () => {
  it('joins continuation lines and drops the backslash; a token cannot span lines', () => {
    expect(logical('read: \\\n  arg0 == 1 \\\n  || arg0 == 2\nwrite: allow\n')).toEqual([
      ['read', ':', 'arg0', '==', '1', '||', 'arg0', '==', '2'],
      ['write', ':', 'allow'],
    ]);
    expect(logical('read: al\\\nlow')).toEqual([['read', ':', 'al', 'low']]);
  });

  it('continues after a comment that ends in a backslash (Q3)', () => {
    expect(logical('read: # c \\\nallow')).toEqual([['read', ':', 'allow']]);
  });

  it('ends a continuation at a blank or comment-only line', () => {
    const lines = [...new PolicyLexer('read: \\\n#c\nallow\n', 'f.policy').logicalLines()];
    expect(lines.map((line) => line.tokens.map((token) => token.text))).toEqual([['read', ':'], ['allow']]);
    expect(lines[0].endLine).toEqual({ text: '#c', number: 2 });
  });

  it('drops a statement still continuing at the end of the file (Q4)', () => {
    expect(logical('read: allow\nwrite: allow \\')).toEqual([['read', ':', 'allow']]);
  });

  it('splits lines as Python text mode does: \\r\\n, \\r and \\n', () => {
    expect(physicalLines('a\r\nb\rc\nd\n')).toEqual([
      { text: 'a', number: 1 },
      { text: 'b', number: 2 },
      { text: 'c', number: 3 },
      { text: 'd', number: 4 },
    ]);
    expect(physicalLines('')).toEqual([]);
    expect(physicalLines('\n')).toEqual([{ text: '', number: 1 }]);
  });

  it('is lazy: a later invalid token is not reached before earlier statements are taken', () => {
    const lines = new PolicyLexer('read: allow\n%\n', 'f.policy').logicalLines();
    expect(lines.next().value?.tokens.length).toBe(3);
    expect(() => lines.next()).toThrow(/invalid token/);
  });

  it('reports the last line read once the file is done', () => {
    const lexer = new PolicyLexer('read: allow\n# end\n', 'f.policy');
    [...lexer.logicalLines()];
    expect(lexer.lastLine).toEqual({ text: '# end', number: 2 });
    expect(new PolicyLexer('', 'f.policy').lastLine).toEqual({ text: '', number: 0 });
  });

  it('tokenizes a command-line action as one line', () => {
    expect(tokenizeSingleLine('trap junk', '<memory>').tokens.map((token) => token.text)).toEqual(['trap', 'junk']);
    expect(tokenizeSingleLine('trap \\', '<memory>').tokens).toEqual([]);
  });
});
