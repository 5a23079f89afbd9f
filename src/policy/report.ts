/**
 * Building PolicyErrors the way the reference reports them (§6.1): either at
 * a token (its line, column and length), or one column past the end of a
 * physical line when no token is involved.
 */
import { PolicyError } from './errors.js';
import type { PhysicalLine, Token } from './lexer.js';

const codePointLength = (text: string): number => [...text].length;

export function errorAtToken(message: string, token: Token): PolicyError {
  return new PolicyError(
    message,
    { file: token.file, line: token.line, column: token.column },
    token.sourceLine,
    codePointLength(token.text),
  );
}

export function errorAfterLine(message: string, file: string, line: PhysicalLine): PolicyError {
  return new PolicyError(message, { file, line: line.number, column: codePointLength(line.text) + 1 }, line.text, 1);
}

/** The reference's `recursion limit exceeded`: the top-level file, line 1, column 1, an empty source line. */
export function errorAtFileStart(message: string, file: string): PolicyError {
  return new PolicyError(message, { file, line: 1, column: 1 }, '', 1);
}
