/**
 * Arguments that make a clause hold: used to exercise each allowing clause of
 * an argument filter (benchmarks, equivalence tests, `check` examples).
 */
import type { Atom, Clause } from './ir.js';
import { atomHolds } from './evaluate.js';
import { makeSeccompData, SECCOMP_DATA_ARGUMENT_COUNT } from '../bpf/seccomp-data.js';

/** Values worth trying for an argument compared with these atoms. */
export function candidateValues(atoms: readonly Atom[], bits: 32 | 64): bigint[] {
  const max = bits === 64 ? (1n << 64n) - 1n : 0xffffffffn;
  const wrap = (value: bigint): bigint => BigInt.asUintN(bits, value);
  const candidates = new Set<bigint>([0n, max, 1n]);
  for (const atom of atoms) {
    const value = wrap(atom.value);
    for (const candidate of [value, wrap(value + 1n), wrap(value - 1n), wrap(~value), value & 0xffffffffn, value >> 1n]) {
      candidates.add(candidate);
    }
  }
  // Bits that `&` atoms ask for, combined with values other atoms pin down.
  const masks = atoms.filter((atom) => atom.operator === '&').map((atom) => wrap(atom.value));
  for (const mask of masks) {
    const lowestBit = mask & -mask;
    for (const candidate of [...candidates]) candidates.add(candidate | lowestBit);
  }
  return [...candidates];
}

/**
 * An argument vector under which every atom of the clause holds, or
 * undefined when none of the candidate values satisfies some argument.
 */
export function clauseWitness(clause: Clause, bits: 32 | 64): bigint[] | undefined {
  const args: bigint[] = new Array<bigint>(SECCOMP_DATA_ARGUMENT_COUNT).fill(0n);
  const byArgument = new Map<number, Atom[]>();
  for (const atom of clause) {
    let atoms = byArgument.get(atom.argument);
    if (atoms === undefined) byArgument.set(atom.argument, (atoms = []));
    atoms.push(atom);
  }
  for (const [argument, atoms] of byArgument) {
    if (argument >= SECCOMP_DATA_ARGUMENT_COUNT) return undefined;
    const fits = candidateValues(atoms, bits).find((candidate) => {
      const probe = [...args];
      probe[argument] = candidate;
      const data = makeSeccompData(0, 0, probe);
      return atoms.every((atom) => atomHolds(atom, data, bits));
    });
    if (fits === undefined) return undefined;
    args[argument] = fits;
  }
  return args;
}
