import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateMinijailProgram } from '../../src/bpf/codegen/minijail/index.js';
import { generateOptimizedProgram } from '../../src/bpf/codegen/optimized/index.js';
import { cachedSyscalls } from '../../src/bpf/kernel-cache.js';
import { decidingRules } from '../../src/policy/evaluate.js';
import { compareLayouts } from './compare.js';
import { generateInputs } from './inputs.js';
import { policyArbitrary } from './random-policies.js';

describe('optimized layout on random policies', () => {
  it('decides every input as the Minijail layout does, except the hardening (KILL_PROCESS)', () => {
    fc.assert(
      fc.property(policyArbitrary(), fc.constantFrom<'bst' | 'linear'>('bst', 'bst', 'linear'), ({ ir, description }, strategy) => {
        const minijail = generateMinijailProgram(ir, { strategy });
        const optimized = generateOptimizedProgram(ir, { strategy });
        const result = compareLayouts(ir, minijail, optimized, generateInputs(ir, { minimum: 1500, seed: ir.rules.length }));
        expect(result.problems, description).toEqual([]);
        // The x32 check costs two tests that the Minijail layout does not have;
        // only tiny x86_64 policies have too little else to save to pay for them.
        const allowance = ir.arch.name === 'x86_64' ? 2 : 0;
        expect(optimized.length, description).toBeLessThanOrEqual(minijail.length + allowance);
        // Plainly allowed syscalls are reached without an argument load: the kernel caches them.
        const plainlyAllowed = ir.denylist ? [] : [...decidingRules(ir)].filter(([, rule]) => rule.plainlyAllowed).map(([number]) => number);
        const cached = new Set(cachedSyscalls(optimized, ir.arch.auditArch, plainlyAllowed));
        expect(plainlyAllowed.filter((number) => !cached.has(number)), description).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
