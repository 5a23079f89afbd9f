/**
 * Tokens and logical lines of the policy language (policy-language.md §2).
 *
 * Each physical line is tokenized on its own by trying the token kinds in a
 * fixed order at each position (first kind that matches wins, not the
 * longest match), exactly as the reference's single alternation regex does.
 * Text that no kind matches is an `invalid token`. Lines ending in `\`
 * continue the statement on the next line.
 *
 * The lexer is lazy (a generator): the reference tokenizes a line only when
 * the parser asks for the next statement, so an invalid token on line 9 is
 * never reported if a statement on line 2 (or a file it includes) fails first.
 */
import { errorAtToken } from './report.js';
import { MESSAGES } from './error-messages.js';

export type TokenKind =
  | 'DEFAULT'
  | 'INCLUDE'
  | 'FREQUENCY'
  | 'DENYLIST'
  | 'PATH'
  | 'NUMERIC_CONSTANT'
  | 'COLON'
  | 'SEMICOLON'
  | 'COMMA'
  | 'BITWISE_COMPLEMENT'
  | 'LPAREN'
  | 'RPAREN'
  | 'LBRACE'
  | 'RBRACE'
  | 'RBRACKET'
  | 'LBRACKET'
  | 'OR'
  | 'AND'
  | 'BITWISE_OR'
  | 'OP'
  | 'EQUAL'
  | 'ARGUMENT'
  | 'RETURN'
  | 'ACTION'
  | 'IDENTIFIER';

/** One physical line as the reference keeps it: trailing CR/LF removed, 1-based number. */
export interface PhysicalLine {
  readonly text: string;
  readonly number: number;
}

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  /** 1-based column, counted in code points as the reference (Python) counts characters. */
  readonly column: number;
  /** The physical line holding the token, for the error's source line. */
  readonly sourceLine: string;
}

/** One statement's tokens (continuations joined), and the physical line it ended on. */
export interface LogicalLine {
  readonly tokens: readonly Token[];
  /** Errors that point at no token point one past the end of this line. */
  readonly endLine: PhysicalLine;
}

// Python's `\s` in a str pattern (str.isspace), which differs from JavaScript's `\s`.
const SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// Python's `\b` is Unicode-aware (letters, digits, underscore); JavaScript's is ASCII-only.
const WORD = '[\\p{L}\\p{N}_]';
const WORD_START = `(?<!${WORD})`;
const WORD_END = `(?!${WORD})`;
const word = (text: string): string => `${WORD_START}${text}${WORD_END}`;

/** Token kinds in the reference's order; comments, whitespace and continuations are dropped. */
const TOKEN_KINDS: readonly (readonly [TokenKind | 'COMMENT' | 'WHITESPACE' | 'CONTINUATION', string])[] = [
  ['COMMENT', '#[\\s\\S]*$'],
  ['WHITESPACE', `[${SPACE}]+`],
  ['CONTINUATION', '\\\\$'],
  ['DEFAULT', `@default${WORD_END}`],
  ['INCLUDE', `@include${WORD_END}`],
  ['FREQUENCY', `@frequency${WORD_END}`],
  ['DENYLIST', '@denylist$'],
  ['PATH', `\\.?/[^${SPACE}]+`],
  ['NUMERIC_CONSTANT', '-?0[xX][0-9a-fA-F]+|-?0[0-7]+|-?[0-9]+'],
  ['COLON', ':'],
  ['SEMICOLON', ';'],
  ['COMMA', ','],
  ['BITWISE_COMPLEMENT', '~'],
  ['LPAREN', '\\('],
  ['RPAREN', '\\)'],
  ['LBRACE', '\\{'],
  ['RBRACE', '\\}'],
  ['RBRACKET', '\\]'],
  ['LBRACKET', '\\['],
  ['OR', '\\|\\|'],
  ['AND', '&&'],
  ['BITWISE_OR', '\\|'],
  ['OP', `&|${word('in')}|==|!=|<=|<|>=|>`],
  ['EQUAL', '='],
  ['ARGUMENT', word('arg[0-9]+')],
  ['RETURN', word('return')],
  ['ACTION', ['allow', 'kill-process', 'kill-thread', 'kill', 'trap', 'trace', 'log', 'user-notify'].map(word).join('|')],
  ['IDENTIFIER', '[a-zA-Z_][a-zA-Z_0-9\\-@]*'],
];

const SKIPPED_KINDS = new Set(['COMMENT', 'WHITESPACE', 'CONTINUATION']);
const KIND_BY_GROUP = TOKEN_KINDS.map(([kind]) => kind);
// One capturing group per kind, in order: the first group that took part names the kind.
const TOKEN_PATTERN = new RegExp(TOKEN_KINDS.map(([, pattern]) => `(${pattern})`).join('|'), 'gu');

/** 1-based column of a UTF-16 offset, counted in code points. */
export function columnOf(line: string, offset: number): number {
  let column = 1;
  for (let index = 0; index < offset; index++) {
    const code = line.charCodeAt(index);
    // A high surrogate followed by a low one is one character.
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < offset) {
      const next = line.charCodeAt(index + 1);
      if (next >= 0xdc00 && next <= 0xdfff) index++;
    }
    column++;
  }
  return column;
}

/** Tokens of one physical line; throws `invalid token` at the first text no kind matches. */
export function tokenizePhysicalLine(line: PhysicalLine, file: string): Token[] {
  const text = line.text;
  // Columns are UTF-16 offsets + 1 unless the line holds surrogate pairs.
  const simpleColumns = !/[\ud800-\udfff]/.test(text);
  const tokens: Token[] = [];
  const make = (kind: TokenKind, start: number, tokenText: string): Token => ({
    kind,
    text: tokenText,
    file,
    line: line.number,
    column: simpleColumns ? start + 1 : columnOf(text, start),
    sourceLine: text,
  });
  const pattern = TOKEN_PATTERN;
  let position = 0;
  while (position < text.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    const start = match ? match.index : text.length;
    if (match === null || start !== position) {
      throw errorAtToken(MESSAGES.invalidToken, make('IDENTIFIER', position, text.slice(position, start)));
    }
    position = start + match[0].length;
    let group = 1;
    while (match[group] === undefined) group++;
    const kind = KIND_BY_GROUP[group - 1];
    if (!SKIPPED_KINDS.has(kind)) tokens.push(make(kind as TokenKind, start, match[0]));
  }
  return tokens;
}

/**
 * The file's physical lines as Python's text mode reads them: `\r\n`, `\r`
 * and `\n` all end a line, and a final line terminator does not start an
 * empty line.
 */
export function physicalLines(text: string): PhysicalLine[] {
  if (text === '') return [];
  const pieces = text.split(/\r\n|\r|\n/);
  if (pieces[pieces.length - 1] === '') pieces.pop();
  return pieces.map((piece, index) => ({ text: piece, number: index + 1 }));
}

/**
 * Reads a file's statements lazily. `lastLine` is the last physical line read
 * so far: what errors that point at no token use once the file is done (the
 * `@denylist` header check). Before any line is read it is line 0, empty.
 */
export class PolicyLexer {
  private readonly lines: PhysicalLine[];
  private current: PhysicalLine = { text: '', number: 0 };

  constructor(
    text: string,
    readonly file: string,
  ) {
    this.lines = physicalLines(text);
  }

  get lastLine(): PhysicalLine {
    return this.current;
  }

  /**
   * Logical lines with at least one token. A blank or comment-only line ends
   * a pending continuation; pending tokens at the end of the file are dropped
   * (Q4), as the reference does.
   */
  *logicalLines(): Generator<LogicalLine> {
    let pending: Token[] = [];
    for (const line of this.lines) {
      this.current = line;
      // A loop, not push(...tokens): a line of 100,000+ tokens would overflow the call stack.
      for (const token of tokenizePhysicalLine(line, this.file)) pending.push(token);
      if (line.text.endsWith('\\')) continue;
      if (pending.length > 0) yield { tokens: pending, endLine: line };
      pending = [];
    }
  }
}

/** A single line given on the command line (`--default-action`), as the reference tokenizes it. */
export function tokenizeSingleLine(text: string, file: string): LogicalLine {
  const line = { text: text.replace(/[\r\n]+$/, ''), number: 1 };
  const tokens = tokenizePhysicalLine(line, file);
  // A trailing `\` leaves the reference with no statement at all.
  return { tokens: line.text.endsWith('\\') ? [] : tokens, endLine: line };
}
