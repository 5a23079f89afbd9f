/**
 * The grammar of policy statements (policy-language.md §3): one logical line
 * in, one statement out.
 *
 * The reference interleaves syntax with lookups (an unknown constant is
 * reported before a syntax error later on the same line), so the parser calls
 * `ParseChecks` at exactly the points where the reference looks things up.
 * The resolver passes checks bound to an arch; `parsePolicySyntax` passes
 * none and gets the statements as written.
 */
import { MESSAGES } from './error-messages.js';
import { PolicyLexer, type LogicalLine, type Token, type TokenKind } from './lexer.js';
import { errorAfterLine, errorAtToken } from './report.js';
import { COMMAND_LINE_FILE } from './source-location.js';
import type {
  ActionSyntax,
  AtomSyntax,
  ConstantSyntax,
  DefaultStatement,
  ExpressionSyntax,
  FilterSyntax,
  FrequencyEntry,
  MetadataEntrySyntax,
  PolicyStatement,
  SyscallDescriptorSyntax,
  ValueSyntax,
} from './syntax.js';
import { parseNumericLiteral } from './values.js';

/** `argN` indexes 0..6 (the reference's MAX_SYSCALL_ARGUMENTS is 7). */
export const ARGUMENT_COUNT = 7;

/**
 * Parentheses deeper than this are refused (the reference dies of Python's
 * recursion limit somewhat below 500 levels; docs/divergences.md).
 */
export const MAX_PARENTHESIS_DEPTH = 200;

/** Lookups the reference makes while it parses, in its order. */
export interface ParseChecks {
  /** --denylist: every action word must be `return` (checked as the action token is read). */
  readonly denylist: boolean;
  /** --use-ret-log: `return X` becomes log and X is not checked at all. */
  readonly retLog: boolean;
  /** A single constant (IDENTIFIER or NUMERIC_CONSTANT token) just read: known name, in range. */
  constant(token: Token): void;
  /** A syscall descriptor, metadata included, just read: arch filter, group or syscall name. */
  syscallDescriptor(descriptor: SyscallDescriptorSyntax): void;
}

/** No lookups: the statements as written, for tools that work without an arch. */
export const SYNTAX_ONLY: ParseChecks = {
  denylist: false,
  retLog: false,
  constant: () => undefined,
  syscallDescriptor: () => undefined,
};

const DEFAULT_ACTIONS = new Set(['kill-process', 'kill-thread', 'kill', 'trap', 'user-notify']);

/** The tokens of one logical line, consumed front to back. */
class TokenQueue {
  private index = 0;

  constructor(private readonly line: LogicalLine) {}

  get empty(): boolean {
    return this.index >= this.line.tokens.length;
  }

  peek(): Token | undefined {
    return this.line.tokens[this.index];
  }

  /** True when the next token exists and is of this kind. */
  nextIs(kind: TokenKind): boolean {
    return this.peek()?.kind === kind;
  }

  pop(): Token {
    return this.line.tokens[this.index++];
  }

  /** An error that points one past the end of the statement's last physical line. */
  errorAtEnd(message: string): Error {
    return errorAfterLine(message, this.line.tokens[0].file, this.line.endLine);
  }
}

class StatementParser {
  private parenthesisDepth = 0;

  constructor(
    private readonly tokens: TokenQueue,
    private readonly checks: ParseChecks,
  ) {}

  // single-constant = IDENTIFIER | NUMERIC_CONSTANT
  private singleConstant(token: Token): Token {
    if (token.kind !== 'IDENTIFIER' && token.kind !== 'NUMERIC_CONSTANT') throw errorAtToken(MESSAGES.invalidConstant, token);
    this.checks.constant(token);
    return token;
  }

  // constant = [ '~' ] , ( '(' , value , ')' | single-constant )
  private constant(): ConstantSyntax {
    const { tokens } = this;
    let complement: Token | null = null;
    if (tokens.nextIs('BITWISE_COMPLEMENT')) {
      complement = tokens.pop();
      if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyComplement);
      if (tokens.nextIs('BITWISE_COMPLEMENT')) throw errorAtToken(MESSAGES.invalidDoubleComplement, tokens.peek() as Token);
    }
    if (tokens.nextIs('LPAREN')) {
      const open = tokens.pop();
      if (++this.parenthesisDepth > MAX_PARENTHESIS_DEPTH) throw errorAtToken(MESSAGES.parenthesesNestedTooDeep, open);
      const value = this.value();
      this.parenthesisDepth--;
      if (!tokens.nextIs('RPAREN')) throw errorAtToken(MESSAGES.unclosedParenthesis, open);
      tokens.pop();
      return { complement, operand: { kind: 'group', open, value } };
    }
    const token = this.singleConstant(tokens.peek() as Token);
    tokens.pop();
    return { complement, operand: { kind: 'single', token } };
  }

  // value = constant , { '|' , constant }
  value(): ValueSyntax {
    const { tokens } = this;
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyConstant);
    const terms: ConstantSyntax[] = [];
    for (;;) {
      terms.push(this.constant());
      if (!tokens.nextIs('BITWISE_OR')) return { terms };
      tokens.pop();
      if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyConstant);
    }
  }

  // atom = ARGUMENT , OP , value
  private atom(): AtomSyntax {
    const { tokens } = this;
    const argument = tokens.pop();
    if (argument.kind !== 'ARGUMENT') throw errorAtToken(MESSAGES.invalidArgument, argument);
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingOperator);
    const operator = tokens.pop();
    if (operator.kind !== 'OP') throw errorAtToken(MESSAGES.invalidOperator, operator);
    const value = this.value();
    // The index is checked after the value, as the reference does.
    const argumentIndex = Number.parseInt(argument.text.slice(3), 10);
    if (!(argumentIndex >= 0 && argumentIndex < ARGUMENT_COUNT)) throw errorAtToken(MESSAGES.invalidArgument, argument);
    return { argument, argumentIndex, operator, value };
  }

  // clause = atom , { '&&' , atom }
  private clause(): AtomSyntax[] {
    const { tokens } = this;
    const atoms: AtomSyntax[] = [];
    for (;;) {
      atoms.push(this.atom());
      if (!tokens.nextIs('AND')) return atoms;
      tokens.pop();
      if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyClause);
    }
  }

  // argument-expression = clause , { '||' , clause }
  private argumentExpression(): ExpressionSyntax {
    const { tokens } = this;
    const clauses: AtomSyntax[][] = [];
    for (;;) {
      clauses.push(this.clause());
      if (!tokens.nextIs('OR')) return clauses;
      tokens.pop();
      if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyArgumentExpression);
    }
  }

  // action = ACTION | NUMERIC_CONSTANT (only 1) | 'return' , single-constant
  action(): ActionSyntax {
    const { tokens } = this;
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingAction);
    const token = tokens.pop();
    if (this.checks.denylist && token.kind !== 'RETURN') throw tokens.errorAtEnd(MESSAGES.invalidDenylistPolicy);
    if (token.kind === 'ACTION') return { kind: 'keyword', token };
    if (token.kind === 'NUMERIC_CONSTANT') {
      this.singleConstant(token);
      if (parseNumericLiteral(token.text) === 1n) return { kind: 'numeric-allow', token };
    } else if (token.kind === 'RETURN') {
      if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingReturnValue);
      const value = tokens.pop();
      if (!this.checks.retLog) this.singleConstant(value);
      return { kind: 'return', keyword: token, value };
    }
    throw errorAtToken(MESSAGES.invalidAction, token);
  }

  // single-filter = argument-expression , [ ';' , action ] | action
  private singleFilter(): FilterSyntax {
    const { tokens } = this;
    if (tokens.nextIs('ARGUMENT')) {
      const expression = this.argumentExpression();
      if (!tokens.nextIs('SEMICOLON')) return { expression, action: null };
      tokens.pop();
      return { expression, action: this.action() };
    }
    return { expression: null, action: this.action() };
  }

  // filter = '{' , single-filter , { ',' , single-filter } , '}' | single-filter
  private filter(): FilterSyntax[] {
    const { tokens } = this;
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingFilter);
    if (!tokens.nextIs('LBRACE')) return [this.singleFilter()];
    const open = tokens.pop();
    const filters: FilterSyntax[] = [];
    while (!tokens.empty) {
      filters.push(this.singleFilter());
      if (!tokens.nextIs('COMMA')) break;
      tokens.pop();
    }
    if (!tokens.nextIs('RBRACE')) throw errorAtToken(MESSAGES.unclosedBrace, open);
    tokens.pop();
    return filters;
  }

  // key-value = IDENTIFIER , '=' , IDENTIFIER , { ',' , IDENTIFIER }
  private metadataEntry(): MetadataEntrySyntax {
    const { tokens } = this;
    const key = tokens.pop();
    if (key.kind !== 'IDENTIFIER') throw errorAtToken(MESSAGES.invalidKey, key);
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingEqual);
    if (!tokens.nextIs('EQUAL')) throw errorAtToken(MESSAGES.invalidEqual, tokens.peek() as Token);
    tokens.pop();
    const values: Token[] = [];
    for (;;) {
      if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyValue);
      const value = tokens.pop();
      if (value.kind !== 'IDENTIFIER') throw errorAtToken(MESSAGES.invalidValue, value);
      values.push(value);
      if (!tokens.nextIs('COMMA')) return { key, values };
      tokens.pop();
    }
  }

  // metadata = '[' , key-value , { ';' , key-value } , ']'
  private metadata(): MetadataEntrySyntax[] {
    const { tokens } = this;
    const open = tokens.pop();
    const entries: MetadataEntrySyntax[] = [];
    while (!tokens.empty) {
      const entry = this.metadataEntry();
      if (entries.some((earlier) => earlier.key.text === entry.key.text)) {
        throw errorAtToken(MESSAGES.duplicateMetadataKey(entry.key.text), entry.key);
      }
      entries.push(entry);
      if (!tokens.nextIs('SEMICOLON')) break;
      tokens.pop();
    }
    if (!tokens.nextIs('RBRACKET')) throw errorAtToken(MESSAGES.unclosedBracket, open);
    tokens.pop();
    return entries;
  }

  // syscall-desc = ( IDENTIFIER | 'kill' ) , [ metadata ]
  syscallDescriptor(): SyscallDescriptorSyntax {
    const { tokens } = this;
    const name = tokens.pop();
    // `kill` lexes as an action, but it is also a syscall's name.
    if (name.kind !== 'IDENTIFIER' && name.text !== 'kill') throw errorAtToken(MESSAGES.invalidSyscallDescriptor, name);
    const descriptor = { name, metadata: tokens.nextIs('LBRACKET') ? this.metadata() : null };
    this.checks.syscallDescriptor(descriptor);
    return descriptor;
  }

  // filter-stmt = ( '{' , syscall-desc , { ',' , syscall-desc } , '}' | syscall-desc ) , ':' , filter
  filterStatement(): { syscalls: SyscallDescriptorSyntax[]; colon: Token; filters: FilterSyntax[] } {
    const { tokens } = this;
    const syscalls: SyscallDescriptorSyntax[] = [];
    if (tokens.nextIs('LBRACE')) {
      const open = tokens.pop();
      while (!tokens.empty) {
        syscalls.push(this.syscallDescriptor());
        if (!tokens.nextIs('COMMA')) break;
        tokens.pop();
      }
      if (!tokens.nextIs('RBRACE')) throw errorAtToken(MESSAGES.unclosedBrace, open);
      tokens.pop();
    } else {
      syscalls.push(this.syscallDescriptor());
    }
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingColon);
    if (!tokens.nextIs('COLON')) throw errorAtToken(MESSAGES.invalidColon, tokens.peek() as Token);
    const colon = tokens.pop();
    return { syscalls, colon, filters: this.filter() };
  }

  /** `@include PATH` / `@frequency PATH`: the path token. */
  pathOperand(empty: string, invalid: string): Token {
    const { tokens } = this;
    tokens.pop();
    if (tokens.empty) throw tokens.errorAtEnd(empty);
    const path = tokens.pop();
    if (path.kind !== 'PATH') throw errorAtToken(invalid, path);
    return path;
  }

  // default-stmt = '@default' , default-action
  defaultAction(): Token {
    const { tokens } = this;
    tokens.pop();
    if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.emptyAction);
    const action = tokens.pop();
    if (action.kind !== 'ACTION') throw errorAtToken(MESSAGES.invalidDefaultAction, action);
    if (!DEFAULT_ACTIONS.has(action.text)) throw errorAtToken(MESSAGES.invalidPermissiveDefaultAction, action);
    return action;
  }

  /** The first token left over, if any. */
  leftover(): Token | null {
    return this.tokens.peek() ?? null;
  }
}

/** One statement from one logical line (chosen by its first token). */
export function parseStatement(line: LogicalLine, checks: ParseChecks = SYNTAX_ONLY): PolicyStatement {
  const parser = new StatementParser(new TokenQueue(line), checks);
  const first = line.tokens[0];
  const endLine = line.endLine;
  switch (first.kind) {
    case 'INCLUDE': {
      const path = parser.pathOperand(MESSAGES.emptyIncludePath, MESSAGES.invalidIncludePath);
      return { kind: 'include', keyword: first, path, endLine, extraToken: parser.leftover() };
    }
    case 'FREQUENCY': {
      const path = parser.pathOperand(MESSAGES.emptyFrequencyPath, MESSAGES.invalidFrequencyPath);
      return { kind: 'frequency', keyword: first, path, endLine, extraToken: parser.leftover() };
    }
    case 'DEFAULT': {
      const statement: DefaultStatement = { kind: 'default', keyword: first, action: parser.defaultAction(), endLine, extraToken: parser.leftover() };
      return statement;
    }
    case 'DENYLIST':
      // `@denylist` only lexes at the very end of a line, so nothing can follow it.
      return { kind: 'denylist', keyword: first, endLine, extraToken: null };
    default: {
      const { syscalls, colon, filters } = parser.filterStatement();
      return { kind: 'filter', syscalls, colon, filters, endLine, extraToken: parser.leftover() };
    }
  }
}

/** One line of a frequency file: `syscall-desc : NUMBER`, anything after the number ignored. */
export function parseFrequencyEntry(line: LogicalLine, checks: ParseChecks = SYNTAX_ONLY): FrequencyEntry {
  const tokens = new TokenQueue(line);
  const parser = new StatementParser(tokens, checks);
  const syscall = parser.syscallDescriptor();
  if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingColon);
  if (!tokens.nextIs('COLON')) throw errorAtToken(MESSAGES.invalidColon, tokens.peek() as Token);
  tokens.pop();
  if (tokens.empty) throw tokens.errorAtEnd(MESSAGES.missingNumber);
  const count = tokens.pop();
  if (count.kind !== 'NUMERIC_CONSTANT') throw errorAtToken(MESSAGES.invalidNumber, count);
  return { syscall, count, endLine: line.endLine };
}

/** An action given outside any file (`--default-action`), parsed as the reference does: its own line, no checks but constants. */
export function parseStandaloneAction(line: LogicalLine, checks: ParseChecks): ActionSyntax {
  if (line.tokens.length === 0) throw errorAfterLine(MESSAGES.missingAction, COMMAND_LINE_FILE, line.endLine);
  return new StatementParser(new TokenQueue(line), checks).action();
}

/**
 * Every statement of a policy text as written: no includes followed, nothing
 * looked up. Throws the first syntax error (PolicyError). `extra tokens` is
 * reported for every statement here; compiling skips it for a statement whose
 * syscalls all belong to other arches, as the reference does.
 */
export function parsePolicySyntax(text: string, file: string): PolicyStatement[] {
  const statements: PolicyStatement[] = [];
  for (const line of new PolicyLexer(text, file).logicalLines()) {
    const statement = parseStatement(line);
    if (statement.extraToken !== null) throw errorAtToken(MESSAGES.extraTokens, statement.extraToken);
    statements.push(statement);
  }
  return statements;
}
