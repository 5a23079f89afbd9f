/**
 * The policy language's public surface: policy text in, PolicyIR out
 * (lexer → parser → resolver). Code generation lives in src/bpf.
 */
import type { PolicyIR } from './ir.js';
import { resolvePolicyFile, resolvePolicyText, type ParseOptions } from './resolver.js';

export type { ParseOptions } from './resolver.js';
export { DEFAULT_INCLUDE_DEPTH_LIMIT, resolveIncludedPath } from './resolver.js';
export { parsePolicySyntax } from './parser.js';
export { PolicyError } from './errors.js';
export { PolicyFileError } from './policy-file-error.js';
export { MESSAGES as POLICY_ERROR_MESSAGES } from './error-messages.js';
export type * from './ir.js';
export type { PolicyStatement, FilterStatement, IncludeStatement, FrequencyStatement, DefaultStatement, DenylistStatement } from './syntax.js';
export type { Token, TokenKind } from './lexer.js';

/** Parses, resolves and checks a policy file with its includes. Throws PolicyError (or PolicyFileError when the file cannot be read). */
export function parsePolicyFile(file: string, options: ParseOptions): PolicyIR {
  return resolvePolicyFile(file, options);
}

/** As parsePolicyFile, for a top-level text already in hand; `file` names it in errors and anchors its includes. */
export function parsePolicyText(text: string, file: string, options: ParseOptions): PolicyIR {
  return resolvePolicyText(text, file, options);
}
