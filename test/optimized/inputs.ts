/**
 * seccomp_data inputs that probe every place where two layouts of one policy
 * could disagree: every syscall number of the arch (and a margin past it),
 * the x32 range and -1, wrong arch values, and for each listed syscall
 * argument vectors built from the boundaries of its constants (v, v±1, 0,
 * all-ones, complements, high words 0 / all-ones / random).
 */
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64 } from '../../src/bpf/audit-arch.js';
import { makeSeccompData, type SeccompData } from '../../src/bpf/seccomp-data.js';
import { clauseWitness } from '../../src/policy/clause-witness.js';
import type { Atom, PolicyIR } from '../../src/policy/ir.js';

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function randomSource(seed: number): { next32: () => number; below: (n: number) => number; next64: () => bigint } {
  let state = seed >>> 0;
  const next32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    next32,
    below: (n: number) => next32() % n,
    next64: () => (BigInt(next32()) << 32n) | BigInt(next32()),
  };
}

const WORD = 0xffffffffn;
const ALL_ONES_64 = (1n << 64n) - 1n;

/** Argument values worth trying against these atoms. */
function interestingValues(atoms: readonly Atom[], random: ReturnType<typeof randomSource>): bigint[] {
  const values = new Set<bigint>([0n, 1n, WORD, ALL_ONES_64, 1n << 32n, (1n << 32n) - 1n]);
  for (const atom of atoms) {
    const v = BigInt.asUintN(64, atom.value);
    const low = v & WORD;
    for (const candidate of [v, v + 1n, v - 1n, ~v, low, low + 1n, low - 1n, v ^ (1n << 32n)]) values.add(BigInt.asUintN(64, candidate));
    // The same low word under high words 0, all-ones and random.
    values.add(low | (WORD << 32n));
    values.add(low | (BigInt(random.next32()) << 32n));
    // Single bits of masks and values.
    if (v !== 0n) values.add(v & -v);
  }
  return [...values];
}

const WRONG_ARCHES = [0, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, 0xffffffff, 0x40000000];

export interface InputOptions {
  /** At least this many inputs (default 20,000). */
  readonly minimum?: number;
  readonly seed?: number;
}

/** The inputs for one policy. */
export function generateInputs(ir: PolicyIR, options: InputOptions = {}): SeccompData[] {
  const minimum = options.minimum ?? 20_000;
  const random = randomSource(options.seed ?? 0x5eccc0);
  const arch = ir.arch.auditArch >>> 0;
  const inputs: SeccompData[] = [];
  const maxNumber = Math.max(0, ...ir.arch.syscalls.values(), ...ir.rules.map((rule) => rule.number));

  const atomsByRule = new Map(ir.rules.map((rule) => [rule, rule.filters.flatMap((filter) => (filter.expression ?? []).flat())]));
  const allAtoms = [...atomsByRule.values()].flat();
  const globalValues = interestingValues(allAtoms, random);
  const pick = <T>(items: readonly T[]): T => items[random.below(items.length)];
  const randomArgs = (values: readonly bigint[]): bigint[] =>
    Array.from({ length: 6 }, () => (random.below(8) === 0 ? random.next64() : pick(values)));

  // Every syscall number of the ordinary table and a margin past it; the
  // sparse private numbers (arm's 0xf0000 block) with their neighbours.
  const numbers = new Set<number>();
  const denseEnd = Math.min(maxNumber, 1023) + 16;
  for (let nr = 0; nr <= denseEnd; nr++) numbers.add(nr);
  for (const nr of [...ir.arch.syscalls.values(), ...ir.rules.map((rule) => rule.number)]) {
    for (const near of [nr - 1, nr, nr + 1]) if (near >= 0) numbers.add(near >>> 0);
  }
  for (const nr of numbers) inputs.push(makeSeccompData(nr, arch, randomArgs(globalValues)));
  // x32 numbers, -1, and other large numbers.
  const x32Numbers = [0x40000000, 0x40000001, 0x3fffffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0xfffffffd];
  for (const rule of ir.rules) x32Numbers.push((rule.number | 0x40000000) >>> 0);
  for (let index = 0; index < 64; index++) x32Numbers.push(random.next32());
  for (const nr of x32Numbers) inputs.push(makeSeccompData(nr, arch, randomArgs(globalValues)));
  // Wrong arches, on listed and unlisted numbers.
  for (const wrong of WRONG_ARCHES.filter((value) => value !== arch).concat([arch ^ 1, arch ^ 0x80000000])) {
    for (const rule of ir.rules) inputs.push(makeSeccompData(rule.number, wrong, randomArgs(globalValues)));
    inputs.push(makeSeccompData(maxNumber + 1, wrong));
  }

  // Listed syscalls with filters: a witness per clause, then boundary combinations.
  const filtered = ir.rules.filter((rule) => (atomsByRule.get(rule) ?? []).length > 0);
  const valuesByRule = new Map(filtered.map((rule) => [rule, interestingValues(atomsByRule.get(rule)!, random)]));
  for (const rule of filtered) {
    for (const filter of rule.filters) {
      for (const clause of filter.expression ?? []) {
        const witness = clauseWitness(clause, ir.arch.bits);
        if (witness !== undefined) inputs.push(makeSeccompData(rule.number, arch, witness));
      }
    }
  }
  const listed = ir.rules.length > 0 ? ir.rules : [];
  while (inputs.length < minimum) {
    if (filtered.length > 0 && random.below(8) !== 0) {
      const rule = pick(filtered);
      inputs.push(makeSeccompData(rule.number, arch, randomArgs(valuesByRule.get(rule)!)));
    } else if (listed.length > 0 && random.below(2) === 0) {
      inputs.push(makeSeccompData(pick(listed).number, random.below(64) === 0 ? pick(WRONG_ARCHES) : arch, randomArgs(globalValues)));
    } else {
      inputs.push(makeSeccompData(random.below(denseEnd), arch, randomArgs(globalValues)));
    }
  }
  return inputs;
}
