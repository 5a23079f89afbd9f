/**
 * Every message the policy language can report, in one table. The texts are
 * the reference compiler's (policy-language.md §6.2), character for
 * character, because users and build scripts match on them. Messages marked
 * "jail-run only" exist where the reference crashes or silently does
 * something else (docs/divergences.md); they follow the same style.
 */
export const MESSAGES = {
  // Tokenizer.
  invalidToken: 'invalid token',

  // Constants and values.
  invalidConstant: 'invalid constant',
  unsignedOverflow: 'unsigned overflow',
  signedUnderflow: 'signed underflow',
  emptyComplement: 'empty complement',
  invalidDoubleComplement: 'invalid double complement',
  unclosedParenthesis: 'unclosed parenthesis',
  emptyConstant: 'empty constant',

  // Atoms and argument expressions.
  invalidArgument: 'invalid argument',
  missingOperator: 'missing operator',
  invalidOperator: 'invalid operator',
  emptyClause: 'empty clause',
  emptyArgumentExpression: 'empty argument expression',

  // Actions.
  missingAction: 'missing action',
  missingReturnValue: 'missing return value',
  invalidAction: 'invalid action',
  invalidDenylistPolicy: 'invalid denylist policy',
  invalidDefaultAction: 'invalid default action',
  invalidPermissiveDefaultAction: 'invalid permissive default action',
  emptyAction: 'empty action',

  // Filters.
  missingFilter: 'missing filter',
  unclosedBrace: 'unclosed brace',

  // Statements and syscall descriptors.
  missingColon: 'missing colon',
  invalidColon: 'invalid colon',
  invalidSyscallDescriptor: 'invalid syscall descriptor',
  invalidSyscallGroupName: 'invalid syscall group name',
  nonexistentSyscallGroupNamespace: 'nonexistent syscall group namespace',
  nonexistentSyscallGroup: 'nonexistent syscall group',
  nonexistentSyscall: 'nonexistent syscall',
  extraTokens: 'extra tokens',

  // Metadata.
  invalidKey: 'invalid key',
  missingEqual: 'missing equal',
  invalidEqual: 'invalid equal',
  invalidValue: 'invalid value',
  emptyValue: 'empty value',
  duplicateMetadataKey: (key: string): string => `duplicate metadata key: "${key}"`,
  unclosedBracket: 'unclosed bracket',

  // @include.
  emptyIncludePath: 'empty include path',
  invalidIncludePath: 'invalid include path',
  includeNestedTooDeep: '@include statement nested too deep',
  couldNotInclude: (path: string): string => `Could not @include ${path}`,

  // @frequency and frequency files.
  emptyFrequencyPath: 'empty frequency path',
  invalidFrequencyPath: 'invalid frequency path',
  couldNotOpenFrequencyFile: (path: string): string => `Could not open frequency file ${path}`,
  missingNumber: 'missing number',
  invalidNumber: 'invalid number',

  // @denylist.
  denylistWithoutFlag: 'policy is denylist, but flag --denylist not passed in.',
  flagWithoutDenylist: 'policy must contain @denylist flag to be compiled with --denylist flag.',

  // Whole policy.
  recursionLimitExceeded: 'recursion limit exceeded',
  alreadyUnconditional: (name: string, number: number): string =>
    `Syscall ${name} (number ${number}) already had an unconditional action applied`,
  previousDefinition: 'Previous definition',

  // jail-run only: where the reference crashes with a Python exception.
  /** A group member the arch does not have (the reference: KeyError). */
  nonexistentSyscallInGroup: (member: string, group: string): string =>
    `nonexistent syscall "${member}" in syscall group ${group}`,
  /** --denylist with an arch that has no EPERM constant (the reference: KeyError). */
  denylistNeedsEperm: 'the arch has no EPERM constant, which --denylist needs for its kill action',
  /** Parentheses nested deeper than any real policy needs (the reference: RecursionError). */
  parenthesesNestedTooDeep: 'parentheses nested too deep',
} as const;
