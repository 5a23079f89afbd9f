/**
 * The policy after parsing, include resolution, merging and default-action
 * resolution: everything code generation needs, nothing it has to re-derive.
 *
 * Object identity is part of the contract. The Minijail layout emits one RET
 * per distinct Action object (policy-language.md §7.4: "action objects are
 * shared by identity"), so the parser creates one Action per action written in
 * the source and one shared Action for the appended default.
 */
import type { ArchTable } from '../arch/types.js';
import type { SourceLocation } from './source-location.js';

export type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '&' | 'in';

/** `argN OP value`; value is already reduced to the arch's word width. */
export interface Atom {
  readonly argument: number;
  readonly operator: Operator;
  readonly value: bigint;
  readonly location: SourceLocation;
}

/** Atoms joined by `&&`. */
export type Clause = readonly Atom[];
/** Clauses joined by `||` (the language is always in disjunctive normal form). */
export type Expression = readonly Clause[];

export type ActionKind =
  | 'allow'
  | 'kill-process'
  | 'kill-thread'
  | 'trap'
  | 'trace'
  | 'log'
  | 'user-notify'
  | 'errno';

export interface Action {
  readonly kind: ActionKind;
  /** The SECCOMP_RET_* value the RET instruction returns (errno already folded in). */
  readonly value: number;
  /** Where the action was written; null for an action that comes from the command line or is implied. */
  readonly location: SourceLocation | null;
}

export interface Filter {
  /** null: unconditional. */
  readonly expression: Expression | null;
  readonly action: Action;
  /** The statement's colon: the reference's anchor for "already had an unconditional action". */
  readonly location: SourceLocation;
}

export interface SyscallRule {
  readonly name: string;
  readonly number: number;
  /** Sum of @frequency counts; 1 when never named in a frequency file. */
  readonly frequency: number;
  /**
   * The merged filter list in evaluation order. Always ends with exactly one
   * unconditional filter (the policy's own, or the appended default).
   */
  readonly filters: readonly Filter[];
  /**
   * Minijail's allow elision (Q1): the final action is ALLOW outside denylist
   * mode, so the syscall is plainly allowed and `filters` are not compiled.
   */
  readonly plainlyAllowed: boolean;
}

export interface PolicyIR {
  readonly arch: ArchTable;
  /** Syscalls in order of first appearance (includes followed where they stand). */
  readonly rules: readonly SyscallRule[];
  /** The resolved default action (§4.6); its object is the one appended to conditional-only rules. */
  readonly defaultAction: Action;
  /** The kill action (§4.3): what an arch mismatch returns in the Minijail layout. */
  readonly killAction: Action;
  readonly denylist: boolean;
  /** The top-level file, as given. */
  readonly file: string;
}
