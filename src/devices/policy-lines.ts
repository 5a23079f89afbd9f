/**
 * A policy file as the linter needs it: its statements as the language's own
 * parser reads them (parsePolicySyntax: tokens with locations, nothing looked
 * up, includes not followed), plus what the parser drops: the comments, and
 * whether a comment stands right before a statement (the justification the
 * dangerous-syscall rule asks for) or at its end.
 */
import { parsePolicySyntax, PolicyError } from '../policy/index.js';
import type { FilterStatement, FilterSyntax, PolicyStatement } from '../policy/syntax.js';

export interface ScannedInclude {
  readonly kind: 'include';
  /** The operand as written. */
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

export interface ScannedSyscallName {
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

export interface ScannedRule {
  readonly kind: 'rule';
  readonly syscalls: readonly ScannedSyscallName[];
  /** Some filter lets the call through with no argument condition (`1`, `allow`, `log`, ...). */
  readonly allowsOutright: boolean;
  readonly line: number;
  readonly column: number;
  /** A comment ends one of the statement's lines, or the nearest non-blank line above it is a comment. */
  readonly commented: boolean;
}

export interface ScannedDirective {
  readonly kind: 'directive';
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

export type ScannedStatement = ScannedInclude | ScannedRule | ScannedDirective;

export interface ScannedComment {
  /** Text after `#`, trimmed. */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

export interface ScannedPolicy {
  readonly statements: readonly ScannedStatement[];
  readonly comments: readonly ScannedComment[];
  /** The file does not parse: the statements are empty, this says where and why. */
  readonly syntaxError?: PolicyError;
}

/** Actions that let the call through. */
const PERMISSIVE_KEYWORDS = new Set(['allow', 'log', 'trace', 'user-notify']);

export function scanPolicyText(text: string, file: string): ScannedPolicy {
  const lines = text.split('\n').map((line) => line.replace(/\r+$/, ''));
  const comments = lines.flatMap((line, index) => commentOf(line, index + 1));
  let syntax: PolicyStatement[];
  try {
    syntax = parsePolicySyntax(text, file);
  } catch (error) {
    if (error instanceof PolicyError) return { statements: [], comments, syntaxError: error };
    throw error;
  }
  const commentLines = new Set(comments.map((comment) => comment.line));
  const statements = syntax.map((statement): ScannedStatement => {
    switch (statement.kind) {
      case 'include':
        return { kind: 'include', path: statement.path.text, line: statement.keyword.line, column: statement.keyword.column };
      case 'filter':
        return scannedRule(statement, lines, commentLines);
      default:
        return { kind: 'directive', name: `@${statement.kind}`, line: statement.keyword.line, column: statement.keyword.column };
    }
  });
  return { statements, comments };
}

function scannedRule(statement: FilterStatement, lines: readonly string[], commentLines: ReadonlySet<number>): ScannedRule {
  const first = statement.syscalls[0].name;
  const firstLine = Math.min(first.line, statement.colon.line);
  const lastLine = statement.endLine.number;
  let commented = false;
  for (let line = firstLine; line <= lastLine; line++) if (commentLines.has(line)) commented = true;
  for (let line = firstLine - 1; line >= 1 && !commented; line--) {
    const text = lines[line - 1].trim();
    if (text === '') continue;
    commented = text.startsWith('#');
    break;
  }
  return {
    kind: 'rule',
    syscalls: statement.syscalls.map((descriptor) => ({ name: descriptor.name.text, line: descriptor.name.line, column: descriptor.name.column })),
    allowsOutright: statement.filters.some(allowsWithoutCondition),
    line: first.line,
    column: first.column,
    commented,
  };
}

function allowsWithoutCondition(filter: FilterSyntax): boolean {
  if (filter.expression !== null) return false;
  const action = filter.action;
  if (action === null || action.kind === 'numeric-allow') return true;
  return action.kind === 'keyword' && PERMISSIVE_KEYWORDS.has(action.token.text);
}

/**
 * The comment of a physical line, if any. A PATH operand (`@include ./a#b`)
 * may hold `#`, as the lexer tries a PATH before a comment.
 */
function commentOf(line: string, number: number): ScannedComment[] {
  const include = /^\s*@(include|frequency)\s+(\.?\/\S*)/.exec(line);
  const hash = line.indexOf('#', include === null ? 0 : include[0].length);
  if (hash < 0) return [];
  return [{ text: line.slice(hash + 1).trim(), line: number, column: hash + 1 }];
}
