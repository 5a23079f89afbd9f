/**
 * From policy files to the PolicyIR (policy-language.md §4): follows
 * `@include` and `@frequency`, checks every name and constant against the
 * arch, merges the statements of each syscall, applies the
 * unconditional-suffix rule, resolves the default and kill actions, and marks
 * the syscalls allow elision turns into plain allows.
 *
 * Errors come out in the reference's order: statements are processed as they
 * are read, an included file completely at its `@include`, and the
 * unconditional-suffix check runs last.
 */
import path from 'node:path';
import type { ArchTable } from '../arch/types.js';
import { SECCOMP_RET_ALLOW } from '../bpf/instruction.js';
import { defaultStatementAction, killActionFor, makeAction, resolveAction, tokenLocation, type ActionContext } from './actions.js';
import { MESSAGES } from './error-messages.js';
import type { Action, Atom, Expression, Filter, Operator, PolicyIR, SyscallRule } from './ir.js';
import { PolicyLexer, tokenizeSingleLine, type Token } from './lexer.js';
import { parseStandaloneAction, parseStatement, type ParseChecks } from './parser.js';
import { addCounts, parseFrequencyText } from './frequency.js';
import { PolicyFileError } from './policy-file-error.js';
import { COMMAND_LINE_FILE } from './source-location.js';
import { errorAfterLine, errorAtFileStart, errorAtToken } from './report.js';
import { expandSyscallDescriptor, type NamedSyscall } from './syscall-descriptors.js';
import type { ExpressionSyntax, FilterStatement, PolicyStatement } from './syntax.js';
import { evaluateValue, singleConstantValue } from './values.js';
import { readInputText } from '../util/read-input-file.js';

export interface ParseOptions {
  readonly arch: ArchTable;
  /** `--default-action`: an action as written in a policy, e.g. 'trap', 'kill-process', 'return 1'. */
  readonly defaultAction?: string;
  readonly useKillProcess?: boolean;
  readonly useRetLog?: boolean;
  readonly denylist?: boolean;
  /**
   * How many files may be open at once, counting one pseudo entry as the
   * reference does: the default 10 allows the top-level file plus 8 nested
   * levels. Unlike the reference's command line, always enforced.
   */
  readonly includeDepthLimit?: number;
  /** Reads included and frequency files (and the top-level file for parsePolicyFile). */
  readonly readFile?: (path: string) => string;
}

export const DEFAULT_INCLUDE_DEPTH_LIMIT = 10;

/**
 * Nesting beyond this is reported as the reference reports running out of
 * Python's recursion: whatever includeDepthLimit says, a JavaScript stack has
 * its own limit.
 */
const MAX_NESTED_FILES = 1000;

// Bounded: an @include of /dev/zero or of a huge file is an error, not a hang.
const readUtf8 = readInputText;

/**
 * Python's os.path.normpath, which the reference's error messages show:
 * unlike Node's normalize it drops a trailing slash and keeps exactly two
 * leading slashes (POSIX leaves their meaning to the implementation).
 */
export function pythonNormpath(file: string): string {
  let normalized = path.posix.normalize(file);
  if (normalized.length > 1 && normalized.endsWith('/')) normalized = normalized.slice(0, -1);
  return file.startsWith('//') && !file.startsWith('///') ? `/${normalized}` : normalized;
}

/** An @include or @frequency path, joined to the directory of the file that names it, then normalized. */
export function resolveIncludedPath(includingFile: string, written: string): string {
  return pythonNormpath(written.startsWith('/') ? written : path.posix.join(path.posix.dirname(includingFile), written));
}

/** One filter statement after lookups: its syscalls and its filters, shared by all of them. */
interface ResolvedStatement {
  readonly syscalls: readonly NamedSyscall[];
  readonly filters: readonly Filter[];
  readonly colon: Token;
}

class PolicyResolver {
  private readonly openFiles: string[] = [COMMAND_LINE_FILE];
  private readonly statements: ResolvedStatement[] = [];
  private readonly frequencies = new Map<string, number>();
  private policyDefault: Action | null = null;
  private readonly checks: ParseChecks;
  private readonly context: ActionContext;
  private readonly readFile: (file: string) => string;
  private readonly includeDepthLimit: number;

  constructor(
    private readonly options: ParseOptions,
    killAction: Action,
  ) {
    const { arch } = options;
    this.readFile = options.readFile ?? readUtf8;
    this.includeDepthLimit = options.includeDepthLimit ?? DEFAULT_INCLUDE_DEPTH_LIMIT;
    this.context = { arch, killAction, retLog: options.useRetLog ?? false };
    this.checks = {
      denylist: options.denylist ?? false,
      retLog: options.useRetLog ?? false,
      constant: (token) => void singleConstantValue(token, arch),
      syscallDescriptor: (descriptor) => void expandSyscallDescriptor(descriptor, arch),
    };
  }

  resolveFile(file: string, text: string): void {
    this.openFiles.push(file);
    const lexer = new PolicyLexer(text, file);
    let sawDenylistHeader = false;
    for (const line of lexer.logicalLines()) {
      const statement = parseStatement(line, this.checks);
      if (statement.kind === 'denylist') {
        if (!this.options.denylist) throw errorAfterLine(MESSAGES.denylistWithoutFlag, file, statement.endLine);
        sawDenylistHeader = true;
        continue;
      }
      // A statement whose syscalls all belong to other arches is dropped before its leftovers are looked at.
      if (!this.processStatement(file, statement)) continue;
      if (statement.extraToken !== null) throw errorAtToken(MESSAGES.extraTokens, statement.extraToken);
    }
    if (this.options.denylist && !sawDenylistHeader) throw errorAfterLine(MESSAGES.flagWithoutDenylist, file, lexer.lastLine);
    this.openFiles.pop();
  }

  /** Returns false when the statement was dropped for naming only other arches' syscalls. */
  private processStatement(file: string, statement: Exclude<PolicyStatement, { kind: 'denylist' }>): boolean {
    switch (statement.kind) {
      case 'include':
        this.include(file, statement.path, statement);
        return true;
      case 'frequency':
        this.frequency(file, statement.path);
        return true;
      case 'default':
        this.policyDefault = defaultStatementAction(statement.action, this.context);
        return true;
      case 'filter':
        return this.filterStatement(statement);
    }
  }

  private include(file: string, pathToken: Token, statement: PolicyStatement): void {
    if (this.openFiles.length >= this.includeDepthLimit) throw errorAfterLine(MESSAGES.includeNestedTooDeep, file, statement.endLine);
    if (this.openFiles.length >= MAX_NESTED_FILES) throw errorAtFileStart(MESSAGES.recursionLimitExceeded, this.openFiles[1]);
    const included = resolveIncludedPath(file, pathToken.text);
    let text: string;
    try {
      text = this.readFile(included);
    } catch {
      throw errorAtToken(MESSAGES.couldNotInclude(included), pathToken);
    }
    this.resolveFile(included, text);
  }

  private frequency(file: string, pathToken: Token): void {
    const frequencyFile = resolveIncludedPath(file, pathToken.text);
    let text: string;
    try {
      text = this.readFile(frequencyFile);
    } catch {
      throw errorAtToken(MESSAGES.couldNotOpenFrequencyFile(frequencyFile), pathToken);
    }
    for (const [name, count] of parseFrequencyText(text, frequencyFile, this.options.arch)) {
      this.frequencies.set(name, addCounts(this.frequencies.get(name) ?? 0, count));
    }
  }

  private expression(syntax: ExpressionSyntax): Expression {
    return syntax.map((clause) =>
      clause.map(
        (atom): Atom => ({
          argument: atom.argumentIndex,
          operator: atom.operator.text as Operator,
          value: evaluateValue(atom.value, this.options.arch),
          location: tokenLocation(atom.argument),
        }),
      ),
    );
  }

  private filterStatement(statement: FilterStatement): boolean {
    const syscalls = statement.syscalls.flatMap((descriptor) => expandSyscallDescriptor(descriptor, this.options.arch));
    if (syscalls.length === 0) return false;
    const location = tokenLocation(statement.colon);
    const filters = statement.filters.map(
      (filter): Filter => ({
        expression: filter.expression === null ? null : this.expression(filter.expression),
        action: resolveAction(filter.action, this.context),
        location,
      }),
    );
    this.statements.push({ syscalls, filters, colon: statement.colon });
    return true;
  }

  /** Merges statements per syscall and completes each filter list (§4.4). */
  finish(defaultAction: Action, topFile: string): PolicyIR {
    const merged = new Map<string, { syscall: NamedSyscall; filters: Filter[]; definitions: Token[] }>();
    for (const statement of this.statements) {
      for (const syscall of statement.syscalls) {
        let entry = merged.get(syscall.name);
        if (entry === undefined) {
          entry = { syscall, filters: [], definitions: [] };
          merged.set(syscall.name, entry);
        }
        for (const filter of statement.filters) {
          entry.filters.push(filter);
          entry.definitions.push(statement.colon);
        }
      }
    }
    const denylist = this.options.denylist ?? false;
    const rules: SyscallRule[] = [];
    for (const { syscall, filters, definitions } of merged.values()) {
      const firstUnconditional = filters.findIndex((filter) => filter.expression === null);
      if (firstUnconditional >= 0 && filters.length - firstUnconditional > 1) {
        const error = errorAtToken(MESSAGES.alreadyUnconditional(syscall.name, syscall.number), definitions[firstUnconditional + 1]);
        Object.assign(error, { cause: errorAtToken(MESSAGES.previousDefinition, definitions[firstUnconditional]) });
        throw error;
      }
      const complete =
        firstUnconditional >= 0 ? filters : [...filters, { expression: null, action: defaultAction, location: filters[filters.length - 1].location }];
      const finalAction = complete[complete.length - 1].action;
      rules.push({
        name: syscall.name,
        number: syscall.number,
        frequency: this.frequencies.get(syscall.name) ?? 1,
        filters: complete,
        plainlyAllowed: !denylist && finalAction.value === SECCOMP_RET_ALLOW,
      });
    }
    return { arch: this.options.arch, rules, defaultAction, killAction: this.context.killAction, denylist, file: topFile };
  }

  /** The default from the policy's last `@default`, if any. */
  get statedDefault(): Action | null {
    return this.policyDefault;
  }
}

/** `--default-action STR`: one line of its own, errors against `<memory>`, where `kill` always means kill-process (Q5). */
function commandLineDefaultAction(text: string, arch: ArchTable): Action {
  // Its tokens carry their own line, but errors that point at no token come
  // from the reference parser's untouched state: line 0, an empty source line.
  const line = { tokens: tokenizeSingleLine(text, COMMAND_LINE_FILE).tokens, endLine: { text: '', number: 0 } };
  const checks: ParseChecks = {
    denylist: false,
    retLog: false,
    constant: (token) => void singleConstantValue(token, arch),
    syscallDescriptor: () => undefined,
  };
  const syntax = parseStandaloneAction(line, checks);
  return resolveAction(syntax, { arch, killAction: makeAction('kill-process', null), retLog: false });
}

function checkIncludeDepthLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
    throw new RangeError(`includeDepthLimit must be a positive integer, not ${String(limit)}`);
  }
}

/** The PolicyIR of a policy whose top-level text is given; `file` names it in errors and anchors its includes. */
export function resolvePolicyText(text: string, file: string, options: ParseOptions): PolicyIR {
  checkIncludeDepthLimit(options.includeDepthLimit);
  // The reference settles the kill action, then --default-action, before it reads the policy.
  const killAction = killActionFor(options, options.arch);
  if (killAction === null) throw errorAtFileStart(MESSAGES.denylistNeedsEperm, file);
  const override = options.defaultAction ? commandLineDefaultAction(options.defaultAction, options.arch) : null;
  const resolver = new PolicyResolver(options, killAction);
  resolver.resolveFile(file, text);
  const defaultAction = override ?? resolver.statedDefault ?? (options.denylist ? makeAction('allow', null) : killAction);
  return resolver.finish(defaultAction, file);
}

/** The PolicyIR of a policy file. */
export function resolvePolicyFile(file: string, options: ParseOptions): PolicyIR {
  const readFile = options.readFile ?? readUtf8;
  let text: string;
  try {
    text = readFile(file);
  } catch (error) {
    throw new PolicyFileError(file, error);
  }
  return resolvePolicyText(text, file, options);
}
