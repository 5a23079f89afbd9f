/**
 * `jail-run explain`: a composed policy as the compiler sees it. Per syscall,
 * each rule in evaluation order with the file:line it was written at (merged
 * across includes), whether the kernel's action cache will allow it without
 * running the filter, and the default action with where it comes from.
 */
import { resolve } from 'node:path';
import type { ArchTable } from '../arch/index.js';
import { cachedSyscalls, errnoName, type Instruction } from '../bpf/index.js';
import type { Action, Atom, PolicyIR } from '../policy/ir.js';
import { SourceLines } from '../policy/source-lines.js';
import type { SourceLocation } from '../policy/source-location.js';

export interface ExplainedRule {
  /** The condition as written (`arg1 == FIONBIO || arg1 == FIOCLEX`); null for an unconditional rule. */
  readonly condition: string | null;
  /** The action in policy words: allow, return ENOENT, trap, kill-process, ... */
  readonly action: string;
  /** Where the rule was written; null for the default appended after conditional rules. */
  readonly location: SourceLocation | null;
}

export interface ExplainedSyscall {
  readonly name: string;
  readonly number: number;
  /** Allowed by the kernel's action cache (Linux 5.11+) without running the filter. */
  readonly cached: boolean;
  /** Allowed outright somewhere, so its conditional rules never matter (Minijail's allow elision). */
  readonly plainlyAllowed: boolean;
  readonly rules: readonly ExplainedRule[];
}

export type DefaultActionSource =
  | { readonly kind: 'statement'; readonly location: SourceLocation }
  | { readonly kind: 'command-line' }
  | { readonly kind: 'language-default' };

export interface Explanation {
  readonly file: string;
  readonly arch: string;
  readonly layout: string;
  /** Every file composed into the policy, in the order the compiler read them. */
  readonly files: readonly string[];
  readonly defaultAction: { readonly action: string; readonly source: DefaultActionSource };
  readonly syscalls: readonly ExplainedSyscall[];
  /** Number of instructions of the compiled program. */
  readonly programLength: number;
}

export interface ExplainInput {
  readonly file: string;
  readonly ir: PolicyIR;
  readonly program: readonly Instruction[];
  readonly layout: string;
  /** Files read while compiling (absolute); the top-level file first. */
  readonly files: readonly string[];
  /** --default-action was given: a default without a location then came from the command line. */
  readonly defaultFromCommandLine: boolean;
}

/** Builds the explanation from a compiled policy. Pure apart from reading the source lines it quotes. */
export function explainCompiledPolicy(input: ExplainInput): Explanation {
  const { ir, program } = input;
  const arch = ir.arch;
  const cached = new Set(cachedSyscalls(program, arch.auditArch, ir.rules.map((rule) => rule.number)));
  const sources = new SourceLines();
  const syscalls = ir.rules.map((rule): ExplainedSyscall => ({
    name: rule.name,
    number: rule.number,
    cached: cached.has(rule.number),
    plainlyAllowed: rule.plainlyAllowed,
    rules: rule.filters.map((filter, index) => {
      const appendedDefault = index === rule.filters.length - 1 && filter.expression === null && filter.action === ir.defaultAction;
      return {
        condition: filter.expression === null ? null : filter.expression.map((clause) => clause.map((atom) => atomText(atom, sources, arch)).join(' && ')).join(' || '),
        action: actionWords(filter.action, arch),
        location: appendedDefault ? null : (filter.action.location ?? filter.location),
      };
    }),
  }));
  // --default-action is parsed as a one-line text named <memory> (as the reference does).
  const defaultLocation = input.defaultFromCommandLine ? null : ir.defaultAction.location;
  const source: DefaultActionSource =
    defaultLocation !== null ? { kind: 'statement', location: defaultLocation } : input.defaultFromCommandLine ? { kind: 'command-line' } : { kind: 'language-default' };
  return {
    file: resolve(input.file),
    arch: arch.name,
    layout: input.layout,
    files: input.files,
    defaultAction: { action: actionWords(ir.defaultAction, arch), source },
    syscalls,
    programLength: program.length,
  };
}

/** The action as the policy language writes it. */
export function actionWords(action: Action, arch: ArchTable): string {
  if (action.kind !== 'errno') return action.kind;
  const errno = action.value & 0xffff;
  return `return ${errnoName(arch, errno) ?? errno}`;
}

/**
 * An atom as written in its file (`arg2 in ~PROT_EXEC`), so constant names
 * survive; rebuilt from the IR with a hex value when the source is unreadable.
 */
function atomText(atom: Atom, sources: SourceLines, arch: ArchTable): string {
  const line = sources.line(atom.location);
  if (line !== undefined) {
    const rest = line.slice(atom.location.column - 1);
    const end = rest.search(/\|\||&&|;|,|\}|#|\\$/);
    const text = (end < 0 ? rest : rest.slice(0, end)).trim();
    if (text.startsWith(`arg${atom.argument}`)) return text.replace(/\s+/g, ' ');
  }
  const digits = arch.bits === 64 ? 16 : 8;
  return `arg${atom.argument} ${atom.operator} 0x${atom.value.toString(16).padStart(Math.min(digits, atom.value.toString(16).length), '0')}`;
}
