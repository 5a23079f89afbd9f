/**
 * Cross-arch truth (docs/cross-arch.md): every aarch64 and arm filter judged
 * by a real arm64 Linux kernel (Debian's, in QEMU; arm through AArch32
 * compat), every x86_64 filter by the host kernel, through one probe and one
 * case format, against our simulator's prediction.
 *
 * This needs Debian's archive the first time (packages and the kernel, then
 * cached). When it cannot get them the tests FAIL with the reason: a green
 * run must mean the kernels were asked. A developer without the archive may
 * set JAIL_RUN_SKIP_CROSS_ARCH=1 to skip with a notice; CI (CI=true) ignores it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { haveCorpus } from '../bpf/corpus.js';
import {
  PROBE_ARCHES,
  actionCoverageFilters,
  corpusFilters,
  corruptedFilter,
  devicePolicyFilters,
  foreignArchFilters,
  limitFilters,
  type CorruptedFilter,
} from './filters.js';
import { runHarness, type FilterReport, type HarnessReport } from './harness.js';
import { prepareCrossArchTools, type CrossArchTools } from './prepare.js';

const skipRequested = process.env.JAIL_RUN_SKIP_CROSS_ARCH === '1' && process.env.CI !== 'true';
if (skipRequested) console.warn('cross-arch: skipped because JAIL_RUN_SKIP_CROSS_ARCH=1 (never on CI)');
if (!haveCorpus) console.warn('cross-arch: ../shared/corpus is absent: the corpus policies are not checked (device policies and the harness checks still are)');

const MESSAGES_SHOWN = 25;

describe.skipIf(skipRequested)('cross-arch: real kernels agree with the simulator', () => {
  let tools: CrossArchTools;
  let report: HarnessReport;
  let corrupted: CorruptedFilter[];
  const reportsFor = (predicate: (entry: FilterReport) => boolean): FilterReport[] => report.filters.filter(predicate);
  const isSelfCheck = (entry: FilterReport): boolean => entry.filter.predictFrom !== undefined;

  beforeAll(async () => {
    tools = prepareCrossArchTools();
    corrupted = PROBE_ARCHES.map(corruptedFilter);
    const filters = [
      ...corpusFilters(),
      ...devicePolicyFilters(),
      ...actionCoverageFilters(),
      ...foreignArchFilters(),
      ...corrupted.map((entry) => entry.filter),
      ...PROBE_ARCHES.flatMap(limitFilters),
    ];
    report = await runHarness({ tools, filters, runnersPerArch: 2 });
    const lines = [
      `cross-arch: kernel ${tools.kernelVersion}; prepare ${tools.elapsedMs} ms, cases ${report.timings.caseGenerationMs} ms, ` +
        `VM ${report.timings.vmMs} ms (boot ${report.vm?.bootMs ?? '?'} ms), host ${report.timings.hostMs} ms`,
    ];
    for (const runner of report.runners) {
      lines.push(`cross-arch: runner ${runner.label}: ${runner.cases} cases in ${runner.elapsedMs} ms, ${runner.children} child processes`);
    }
    for (const arch of PROBE_ARCHES) {
      const ofArch = reportsFor((entry) => entry.filter.probeArch === arch && !isSelfCheck(entry));
      const cases = ofArch.reduce((sum, entry) => sum + entry.cases.length, 0);
      const mismatches = ofArch.reduce((sum, entry) => sum + entry.mismatches.length, 0);
      const reached = ofArch.reduce((sum, entry) => sum + entry.returnsReached, 0);
      const returns = ofArch.reduce((sum, entry) => sum + entry.returnsTotal, 0);
      lines.push(
        `cross-arch: ${arch}: ${ofArch.length} filters, ${cases} cases, ${mismatches} mismatches ` +
          `(the path search reaches ${reached} of their ${returns} RET instructions; the arch-mismatch ones need the foreign-arch runs)`,
      );
    }
    console.log(lines.join('\n'));
  }, 900_000);

  it('the probes ran to the end without harness errors', () => {
    expect(report.harnessErrors).toEqual([]);
  });

  for (const arch of PROBE_ARCHES) {
    it(`${arch}: for every case the kernel's outcome is the simulator's action`, () => {
      const ofArch = reportsFor((entry) => entry.filter.probeArch === arch && !isSelfCheck(entry));
      const cases = ofArch.reduce((sum, entry) => sum + entry.cases.length, 0);
      expect(ofArch.length).toBeGreaterThan(0);
      expect(cases).toBeGreaterThan(ofArch.length);
      const mismatches = ofArch.flatMap((entry) => entry.mismatches);
      const shown = mismatches.slice(0, MESSAGES_SHOWN).map((mismatch) => mismatch.message);
      if (mismatches.length > MESSAGES_SHOWN) shown.push(`... and ${mismatches.length - MESSAGES_SHOWN} more`);
      expect(shown, `${mismatches.length} of ${cases} ${arch} cases differ`).toEqual([]);
    });
  }

  it('every kind of action was seen on every arch (allow, errno, trap, kill-thread, kill-process)', () => {
    for (const arch of PROBE_ARCHES) {
      const outcomes = new Set(
        reportsFor((entry) => entry.filter.probeArch === arch && !isSelfCheck(entry)).flatMap((entry) => entry.outcomes.map((outcome) => outcome[0])),
      );
      expect([...outcomes].filter((kind) => 'aetKk'.includes(kind)).sort(), arch).toEqual(['K', 'a', 'e', 'k', 't']);
    }
  });

  it('a filter compiled for another arch kills every call (the arch check is real)', () => {
    const foreign = reportsFor((entry) => entry.filter.name.includes(' under the '));
    expect(foreign.length).toBeGreaterThan(0);
    for (const entry of foreign) {
      expect(entry.mismatches.map((mismatch) => mismatch.message)).toEqual([]);
      const kinds = new Set(entry.outcomes.map((outcome) => outcome[0]));
      expect([...kinds].every((kind) => kind === 'k' || kind === 'K'), `${entry.filter.name}: ${[...kinds].join(' ')}`).toBe(true);
    }
  });

  it('a corrupted filter (one allowed syscall flipped to kill) is caught, naming the syscall and both outcomes', () => {
    for (const entry of corrupted) {
      const result = report.filters.find((candidate) => candidate.filter === entry.filter) as FilterReport;
      const flippedCases = result.cases.filter((probeCase) => probeCase.nr === entry.flippedNr);
      expect(flippedCases.length, entry.filter.name).toBeGreaterThan(0);
      expect(result.mismatches.length, entry.filter.name).toBe(flippedCases.length);
      for (const mismatch of result.mismatches) {
        expect(mismatch.syscall).toBe(entry.flippedName);
        expect(mismatch.expected).toBe('a');
        expect(mismatch.observed).toBe('k31');
        expect(mismatch.message).toContain(`${entry.flippedName} (nr ${entry.flippedNr})`);
        expect(mismatch.message).toContain('simulator expects ALLOW: allowed');
        expect(mismatch.message).toContain('kernel gave process killed by signal 31');
      }
    }
  });

  it('the kernel refuses a load past seccomp_data and a 4097-instruction program, and accepts 4096 instructions, on every arch', () => {
    for (const arch of PROBE_ARCHES) {
      const limits = reportsFor((entry) => entry.filter.probeArch === arch && /^(refused|accepted) /.test(entry.filter.name));
      expect(limits.map((entry) => entry.filter.name.split(' ')[0]).sort(), arch).toEqual(['accepted', 'refused', 'refused']);
      for (const entry of limits) {
        expect(entry.cases.length, entry.filter.name).toBeGreaterThan(0);
        expect(entry.mismatches.map((mismatch) => mismatch.message)).toEqual([]);
      }
    }
  });
});
