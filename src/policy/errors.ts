import type { SourceLocation } from './source-location.js';

/**
 * A policy the compiler refuses. `format()` gives the reference compiler's
 * three-line block (policy-language.md §6.1):
 *
 *     FILE(LINE:COL): MESSAGE
 *         SOURCE-LINE
 *         CARETS
 */
export class PolicyError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly sourceLine: string;
  readonly caretLength: number;
  readonly detail: string;

  constructor(detail: string, location: SourceLocation, sourceLine: string, caretLength: number) {
    super(`${location.file}(${location.line}:${location.column}): ${detail}`);
    this.name = 'PolicyError';
    this.detail = detail;
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.sourceLine = sourceLine;
    this.caretLength = caretLength;
  }

  get location(): SourceLocation {
    return { file: this.file, line: this.line, column: this.column };
  }

  format(): string {
    const carets = ' '.repeat(Math.max(0, this.column - 1)) + '^'.repeat(Math.max(1, this.caretLength));
    return `${this.message}\n    ${this.sourceLine}\n    ${carets}`;
  }
}
