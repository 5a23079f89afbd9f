/**
 * Policy file to seccomp program: the language stage (src/policy) then one of
 * the two code layouts (src/bpf). Every program is checked against the
 * kernel's length limit and load-time rules before it is handed out, so a
 * policy that compiles is one the kernel will accept.
 */
import { hostArch, resolveArch } from './arch/index.js';
import type { ArchTable } from './arch/types.js';
import { checkProgramLength, generateMinijailProgram, verifyProgram, type Instruction } from './bpf/index.js';
import { generateOptimizedProgram } from './bpf/codegen/optimized/index.js';
import { parsePolicyFile, parsePolicyText, type ParseOptions } from './policy/index.js';
import type { PolicyIR } from './policy/ir.js';

export type CodeLayout = 'optimized' | 'minijail';

export type CompileOptions = Omit<ParseOptions, 'arch'> & {
  /** An arch name (x86_64, aarch64, arm, or an alias) or a loaded table; default: the host's. */
  readonly arch?: string | ArchTable;
  /** 'optimized' (default) or 'minijail' (byte-identical to Minijail's compiler). */
  readonly layout?: CodeLayout;
  /** Syscall-number dispatch: 'bst' (default) or 'linear'. */
  readonly strategy?: 'bst' | 'linear';
};

export interface CompiledPolicy {
  readonly program: Instruction[];
  readonly ir: PolicyIR;
  readonly layout: CodeLayout;
  readonly arch: ArchTable;
}

function archTable(arch: string | ArchTable | undefined): ArchTable {
  if (arch === undefined) return resolveArch(hostArch());
  return typeof arch === 'string' ? resolveArch(arch) : arch;
}

/** Code generation for an IR; throws ProgramTooLongError or InvalidProgramError for programs the kernel would refuse. */
export function generateProgram(ir: PolicyIR, layout: CodeLayout = 'optimized', strategy: 'bst' | 'linear' = 'bst'): Instruction[] {
  const program = layout === 'minijail' ? generateMinijailProgram(ir, { strategy }) : generateOptimizedProgram(ir, { strategy });
  checkProgramLength(program);
  verifyProgram(program);
  return program;
}

function parseOptionsOf(options: CompileOptions, arch: ArchTable): ParseOptions {
  const { layout: _layout, strategy: _strategy, arch: _arch, ...languageOptions } = options;
  return { ...languageOptions, arch };
}

/**
 * Compiles a policy file. Throws PolicyError (file:line:column) for a bad
 * policy, PolicyFileError when the file cannot be read, UnknownArchError for
 * an unknown arch name, ProgramTooLongError / InvalidProgramError for a
 * program the kernel would refuse.
 */
export function compilePolicy(file: string, options: CompileOptions = {}): CompiledPolicy {
  const arch = archTable(options.arch);
  const ir = parsePolicyFile(file, parseOptionsOf(options, arch));
  const layout = options.layout ?? 'optimized';
  return { program: generateProgram(ir, layout, options.strategy), ir, layout, arch };
}

/** As compilePolicy, for policy text in hand; `file` names it in errors and anchors its includes. */
export function compilePolicyText(text: string, file: string, options: CompileOptions = {}): CompiledPolicy {
  const arch = archTable(options.arch);
  const ir = parsePolicyText(text, file, parseOptionsOf(options, arch));
  const layout = options.layout ?? 'optimized';
  return { program: generateProgram(ir, layout, options.strategy), ir, layout, arch };
}
