/**
 * Real-kernel acceptance: every x86_64 corpus program loads with seccomp(2),
 * and for a sample of harmless system calls per program the kernel decides
 * what our simulator says it decides.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProgram, type Instruction } from '../../src/bpf/index.js';
import { compilePolicy, type CodeLayout } from '../../src/compile.js';
import { corpusArch, corpusRoot, expectedBpfFiles, haveCorpus, readExpected } from '../bpf/corpus.js';
import { canRunKernelTests, LoadFilterHelper, type KernelOutcome } from './load-filter.js';
import { chooseSamples, describeOutcome, expectedOutcome, type Sample } from './sampler.js';

interface CorpusProgram {
  readonly name: string;
  readonly program: readonly Instruction[];
}

/** The reference compiler's programs (Minijail layout) for every x86_64 corpus policy. */
function referencePrograms(): CorpusProgram[] {
  return expectedBpfFiles()
    .filter((relative) => relative.startsWith(path.join('crosvm-2023', 'x86_64') + path.sep))
    .map((relative) => ({ name: `reference ${path.basename(relative, '.bpf')}`, program: decodeProgram(readExpected(relative)) }));
}

/** Our compiler's program for every x86_64 corpus policy, as crosvm builds them (--default-action trap). */
function compiledPrograms(layout: CodeLayout): CorpusProgram[] {
  const folder = path.join(corpusRoot, 'crosvm-2023', 'x86_64');
  return readdirSync(folder)
    .filter((name) => name.endsWith('.policy'))
    .sort()
    .map((name) => ({
      name: `${layout} ${path.basename(name, '.policy')}`,
      program: compilePolicy(path.join(folder, name), { arch: corpusArch('x86_64'), defaultAction: 'trap', layout }).program,
    }));
}

const runnable = haveCorpus && canRunKernelTests;
if (!runnable) console.warn('kernel acceptance tests skipped: they need ../shared/corpus and an x86_64 Linux host');

describe.skipIf(!runnable)('the kernel and the x86_64 corpus programs (needs ../shared/corpus, x86_64 Linux)', () => {
  let helper: LoadFilterHelper;
  const unfilteredCache = new Map<string, KernelOutcome>();

  beforeAll(() => {
    helper = LoadFilterHelper.build();
  });
  afterAll(() => helper?.dispose());

  const keyOf = (sample: Sample): string => [sample.call.nr, ...sample.call.args].join(',');

  /** The same calls without a filter, once per distinct call. */
  function unfilteredOutcomes(samples: readonly Sample[]): KernelOutcome[] {
    const missing = [...new Map(samples.filter((s) => !unfilteredCache.has(keyOf(s))).map((s) => [keyOf(s), s])).values()];
    helper.calls(null, missing.map((s) => s.call)).forEach((outcome, index) => unfilteredCache.set(keyOf(missing[index]), outcome));
    return samples.map((s) => unfilteredCache.get(keyOf(s))!);
  }

  function checkPrograms(programs: readonly CorpusProgram[]): { checked: number; classes: Map<string, number> } {
    const rejected = programs.flatMap(({ name, program }) => {
      const problem = helper.load(program);
      return problem === null ? [] : [`${name}: ${problem}`];
    });
    expect(rejected).toEqual([]);

    const mismatches: string[] = [];
    const classes = new Map<string, number>();
    let checked = 0;
    for (const { name, program } of programs) {
      const samples = chooseSamples(program, corpusArch('x86_64'), { perClass: 2, argFiltered: 3 });
      const unfiltered = unfilteredOutcomes(samples);
      const kernel = helper.calls(program, samples.map((s) => s.call));
      samples.forEach((sample, index) => {
        const expected = expectedOutcome(sample, unfiltered[index]);
        if (expected === undefined) return;
        checked++;
        const kind = sample.argFiltered ? `arg-filtered ${sample.actionClass}` : sample.actionClass;
        classes.set(kind, (classes.get(kind) ?? 0) + 1);
        const actual = describeOutcome(kernel[index]);
        if (actual !== expected) mismatches.push(`${name}: ${sample.label}: simulator says ${expected}, kernel did ${actual}`);
      });
    }
    expect(mismatches).toEqual([]);
    return { checked, classes };
  }

  it('the helper sees the kernel refuse a program (so "accepted" means something)', () => {
    const outOfRangeLoad: Instruction[] = [
      { code: 0x20, jt: 0, jf: 0, k: 64 }, // LD W ABS past the end of seccomp_data
      { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
    ];
    expect(helper.load(outOfRangeLoad)).toMatch(/^exit 3: rejected 22\b/);
    expect(helper.load([{ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }])).toBeNull();
  });

  it('accepts every reference (Minijail-layout) program and decides sampled calls as the simulator does', () => {
    const programs = referencePrograms();
    expect(programs.length).toBeGreaterThan(0);
    const { checked, classes } = checkPrograms(programs);
    // The sample must really cover every kind of decision the corpus makes.
    for (const kind of ['allow', 'trap', 'arg-filtered allow', 'arg-filtered trap']) expect(classes.get(kind) ?? 0, kind).toBeGreaterThan(0);
    console.log(`kernel: ${programs.length} reference programs loaded, ${checked} calls compared (${[...classes].map(([k, n]) => `${k} ${n}`).join(', ')})`);
  });

  it.each(['minijail', 'optimized'] as const)(
    'accepts every program our compiler emits for the x86_64 corpus in the %s layout, and decides sampled calls as the simulator does',
    (layout) => {
      const programs = compiledPrograms(layout);
      expect(programs.length).toBe(referencePrograms().length);
      const { checked, classes } = checkPrograms(programs);
      const kinds = ['allow', 'trap', 'arg-filtered allow', 'arg-filtered trap', ...(layout === 'optimized' ? ['kill'] : [])];
      for (const kind of kinds) expect(classes.get(kind) ?? 0, kind).toBeGreaterThan(0);
      console.log(`kernel: ${programs.length} ${layout}-layout programs loaded, ${checked} calls compared (${[...classes].map(([k, n]) => `${k} ${n}`).join(', ')})`);
    },
  );
});
