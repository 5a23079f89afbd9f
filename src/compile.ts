/**
 * Policy file to seccomp program: the language stage (src/policy) then one of
 * the two code layouts (src/bpf). Every program is checked against the
 * kernel's length limit and load-time rules before it is handed out, so a
 * policy that compiles is one the kernel will accept.
 */
import { hostArch, resolveArch } from './arch/index.js';
import type { ArchTable } from './arch/types.js';
import { checkProgramLength, generateMinijailProgram, ProgramTooLongError, verifyProgram, type Instruction } from './bpf/index.js';
import { generateOptimizedProgram } from './bpf/codegen/optimized/index.js';
import { DispatchTooLargeError } from './bpf/codegen/minijail/dispatch-too-large.js';
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
  // Callers from plain JavaScript get no type check: a typo must not silently pick a default.
  if (layout !== 'optimized' && layout !== 'minijail') throw new RangeError(`layout must be "optimized" or "minijail", not ${JSON.stringify(layout)}`);
  if (strategy !== 'bst' && strategy !== 'linear') throw new RangeError(`strategy must be "bst" or "linear", not ${JSON.stringify(strategy)}`);
  const program = layout === 'minijail' ? generateMinijailProgram(ir, { strategy }) : generateOptimizedProgram(ir, { strategy });
  checkProgramLength(program);
  verifyProgram(program);
  return program;
}

/** generateProgram, with the policy file named in a too-long error: the user needs to know which policy to split. */
function generateProgramFor(file: string, ir: PolicyIR, options: CompileOptions): Instruction[] {
  try {
    return generateProgram(ir, options.layout ?? 'optimized', options.strategy);
  } catch (error) {
    if (error instanceof ProgramTooLongError && error.file === undefined) throw new ProgramTooLongError(error.length, error.limit, file, error.lowerBound);
    if (error instanceof DispatchTooLargeError && error.file === undefined) throw new DispatchTooLargeError(error.ranges, error.limit, file);
    throw error;
  }
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
  return { program: generateProgramFor(file, ir, options), ir, layout: options.layout ?? 'optimized', arch };
}

/** As compilePolicy, for policy text in hand; `file` names it in errors and anchors its includes. */
export function compilePolicyText(text: string, file: string, options: CompileOptions = {}): CompiledPolicy {
  const arch = archTable(options.arch);
  const ir = parsePolicyText(text, file, parseOptionsOf(options, arch));
  return { program: generateProgramFor(file, ir, options), ir, layout: options.layout ?? 'optimized', arch };
}
