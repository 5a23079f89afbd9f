/**
 * Frequency files (policy-language.md §4.7): `syscall : COUNT` lines whose
 * counts only shape the syscall-number dispatch, never any decision.
 */
import type { ArchTable } from '../arch/types.js';
import { MESSAGES } from './error-messages.js';
import { PolicyLexer, type Token } from './lexer.js';
import { parseFrequencyEntry, type ParseChecks } from './parser.js';
import { errorAtToken } from './report.js';
import { expandSyscallDescriptor } from './syscall-descriptors.js';
import { singleConstantValue } from './values.js';

/**
 * A count, read with Python's `int(text, 0)` as the reference does: hex or
 * decimal, and zero; negative counts are `invalid number`. A decimal with a
 * leading zero (`010`, `08`) crashes the reference with a ValueError; here it
 * is `invalid number` too (docs/divergences.md).
 */
export function frequencyCount(token: Token): number {
  const negative = token.text.startsWith('-');
  const body = negative ? token.text.slice(1) : token.text;
  let value: bigint;
  if (/^0[xX]/.test(body)) value = BigInt(`0x${body.slice(2)}`);
  else if (/^0+$/.test(body)) value = 0n;
  else if (body.startsWith('0')) throw errorAtToken(MESSAGES.invalidNumber, token);
  else value = BigInt(body);
  if (negative && value !== 0n) throw errorAtToken(MESSAGES.invalidNumber, token);
  return saturatingCount(value);
}

/**
 * Counts only weigh the dispatch search, which works on exact JavaScript
 * numbers; counts beyond 2^53 - 1 (the reference takes any Python integer)
 * are capped there (docs/divergences.md).
 */
const saturatingCount = (value: bigint): number => (value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value));

/** a + b, capped like a single count. */
export const addCounts = (a: number, b: number): number => Math.min(a + b, Number.MAX_SAFE_INTEGER);

/** Counts per syscall name, summed over the file's lines (groups count for each member). */
export function parseFrequencyText(text: string, file: string, arch: ArchTable): Map<string, number> {
  const checks: ParseChecks = {
    denylist: false,
    retLog: false,
    constant: (token) => void singleConstantValue(token, arch),
    syscallDescriptor: (descriptor) => void expandSyscallDescriptor(descriptor, arch),
  };
  const counts = new Map<string, number>();
  for (const line of new PolicyLexer(text, file).logicalLines()) {
    const entry = parseFrequencyEntry(line, checks);
    const count = frequencyCount(entry.count);
    for (const syscall of expandSyscallDescriptor(entry.syscall, arch)) {
      counts.set(syscall.name, addCounts(counts.get(syscall.name) ?? 0, count));
    }
  }
  return counts;
}
