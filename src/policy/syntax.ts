/**
 * The policy's statements as written, before anything is looked up in an
 * arch table: what the parser produces and the resolver consumes. Every node
 * keeps its tokens, so later stages (and lint, explain) can point at them.
 */
import type { LogicalLine, PhysicalLine, Token } from './lexer.js';

/** `a | b | ...` */
export interface ValueSyntax {
  readonly terms: readonly ConstantSyntax[];
}

/** `[~] NAME`, `[~] NUMBER` or `[~] ( value )`. */
export interface ConstantSyntax {
  /** The `~` token when the constant is complemented. */
  readonly complement: Token | null;
  readonly operand: { readonly kind: 'single'; readonly token: Token } | { readonly kind: 'group'; readonly open: Token; readonly value: ValueSyntax };
}

/** `argN OP value`. */
export interface AtomSyntax {
  readonly argument: Token;
  readonly argumentIndex: number;
  readonly operator: Token;
  readonly value: ValueSyntax;
}

/** Clauses joined by `||`, each a list of atoms joined by `&&`. */
export type ExpressionSyntax = readonly (readonly AtomSyntax[])[];

export type ActionSyntax =
  /** allow, kill, kill-process, kill-thread, trap, trace, log, user-notify. */
  | { readonly kind: 'keyword'; readonly token: Token }
  /** A number in action position; the parser only lets `1` through (allow). */
  | { readonly kind: 'numeric-allow'; readonly token: Token }
  /** `return X`; X is any single constant token (not checked under --use-ret-log). */
  | { readonly kind: 'return'; readonly keyword: Token; readonly value: Token };

export interface FilterSyntax {
  /** null: unconditional. */
  readonly expression: ExpressionSyntax | null;
  /** null: an expression without `; action`, which means allow. */
  readonly action: ActionSyntax | null;
}

export interface MetadataEntrySyntax {
  readonly key: Token;
  readonly values: readonly Token[];
}

/** A syscall name, the syscall `kill`, or `group@namespace`, with optional `[key=value;...]`. */
export interface SyscallDescriptorSyntax {
  readonly name: Token;
  readonly metadata: readonly MetadataEntrySyntax[] | null;
}

interface StatementBase {
  /** The physical line the statement ended on (errors with no token point past its end). */
  readonly endLine: PhysicalLine;
  /** The first token after a complete statement: an `extra tokens` error once the statement is processed. */
  readonly extraToken: Token | null;
}

export interface FilterStatement extends StatementBase {
  readonly kind: 'filter';
  readonly syscalls: readonly SyscallDescriptorSyntax[];
  /** The colon: the reference's anchor for errors about the whole statement. */
  readonly colon: Token;
  readonly filters: readonly FilterSyntax[];
}

export interface IncludeStatement extends StatementBase {
  readonly kind: 'include';
  readonly keyword: Token;
  readonly path: Token;
}

export interface FrequencyStatement extends StatementBase {
  readonly kind: 'frequency';
  readonly keyword: Token;
  readonly path: Token;
}

export interface DefaultStatement extends StatementBase {
  readonly kind: 'default';
  readonly keyword: Token;
  /** kill-process, kill-thread, kill, trap or user-notify. */
  readonly action: Token;
}

export interface DenylistStatement extends StatementBase {
  readonly kind: 'denylist';
  readonly keyword: Token;
}

export type PolicyStatement = FilterStatement | IncludeStatement | FrequencyStatement | DefaultStatement | DenylistStatement;

/** One line of a frequency file: `syscall-descriptor : COUNT` (tokens after the count are ignored). */
export interface FrequencyEntry {
  readonly syscall: SyscallDescriptorSyntax;
  readonly count: Token;
  readonly endLine: PhysicalLine;
}

export type { LogicalLine, PhysicalLine, Token };
