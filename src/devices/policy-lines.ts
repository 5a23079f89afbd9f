/**
 * A line-level reading of a policy file for the linter: which statements it
 * has, where, and which comments stand before them. The real parser drops
 * comments and splices includes in, but the naming rules are about the file
 * as written (its own @include lines, the comment justifying a risky rule,
 * `# gap:` notes), so this reads the text the way a reviewer does.
 * Continuation lines (`\` at the end) are joined as the language does.
 */

export interface ScannedInclude {
  readonly kind: 'include';
  /** The operand as written; undefined when the line has none. */
  readonly path: string | undefined;
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
  /** The text after the first `:`, comments removed, whitespace collapsed. */
  readonly ruleText: string;
  readonly line: number;
  readonly column: number;
  /** A comment ends the statement's own line, or the nearest non-blank line above it is a comment. */
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
}

interface PhysicalPiece {
  readonly line: number;
  /** Code before any comment (PATH operands of @include may contain `#`, handled separately). */
  readonly code: string;
  readonly comment: ScannedComment | undefined;
}

export function scanPolicyText(text: string): ScannedPolicy {
  const lines = text.split('\n').map((line) => line.replace(/\r+$/, ''));
  const statements: ScannedStatement[] = [];
  const comments: ScannedComment[] = [];
  let pending: PhysicalPiece[] = [];
  let previousNonBlankWasComment = false;
  let commentBeforePending = false;

  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    const piece = splitComment(raw, lineNumber);
    if (piece.comment !== undefined) comments.push(piece.comment);
    const continued = raw.endsWith('\\');
    const code = continued ? piece.code.replace(/\\$/, '') : piece.code;
    if (pending.length === 0) commentBeforePending = previousNonBlankWasComment;
    if (code.trim() === '' && pending.length > 0 && !continued) {
      // A blank or comment-only line ends a pending continuation early (the language drops nothing here).
      finish(pending, commentBeforePending, statements);
      pending = [];
    } else if (code.trim() !== '') {
      pending.push({ line: lineNumber, code, comment: piece.comment });
      if (!continued) {
        finish(pending, commentBeforePending, statements);
        pending = [];
      }
    }
    if (raw.trim() !== '') previousNonBlankWasComment = code.trim() === '' && piece.comment !== undefined;
  });
  // A continuation pending at the end of the file is discarded by the compiler too (policy-language.md §2.1).
  return { statements, comments };
}

function splitComment(raw: string, line: number): PhysicalPiece {
  // `@include ./a#b` names the file `a#b` (a PATH is tried before a comment), so only look for `#` after it.
  const include = /^\s*@include\s+(\.?\/\S*)/.exec(raw);
  const searchFrom = include === null ? 0 : include[0].length;
  const hash = raw.indexOf('#', searchFrom);
  if (hash < 0) return { line, code: raw, comment: undefined };
  return { line, code: raw.slice(0, hash), comment: { text: raw.slice(hash + 1).trim(), line, column: hash + 1 } };
}

function finish(pieces: readonly PhysicalPiece[], commentBefore: boolean, statements: ScannedStatement[]): void {
  const first = pieces[0];
  const firstColumn = first.code.search(/\S/) + 1;
  const joined = pieces.map((piece) => piece.code).join(' ');
  const trimmed = joined.trim();
  const directive = /^@(\w+)/.exec(trimmed);
  if (directive !== null) {
    if (directive[1] === 'include') {
      const operand = trimmed.slice('@include'.length).trim().split(/\s+/)[0];
      statements.push({ kind: 'include', path: operand === '' ? undefined : operand, line: first.line, column: firstColumn });
    } else {
      statements.push({ kind: 'directive', name: `@${directive[1]}`, line: first.line, column: firstColumn });
    }
    return;
  }
  const colon = trimmed.indexOf(':');
  const descriptor = colon < 0 ? trimmed : trimmed.slice(0, colon);
  statements.push({
    kind: 'rule',
    syscalls: syscallNames(descriptor, pieces),
    ruleText: colon < 0 ? '' : trimmed.slice(colon + 1).replace(/\s+/g, ' ').trim(),
    line: first.line,
    column: firstColumn,
    commented: commentBefore || pieces.some((piece) => piece.comment !== undefined),
  });
}

/** The syscall names of a descriptor (`read`, `{read, write}`, `read[arch=x86_64]`), located in the source. */
function syscallNames(descriptor: string, pieces: readonly PhysicalPiece[]): ScannedSyscallName[] {
  const withoutMetadata = descriptor.replace(/\[[^\]]*\]/g, ' ');
  const names = withoutMetadata.replace(/[{}]/g, ' ').split(',').map((name) => name.trim()).filter((name) => name !== '');
  return names.map((name) => {
    for (const piece of pieces) {
      const match = new RegExp(`(^|[\\s{,])(${escapeRegExp(name)})(?=[\\s,}:\\[]|$)`).exec(piece.code);
      if (match !== null) return { name, line: piece.line, column: match.index + match[1].length + 1 };
    }
    return { name, line: pieces[0].line, column: 1 };
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
