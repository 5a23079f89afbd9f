/** Constants and value expressions (policy-language.md §4.1, §12 items 6–21). */
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../src/policy/errors.js';
import { parseNumericLiteral } from '../../src/policy/values.js';
import { block, parseTest, policyErrorOf, testArch } from './helpers.js';

const MAX64 = (1n << 64n) - 1n;

/** The value of `arg0 == TEXT` on the unit-test arch (64-bit unless said otherwise). */
function valueOf(text: string, bits: 32 | 64 = 64): bigint {
  const ir = parseTest(`read: arg0 == ${text}`, { arch: testArch(bits) });
  const expression = ir.rules[0].filters[0].expression;
  if (expression === null) throw new Error('expected an expression');
  return expression[0][0].value;
}

/** The error message (without location) `arg0 == TEXT` gives. */
function errorOf(text: string, bits: 32 | 64 = 64): string {
  try {
    valueOf(text, bits);
  } catch (error) {
    if (error instanceof PolicyError) return error.detail;
    throw error;
  }
  return 'accepted';
}

describe('numbers', () => {
  it('takes the radix from the form, like C', () => {
    expect(parseNumericLiteral('0x1F')).toBe(31n);
    expect(parseNumericLiteral('0X1f')).toBe(31n);
    expect(parseNumericLiteral('010')).toBe(8n);
    expect(parseNumericLiteral('08')).toBe(8n);
    expect(parseNumericLiteral('0')).toBe(0n);
    expect(parseNumericLiteral('-0x10')).toBe(-16n);
    expect(parseNumericLiteral('-017')).toBe(-15n);
  });

  it('range-checks against the word width and keeps the unsigned form', () => {
    expect(valueOf('0x80000000')).toBe(0x80000000n);
    expect(valueOf('0x8000000000000000')).toBe(0x8000000000000000n);
    expect(errorOf('0x10000000000000000')).toBe('unsigned overflow');
    expect(errorOf('0x100000000', 32)).toBe('unsigned overflow');
    expect(valueOf('-1')).toBe(MAX64);
    expect(valueOf('-1', 32)).toBe(0xffffffffn);
    expect(errorOf('-0x8000000000000001')).toBe('signed underflow');
    expect(errorOf('-0x800000001', 32)).toBe('signed underflow');
    expect(valueOf('-0x8000000000000000')).toBe(0x8000000000000000n);
  });
});

describe('value expressions (parser_unittest)', () => {
  it('ORs constants', () => {
    expect(valueOf('0x1|0x2|0x4|0x8')).toBe(0xfn);
  });

  it('rejects malformed parentheses and ORs', () => {
    expect(errorOf('(1')).toBe('unclosed parenthesis');
    expect(errorOf('|(1)')).toBe('invalid constant');
    expect(errorOf('(1)|')).toBe('empty constant');
    expect(errorOf('()')).toBe('invalid constant');
    expect(errorOf('(')).toBe('empty constant');
    expect(errorOf('((')).toBe('empty constant');
    expect(errorOf('(()')).toBe('invalid constant');
    expect(errorOf('(()1')).toBe('invalid constant');
  });

  it('parses a prefix and leaves the rest, which is then extra', () => {
    expect(errorOf('1)')).toBe('extra tokens');
    expect(errorOf('(1)1')).toBe('extra tokens');
    expect(errorOf('1(0)')).toBe('extra tokens');
    expect(policyErrorOf(() => valueOf('(1)1'))).toBe(block('test.policy(1:18): extra tokens', 'read: arg0 == (1)1', 18));
  });

  it('evaluates parentheses', () => {
    for (const text of ['(3)', '(1)|2', '1|(2)', '(1)|(2)', '((3))', '0|(1|2)', '(0|1|2)']) expect(valueOf(text)).toBe(3n);
  });

  it('complements within the word width, binding tighter than |', () => {
    expect(valueOf('~0')).toBe(MAX64);
    expect(valueOf('~0|~0')).toBe(MAX64);
    expect(valueOf('~0x00005A5AF0F0FFFF|~0xFFFFA5A50F0FFFFF')).toBe(0xffffffffffff0000n);
    expect(valueOf('0x00FF|~(0x00005A5AF0F00000|0x0000A5A50F0FFFFF)|0xFF00')).toBe(0xffff00000000ffffn);
    expect(valueOf('~0x005AF0FF|~0xFFA50FFF', 32)).toBe(0xffffff00n);
    expect(valueOf('0x0F|~(0x005AF000|0x00A50FFF)|0xF0', 32)).toBe(0xff0000ffn);
    expect(valueOf('~ 1')).toBe(MAX64 - 1n);
    expect(valueOf('~(~1)')).toBe(1n);
  });

  it('rejects a double complement and a dangling one', () => {
    expect(errorOf('~~0')).toBe('invalid double complement');
    expect(errorOf('0|~')).toBe('empty complement');
  });

  it('range-checks each literal before ~ applies (Q18)', () => {
    expect(errorOf('~0x100000000', 32)).toBe('unsigned overflow');
  });

  it('looks up named constants and reduces negative ones to the word', () => {
    expect(valueOf('O_RDONLY')).toBe(0n);
    expect(valueOf('PROT_EXEC|PROT_WRITE')).toBe(6n);
    expect(errorOf('foo')).toBe('invalid constant');
    const arch = { ...testArch(), constants: new Map([['MAP_HUGE_16GB', -2013265920n]]) };
    const ir = parseTest('read: arg0 == MAP_HUGE_16GB', { arch });
    expect(ir.rules[0].filters[0].expression?.[0][0].value).toBe(0xffffffff88000000n);
  });

  it('needs a constant after the operator', () => {
    expect(errorOf('')).toBe('empty constant');
    expect(errorOf('0|')).toBe('empty constant');
  });

  it('refuses absurdly deep parentheses with a located error instead of exhausting the stack', () => {
    const deep = `${'('.repeat(5000)}1${')'.repeat(5000)}`;
    expect(errorOf(deep)).toBe('parentheses nested too deep');
    expect(valueOf(`${'('.repeat(150)}1${')'.repeat(150)}`)).toBe(1n);
  });
});
