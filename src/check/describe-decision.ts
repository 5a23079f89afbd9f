/**
 * Words for what `jail-run check` found: the action a filter returns and the
 * part of the policy that decided it.
 */
import { SourceLines } from '../policy/source-lines.js';
import type { Evaluation } from '../policy/evaluate.js';
import { formatLocation, locationInPolicy, type SourceLocation } from '../policy/source-location.js';

export interface DecisionContext {
  /** --default-action was given (a default without a location came from the command line). */
  readonly defaultFromCommandLine: boolean;
}

/** Why the filter decides as it does, with the deciding file:line:column where there is one. */
export function describeDecision(evaluation: Evaluation, context: DecisionContext): string {
  const location = locationInPolicy(evaluation.location);
  const where = location === null ? undefined : formatLocation(location);
  const defaultSource =
    where !== undefined
      ? `the @default at ${where}`
      : context.defaultFromCommandLine
        ? '--default-action'
        : 'no @default or --default-action, so the kill action';
  const decidedBy = evaluation.decidedBy;
  switch (decidedBy.kind) {
    case 'arch-mismatch':
      return 'the calling arch is not the policy\'s arch';
    case 'x32-syscall':
      return 'an x32 syscall number: the optimized layout kills it (hardening)';
    case 'denylist-unlisted':
      return 'not listed in a denylist policy: allowed';
    case 'unlisted':
      return `not listed: default action from ${defaultSource}`;
    case 'default':
      return decidedBy.allowElision
        ? `${decidedBy.rule.name} is plainly allowed`
        : `no filter of ${decidedBy.rule.name} matched: default action from ${defaultSource}`;
    case 'filter': {
      const count = decidedBy.rule.filters.length;
      const filter = `filter ${decidedBy.filterIndex + 1} of ${count} for ${decidedBy.rule.name}`;
      if (decidedBy.allowElision && count > 1) {
        return `${where}: ${filter}, an unconditional allow, which wins over the syscall's other filters (the reference's allow elision)`;
      }
      const clause = decidedBy.clauseIndex === undefined ? 'unconditional' : `clause ${decidedBy.clauseIndex + 1} holds`;
      return `${where}: ${filter} (${clause})`;
    }
  }
}


/** The source line a location points into, when the file can still be read. */
export function sourceLineAt(rawLocation: SourceLocation | null): string | undefined {
  const location = locationInPolicy(rawLocation);
  return location === null ? undefined : new SourceLines().line(location);
}
