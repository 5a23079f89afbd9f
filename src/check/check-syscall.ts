/**
 * What `jail-run check` reports for one system call, computed twice on
 * purpose: by running the compiled filter in the simulator and by evaluating
 * the policy itself. They must agree; the policy evaluation also says which
 * line decides.
 */
import { describePolicyAction, isConstantAllow, makeSeccompData, simulate } from '../bpf/index.js';
import type { CompiledPolicy } from '../compile.js';
import { evaluatePolicy, type DecidedBy } from '../policy/evaluate.js';
import { locationInPolicy, type SourceLocation } from '../policy/source-location.js';
import { describeDecision, sourceLineAt } from './describe-decision.js';

/** The syscall asked about: its number, and its name when the arch's table has one. */
export interface SelectedSyscall {
  /** undefined for a number the arch's table has no name for. */
  readonly name: string | undefined;
  readonly number: number;
}

/** The compiled filter and the policy's own meaning disagree: a compiler bug, never the user's fault. */
export class InternalMismatchError extends Error {
  constructor(message: string) {
    super(`internal error: ${message}; this is a bug in jail-run, please report it with the policy`);
    this.name = 'InternalMismatchError';
  }
}

export interface CheckReport {
  readonly arch: string;
  readonly layout: string;
  readonly syscall: { readonly name: string | null; readonly number: number };
  /** All six arguments as the filter sees them, in hex. */
  readonly args: readonly string[];
  /** How many arguments the user gave (the text form shows only those). */
  readonly givenArguments: number;
  readonly action: { readonly text: string; readonly value: string };
  readonly instructionsExecuted: number;
  readonly programLength: number;
  readonly kernelCached: boolean;
  readonly decidedBy: { readonly kind: DecidedBy['kind']; readonly text: string; readonly location: SourceLocation | null };
}

const hex = (value: bigint | number): string => `0x${value.toString(16)}`;

export function checkSyscall(
  compiled: CompiledPolicy,
  syscall: SelectedSyscall,
  args: readonly bigint[],
  context: { readonly defaultFromCommandLine: boolean },
): CheckReport {
  const data = makeSeccompData(syscall.number, compiled.arch.auditArch, args);
  const simulated = simulate(compiled.program, data);
  const evaluation = evaluatePolicy(compiled.ir, data, { layout: compiled.layout });
  if (simulated.action >>> 0 !== evaluation.action >>> 0) {
    throw new InternalMismatchError(
      `for syscall ${syscall.name ?? hex(syscall.number)} the compiled filter returns ${describePolicyAction(simulated.action, compiled.arch)} ` +
        `but the policy says ${describePolicyAction(evaluation.action, compiled.arch)}`,
    );
  }
  return {
    arch: compiled.arch.name,
    layout: compiled.layout,
    syscall: { name: syscall.name ?? null, number: syscall.number },
    args: data.args.map(hex),
    givenArguments: args.length,
    action: { text: describePolicyAction(simulated.action, compiled.arch), value: hex(simulated.action >>> 0) },
    instructionsExecuted: simulated.instructionsExecuted,
    programLength: compiled.program.length,
    kernelCached: isConstantAllow(compiled.program, syscall.number, compiled.arch.auditArch),
    decidedBy: { kind: evaluation.decidedBy.kind, text: describeDecision(evaluation, context), location: locationInPolicy(evaluation.location) },
  };
}

/** The report as people read it: the call and its action, then indented facts, then the deciding source line. */
export function formatCheckReport(report: CheckReport): string {
  const name = report.syscall.name ?? `syscall ${hex(report.syscall.number)}`;
  const source = sourceLineAt(report.decidedBy.location);
  return [
    `${name}(${report.args.slice(0, report.givenArguments).join(', ')}): ${report.action.text}`,
    `  instructions executed: ${report.instructionsExecuted} (${report.layout} layout, ${report.programLength} in the program, ${report.arch})`,
    `  kernel cache: ${report.kernelCached ? 'cached: the kernel allows it without running the filter' : 'not cached: the filter runs on every call'}`,
    `  decided by: ${report.decidedBy.text}`,
    ...(source === undefined ? [] : [`      ${source.trim()}`]),
  ].join('\n');
}
