/**
 * Corpus equivalence, shared by the per-arch test files (split so vitest
 * runs them on both cores): for every crosvm-2023 policy, at least 20,000
 * generated inputs give the same action in both layouts except the
 * hardening, both agree with the reference evaluator, and the optimized
 * program is valid, no longer than the Minijail one, and leaves every
 * plainly allowed syscall to the kernel's action cache.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateMinijailProgram } from '../../src/bpf/codegen/minijail/index.js';
import { generateOptimizedProgram } from '../../src/bpf/codegen/optimized/index.js';
import { cachedSyscalls } from '../../src/bpf/kernel-cache.js';
import { findProgramProblems } from '../../src/bpf/verify.js';
import { decidingRules } from '../../src/policy/evaluate.js';
import { parsePolicyFile } from '../../src/policy/index.js';
import { corpusArch, corpusRoot, haveCorpus } from '../bpf/corpus.js';
import { compareLayouts } from './compare.js';
import { generateInputs } from './inputs.js';

export const INPUTS_PER_POLICY = 20_000;

/** The corpus policies of one arch, sorted; empty without the corpus. */
export function corpusPolicies(arch: string): string[] {
  if (!haveCorpus) return [];
  return readdirSync(path.join(corpusRoot, 'crosvm-2023', arch))
    .filter((name) => name.endsWith('.policy'))
    .sort();
}

/** Tests part `part` (0-based) of `parts` of one arch's policies. */
export function describeCorpusEquivalence(arch: string, part = 0, parts = 1): void {
  const policies = corpusPolicies(arch).filter((_, index) => index % parts === part);
  describe(`optimized layout on the crosvm-2023 ${arch} corpus${parts > 1 ? ` (part ${part + 1} of ${parts})` : ''}`, () => {
    it.skipIf(!haveCorpus)(`has policies to test (needs ../shared/corpus)`, () => {
      expect(policies.length).toBeGreaterThan(0);
    });
    for (const name of policies) {
      it(`${name}: same decisions as the Minijail layout on ${INPUTS_PER_POLICY}+ inputs, valid, no longer, cached`, () => {
        const table = corpusArch(arch);
        // crosvm compiles with --default-action trap (corpus README).
        const ir = parsePolicyFile(path.join(corpusRoot, 'crosvm-2023', arch, name), { arch: table, defaultAction: 'trap' });
        const minijail = generateMinijailProgram(ir);
        const optimized = generateOptimizedProgram(ir);
        expect(findProgramProblems(optimized)).toEqual([]);
        expect(optimized.length).toBeLessThanOrEqual(minijail.length);

        const inputs = generateInputs(ir, { minimum: INPUTS_PER_POLICY, seed: name.length * 7919 });
        const result = compareLayouts(ir, minijail, optimized, inputs);
        expect(result.problems).toEqual([]);
        expect(result.checked).toBeGreaterThanOrEqual(INPUTS_PER_POLICY);
        expect(result.hardened).toBeGreaterThan(0);

        const plainlyAllowed = [...decidingRules(ir)].filter(([, rule]) => rule.plainlyAllowed).map(([number]) => number);
        const cached = new Set(cachedSyscalls(optimized, table.auditArch, plainlyAllowed));
        expect(plainlyAllowed.filter((number) => !cached.has(number))).toEqual([]);
      });
    }
  });
}
