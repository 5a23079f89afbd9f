/**
 * Constants and value expressions (policy-language.md §4.1): numbers in C
 * radix forms, named constants from the arch table, `|`, `~` and
 * parentheses, reduced to the arch's word width.
 */
import type { ArchTable } from '../arch/types.js';
import { MESSAGES } from './error-messages.js';
import type { Token } from './lexer.js';
import { errorAtToken } from './report.js';
import type { ConstantSyntax, ValueSyntax } from './syntax.js';

/**
 * A NUMERIC_CONSTANT token's value. The radix comes from the form, as in C:
 * `0x…` hex, `0…` octal, anything else decimal (so `08` is eight, `010` is
 * eight too). A leading `-` negates.
 */
export function parseNumericLiteral(text: string): bigint {
  const negative = text.startsWith('-');
  const body = negative ? text.slice(1) : text;
  let magnitude: bigint;
  if (/^0[xX][0-9a-fA-F]+$/.test(body)) magnitude = BigInt(`0x${body.slice(2)}`);
  else if (/^0[0-7]+$/.test(body)) magnitude = BigInt(`0o${body.slice(1)}`);
  else magnitude = BigInt(body);
  return negative ? -magnitude : magnitude;
}

/** The largest unsigned value of the arch's word. */
export const wordMask = (arch: Pick<ArchTable, 'bits'>): bigint => (1n << BigInt(arch.bits)) - 1n;

/**
 * One named or numeric constant, range-checked against the word width and
 * turned into its unsigned W-bit form. Throws `invalid constant`,
 * `unsigned overflow` or `signed underflow` at the token.
 */
export function singleConstantValue(token: Token, arch: Pick<ArchTable, 'bits' | 'constants'>): bigint {
  let value: bigint;
  if (token.kind === 'IDENTIFIER') {
    const named = arch.constants.get(token.text);
    if (named === undefined) throw errorAtToken(MESSAGES.invalidConstant, token);
    value = named;
  } else if (token.kind === 'NUMERIC_CONSTANT') {
    value = parseNumericLiteral(token.text);
  } else {
    throw errorAtToken(MESSAGES.invalidConstant, token);
  }
  const max = wordMask(arch);
  const min = -(1n << BigInt(arch.bits - 1));
  if (value > max) throw errorAtToken(MESSAGES.unsignedOverflow, token);
  if (value < min) throw errorAtToken(MESSAGES.signedUnderflow, token);
  return value < 0n ? value & max : value;
}

function constantValue(constant: ConstantSyntax, arch: Pick<ArchTable, 'bits' | 'constants'>): bigint {
  const operand =
    constant.operand.kind === 'single' ? singleConstantValue(constant.operand.token, arch) : evaluateValue(constant.operand.value, arch);
  // `~` applies after the range check of what it complements (Q18).
  return constant.complement === null ? operand : ~operand & wordMask(arch);
}

/** `a | b | ...`; the OR of in-range words is not checked again. */
export function evaluateValue(value: ValueSyntax, arch: Pick<ArchTable, 'bits' | 'constants'>): bigint {
  let result = 0n;
  for (const term of value.terms) result |= constantValue(term, arch);
  return result;
}
