/**
 * The cross-arch run: cases for every filter, aarch64 and arm cases into one
 * QEMU boot of Debian's arm64 kernel, x86_64 cases to the same probe on the
 * host kernel, and every outcome compared with the simulator's prediction.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { encodeProgram, type Instruction } from '../../src/bpf/index.js';
import { syscallName } from '../../src/arch/index.js';
import type { ArchTable } from '../../src/arch/types.js';
import { actionName, chooseObserverErrno, describeOutcome, expectedOutcome } from './outcome.js';
import type { CrossArchTools } from './prepare.js';
import { runVm, type VmResult } from './run-vm.js';
import { selectCases, type ProbeCase } from './select-cases.js';

export type ProbeArch = 'x86_64' | 'aarch64' | 'arm';

export interface FilterUnderTest {
  /** Where the filter comes from, e.g. "corpus aarch64/block_device.policy [optimized]". */
  readonly name: string;
  /** The probe that installs it (and so the arch the calls are made in). */
  readonly probeArch: ProbeArch;
  /** The probe's arch: its syscall numbers, word size and AUDIT_ARCH. */
  readonly probeTable: ArchTable;
  /** x86_64 only: make the calls through the i386 entry (int 0x80); probeTable is then i386's. */
  readonly i386Abi?: boolean;
  /** What the kernel is given. */
  readonly program: readonly Instruction[];
  /**
   * The program the cases and predictions come from; by default `program`.
   * Differs only for deliberately corrupted filters, which must then show up
   * as mismatches.
   */
  readonly predictFrom?: readonly Instruction[];
  /** The kernel must refuse the program: every case's outcome is a seccomp(2) failure with EINVAL. */
  readonly expectRefusal?: boolean;
  /** Syscall numbers the policy names (its IR's rules), when the filter was compiled from one. */
  readonly namedNumbers?: readonly number[];
  /** Numbers outside the arch's table to try as well. */
  readonly extraNumbers?: readonly number[];
  /** How many unlisted syscalls to try (default 6). */
  readonly unlistedSample?: number;
}

export interface Mismatch {
  readonly filter: string;
  readonly nr: number;
  readonly syscall: string;
  readonly args: readonly bigint[];
  readonly expected: string;
  readonly observed: string;
  readonly message: string;
}

export interface FilterReport {
  readonly filter: FilterUnderTest;
  readonly cases: readonly ProbeCase[];
  readonly outcomes: readonly string[];
  readonly mismatches: readonly Mismatch[];
  readonly returnsReached: number;
  readonly returnsTotal: number;
}

export interface RunnerReport {
  readonly label: string;
  readonly cases: number;
  /** Child processes the probe needed (one more per KILL_PROCESS outcome). */
  readonly children: number;
  /** The probe's own time for its cases. */
  readonly elapsedMs: number;
}

export interface HarnessReport {
  readonly filters: readonly FilterReport[];
  readonly runners: readonly RunnerReport[];
  readonly vm: VmResult | undefined;
  readonly timings: { readonly caseGenerationMs: number; readonly vmMs: number; readonly hostMs: number };
  /** Probe lines that say something went wrong in the harness itself. */
  readonly harnessErrors: readonly string[];
}

const EINVAL = 22;
const hex = (value: bigint | number): string => BigInt.asUintN(64, BigInt(value)).toString(16);

interface PlannedFilter {
  readonly filter: FilterUnderTest;
  readonly cases: readonly ProbeCase[];
  readonly expected: readonly string[];
  readonly returnsReached: number;
  readonly returnsTotal: number;
}

function planFilter(filter: FilterUnderTest): PlannedFilter {
  const table = filter.probeTable;
  const selection = selectCases(filter.predictFrom ?? filter.program, {
    auditArch: table.auditArch,
    bits: table.bits,
    syscallNumbers: table.syscalls.values(),
    extraNumbers: filter.expectRefusal ? [] : filter.extraNumbers,
    namedNumbers: filter.namedNumbers,
    unlistedSample: filter.unlistedSample,
  });
  const cases = filter.expectRefusal ? selection.cases.slice(0, 1) : selection.cases;
  const expected = cases.map((probeCase) =>
    filter.expectRefusal ? `Efilter:${EINVAL}` : expectedOutcome(probeCase.expectedAction, probeCase.nr, table.auditArch),
  );
  return { filter, cases, expected, returnsReached: selection.returnsReached, returnsTotal: selection.returnsTotal };
}

/** The probe's case file for some planned filters (see seccomp_probe.c). */
function caseFileText(planned: readonly PlannedFilter[], observerErrno: number): string {
  const lines = [`O ${observerErrno.toString(16)}`];
  let caseId = 0;
  planned.forEach((entry, filterIndex) => {
    lines.push(`F ${filterIndex.toString(16)} ${Buffer.from(encodeProgram(entry.filter.program)).toString('hex')}`);
    for (const probeCase of entry.cases) {
      const args = Array.from({ length: 6 }, (_, index) => hex(probeCase.args[index] ?? 0n));
      const abi = entry.filter.i386Abi ? ' i' : '';
      lines.push(`C ${(caseId++).toString(16)} ${filterIndex.toString(16)} ${hex(probeCase.nr)} ${args.join(' ')}${abi}`);
    }
  });
  return `${lines.join('\n')}\n`;
}

/** Outcomes of one runner, by case index, from its @JR-OUT lines. */
function parseOutcomes(consoleText: string, label: string, count: number, errors: string[], runners: RunnerReport[]): string[] {
  const outcomes: string[] = new Array(count).fill('');
  let ended = false;
  for (const rawLine of consoleText.split('\n')) {
    const line = rawLine.trim();
    const words = line.split(/\s+/);
    if (words[1] !== label) continue;
    if (words[0] === '@JR-OUT') {
      const first = Number(words[2]);
      words.slice(3).forEach((outcome, offset) => {
        if (first + offset < count) outcomes[first + offset] = outcome;
      });
    } else if (words[0] === '@JR-END') {
      ended = true;
      runners.push({ label, cases: Number(words[2]), children: Number(words[3]), elapsedMs: Number(words[4]) });
    }
    else if (words[0] === '@JR-ERROR') errors.push(line);
  }
  if (!ended) errors.push(`runner ${label}: no @JR-END line (the probe did not finish)`);
  return outcomes;
}

function compare(planned: PlannedFilter, outcomes: readonly string[]): FilterReport {
  const table = planned.filter.probeTable;
  const mismatches: Mismatch[] = [];
  planned.cases.forEach((probeCase, index) => {
    const expected = planned.expected[index];
    const observed = outcomes[index] || 'missing';
    if (observed === expected) return;
    const syscall = syscallName(table, probeCase.nr) ?? `#${probeCase.nr}`;
    const args = probeCase.args.map((value) => `0x${hex(value)}`).join(', ');
    const predicted = planned.filter.expectRefusal ? 'refused by the kernel' : `${actionName(probeCase.expectedAction)}: ${describeOutcome(expected)}`;
    mismatches.push({
      filter: planned.filter.name,
      nr: probeCase.nr,
      syscall,
      args: probeCase.args,
      expected,
      observed,
      message:
        `${planned.filter.name}: ${syscall} (nr ${probeCase.nr}) with args [${args}]: ` +
        `simulator expects ${predicted}; ${table.name} kernel gave ${describeOutcome(observed)}`,
    });
  });
  return {
    filter: planned.filter,
    cases: planned.cases,
    outcomes,
    mismatches,
    returnsReached: planned.returnsReached,
    returnsTotal: planned.returnsTotal,
  };
}

/**
 * Rough cost of a filter's cases in the VM, in "plain case" units: each
 * KILL_THREAD outcome makes the probe start a thread and load both filters
 * again, each KILL_PROCESS one a whole child; measured under TCG, both cost
 * tens of plain cases.
 */
function estimatedCost(entry: PlannedFilter): number {
  const restarts = entry.expected.filter((outcome) => outcome === 'K' || outcome.startsWith('k')).length;
  return 40 + entry.cases.length + 40 * restarts;
}

/** Spreads filters over `parts` runners of similar estimated cost (largest first, to the cheapest runner). */
function splitEvenly(planned: readonly PlannedFilter[], parts: number): PlannedFilter[][] {
  const groups = Array.from({ length: parts }, () => ({ cost: 0, members: [] as PlannedFilter[] }));
  for (const entry of [...planned].sort((a, b) => estimatedCost(b) - estimatedCost(a))) {
    const cheapest = groups.reduce((best, group) => (group.cost < best.cost ? group : best));
    cheapest.members.push(entry);
    cheapest.cost += estimatedCost(entry);
  }
  return groups.map((group) => group.members).filter((members) => members.length > 0);
}

export interface HarnessOptions {
  readonly tools: CrossArchTools;
  readonly filters: readonly FilterUnderTest[];
  /** Runners per VM arch; the VM has 2 CPUs. */
  readonly runnersPerArch?: number;
}

export async function runHarness(options: HarnessOptions): Promise<HarnessReport> {
  const observerErrno = chooseObserverErrno(
    options.filters.flatMap((filter) => [...filter.program, ...(filter.predictFrom ?? [])].filter((instruction) => instruction.code === 0x06).map((instruction) => instruction.k)),
  );
  // The VM's cases first, so it boots while the host's cases are generated.
  let caseGenerationMs = 0;
  const plan = (filters: readonly FilterUnderTest[]): PlannedFilter[] => {
    const started = Date.now();
    const result = filters.map(planFilter);
    caseGenerationMs += Date.now() - started;
    return result;
  };
  const vmPlanned = plan(options.filters.filter((filter) => filter.probeArch !== 'x86_64'));
  const errors: string[] = [];
  const runnerReports: RunnerReport[] = [];
  const outcomesByFilter = new Map<PlannedFilter, string[]>();

  // aarch64 and arm: one VM boot, several runners.
  const runners: { label: string; probe: 'aarch64' | 'arm'; group: PlannedFilter[] }[] = [];
  for (const probe of ['aarch64', 'arm'] as const) {
    const ofArch = vmPlanned.filter((entry) => entry.filter.probeArch === probe);
    splitEvenly(ofArch, options.runnersPerArch ?? 1).forEach((group, index) => runners.push({ label: `${probe}-${index}`, probe, group }));
  }
  let vm: VmResult | undefined;
  const vmRun = async (): Promise<number> => {
    if (runners.length === 0) return 0;
    vm = await runVm({
      qemu: options.tools.qemu,
      kernel: options.tools.kernel,
      probeAarch64: options.tools.probes.aarch64,
      probeArm: options.tools.probes.arm,
      runners: runners.map((runner) => ({ probe: runner.probe, label: runner.label, caseFileText: caseFileText(runner.group, observerErrno) })),
    });
    if (vm.timedOut) errors.push(`the VM did not power off within its time limit (${Math.round(vm.elapsedMs / 1000)} s)`);
    for (const runner of runners) {
      const count = runner.group.reduce((sum, entry) => sum + entry.cases.length, 0);
      const outcomes = parseOutcomes(vm.console, runner.label, count, errors, runnerReports);
      let offset = 0;
      for (const entry of runner.group) {
        outcomesByFilter.set(entry, outcomes.slice(offset, offset + entry.cases.length));
        offset += entry.cases.length;
      }
    }
    return vm.elapsedMs;
  };

  // x86_64: the same probe on the host kernel, at the same time.
  const hostRun = async (group: readonly PlannedFilter[]): Promise<number> => {
    if (group.length === 0) return 0;
    const started = Date.now();
    const folder = mkdtempSync(path.join(tmpdir(), 'jail-run-cross-arch-host-'));
    try {
      const file = path.join(folder, 'cases.txt');
      writeFileSync(file, caseFileText(group, observerErrno));
      const label = 'x86_64-host';
      const { stdout } = await promisify(execFile)(options.tools.probes.x86_64, ['run', file, label], { maxBuffer: 256 * 1024 * 1024 });
      const count = group.reduce((sum, entry) => sum + entry.cases.length, 0);
      const outcomes = parseOutcomes(stdout, label, count, errors, runnerReports);
      let offset = 0;
      for (const entry of group) {
        outcomesByFilter.set(entry, outcomes.slice(offset, offset + entry.cases.length));
        offset += entry.cases.length;
      }
    } catch (error) {
      errors.push(`host probe: ${(error as Error).message}`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    return Date.now() - started;
  };

  const vmDone = vmRun();
  const hostPlanned = plan(options.filters.filter((filter) => filter.probeArch === 'x86_64'));
  const [vmMs, hostMs] = await Promise.all([vmDone, hostRun(hostPlanned)]);
  const byFilter = new Map([...vmPlanned, ...hostPlanned].map((entry) => [entry.filter, entry]));
  const filters = options.filters.map((filter) => {
    const entry = byFilter.get(filter) as PlannedFilter;
    return compare(entry, outcomesByFilter.get(entry) ?? []);
  });
  return { filters, runners: runnerReports, vm, timings: { caseGenerationMs, vmMs, hostMs }, harnessErrors: errors };
}
