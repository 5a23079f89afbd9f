/**
 * The cases the kernel is asked about for one filter, and the action our
 * simulator predicts for each.
 *
 * Every syscall number of the arch is searched (symbolic-paths.ts). Numbers
 * the policy names (from its IR when known) and numbers whose decision
 * differs from the most common one (the default action) are "named": each
 * gets one case per distinct action it can reach, then more per RET it can
 * reach. A sample of the rest stands for the
 * unlisted syscalls, and numbers outside the table (extraNumbers: -1, x32
 * numbers, another arch's numbers, ...) are searched the same way.
 */
import { simulate, type Instruction } from '../../src/bpf/index.js';
import { findPathInputs } from './symbolic-paths.js';

export interface ProbeCase {
  readonly nr: number;
  readonly args: readonly bigint[];
  /** The simulator's RET value for this input. */
  readonly expectedAction: number;
  readonly kind: 'named' | 'unlisted' | 'extra';
}

export interface CaseSelectionOptions {
  readonly auditArch: number;
  readonly bits: 32 | 64;
  /** The arch's syscall numbers. */
  readonly syscallNumbers: Iterable<number>;
  readonly extraNumbers?: readonly number[];
  /** Numbers the policy names (from its IR, when known): always treated as named. */
  readonly namedNumbers?: Iterable<number>;
  readonly unlistedSample?: number;
  readonly maxCasesPerSyscall?: number;
}

export interface CaseSelection {
  readonly cases: readonly ProbeCase[];
  readonly namedSyscalls: number;
  /** RET instructions some searched input reaches, of all RETs in the program. */
  readonly returnsReached: number;
  readonly returnsTotal: number;
  /** Numbers whose search stopped at its budget (their cases are still valid). */
  readonly truncatedSearches: number;
}

const isReturn = (instruction: Instruction): boolean => (instruction.code & 0x07) === 0x06;

export function selectCases(program: readonly Instruction[], options: CaseSelectionOptions): CaseSelection {
  const maxPerSyscall = options.maxCasesPerSyscall ?? 16;
  const reached = new Set<number>();
  let truncatedSearches = 0;

  const search = (nr: number): { args: readonly bigint[]; action: number }[] => {
    const result = findPathInputs(program, { nr: nr >>> 0, auditArch: options.auditArch, bits: options.bits });
    if (result.budgetExhausted) truncatedSearches++;
    return result.inputs.map((input) => {
      const simulated = simulate(program, { nr: nr >>> 0, arch: options.auditArch, instructionPointer: 0n, args: input.args });
      if (simulated.returnIndex !== input.returnIndex) {
        throw new Error(`path search and simulator disagree for nr ${nr}: RET ${input.returnIndex} vs ${simulated.returnIndex}`);
      }
      reached.add(input.returnIndex);
      return { args: input.args, action: simulated.action };
    });
  };

  /** One input per distinct action first, then further RETs, up to the limit. */
  const pick = (inputs: { args: readonly bigint[]; action: number }[], limit: number) => {
    const firstPerAction = new Map<number, { args: readonly bigint[]; action: number }>();
    for (const input of inputs) if (!firstPerAction.has(input.action)) firstPerAction.set(input.action, input);
    const first = [...firstPerAction.values()];
    const rest = inputs.filter((input) => !first.includes(input));
    return [...first, ...rest].slice(0, limit);
  };

  const numbers = [...new Set([...options.syscallNumbers].map((nr) => nr >>> 0))].sort((a, b) => a - b);
  const searched = numbers.map((nr) => {
    const inputs = search(nr);
    const signature = `${[...new Set(inputs.map((input) => input.action))].sort().join(',')}${inputs.length > 1 ? '+args' : ''}`;
    return { nr, inputs, signature };
  });
  const signatureCounts = new Map<string, number>();
  for (const { signature } of searched) signatureCounts.set(signature, (signatureCounts.get(signature) ?? 0) + 1);
  const commonSignature = [...signatureCounts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];

  const cases: ProbeCase[] = [];
  const namedByPolicy = new Set([...(options.namedNumbers ?? [])].map((nr) => nr >>> 0));
  const isNamed = (entry: { nr: number; signature: string }): boolean => entry.signature !== commonSignature || namedByPolicy.has(entry.nr);
  const named = searched.filter(isNamed);
  for (const entry of named) {
    for (const input of pick(entry.inputs, maxPerSyscall)) cases.push({ nr: entry.nr, args: input.args, expectedAction: input.action, kind: 'named' });
  }
  const unlisted = searched.filter((entry) => !isNamed(entry));
  const sample = options.unlistedSample ?? 6;
  const sampled = new Set<number>();
  for (let index = 0; index < Math.min(sample, unlisted.length); index++) {
    sampled.add(sample === 1 ? 0 : Math.round((index * (unlisted.length - 1)) / (sample - 1)));
  }
  for (const index of [...sampled].sort((a, b) => a - b)) {
    const entry = unlisted[index];
    for (const input of pick(entry.inputs, 1)) cases.push({ nr: entry.nr, args: input.args, expectedAction: input.action, kind: 'unlisted' });
  }
  for (const nr of options.extraNumbers ?? []) {
    for (const input of pick(search(nr), 4)) cases.push({ nr: nr >>> 0, args: input.args, expectedAction: input.action, kind: 'extra' });
  }
  return {
    cases,
    namedSyscalls: named.length,
    returnsReached: reached.size,
    returnsTotal: program.filter(isReturn).length,
    truncatedSearches,
  };
}
