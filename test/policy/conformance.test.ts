/**
 * Byte-for-byte conformance with Minijail's compile_seccomp_policy.py, the
 * minijail layout: every synthetic case of ../shared/corpus (its flags, cwd =
 * synthetic/) and all 106 crosvm-2023 policies (--default-action trap, each
 * arch's constants.json).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeProgram } from '../../src/bpf/index.js';
import { compilePolicy } from '../../src/compile.js';
import { PolicyError } from '../../src/policy/errors.js';
import { CORPUS_ARCHES, corpusArch, corpusRoot, haveCorpus } from '../bpf/corpus.js';
import { block } from './helpers.js';
import { optionsFromReferenceFlags, shellWords } from './reference-flags.js';

const skipNote = haveCorpus ? '' : ' (skipped: ../shared/corpus is absent)';
const syntheticFolder = path.join(corpusRoot, 'synthetic');
const expectedFolder = path.join(corpusRoot, 'expected');

/**
 * Cases where jail-run knowingly gives another answer (docs/divergences.md),
 * with the answer it gives.
 */
const DIVERGENCES: Record<string, string> = {
  // The reference ignores --include-depth-limit from its command line (Q2) and recurses until Python gives up.
  e19b_self_include_no_limit: block('e19_self.policy(1:27): @include statement nested too deep', '@include ./e19_self.policy', 27),
};

interface SyntheticCase {
  readonly name: string;
  readonly arch: string;
  readonly policy: string;
  readonly flags: string[];
}

function syntheticCases(): SyntheticCase[] {
  if (!haveCorpus) return [];
  return readFileSync(path.join(syntheticFolder, 'cases.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, arch, policy, flags = ''] = line.split('\t');
      return { name, arch, policy, flags: shellWords(flags) };
    });
}

/** Compiles a case as the reference was run: relative names resolved from synthetic/. */
function compileCase(entry: SyntheticCase) {
  return compilePolicy(entry.policy, {
    ...optionsFromReferenceFlags(entry.flags),
    arch: corpusArch(entry.arch),
    layout: 'minijail',
    readFile: (file) => readFileSync(path.resolve(syntheticFolder, file), 'utf8'),
  });
}

const cases = syntheticCases();
const compiling = cases.filter((entry) => existsSync(path.join(expectedFolder, 'synthetic', `${entry.name}.bpf`)));
const failing = cases.filter((entry) => !compiling.includes(entry));

describe.skipIf(!haveCorpus)(`synthetic corpus${skipNote}`, () => {
  it('has cases of both kinds', () => {
    expect(compiling.length).toBeGreaterThan(20);
    expect(failing.length).toBeGreaterThan(15);
  });

  it.each(compiling.map((entry) => [entry.name, entry] as const))('%s compiles byte-identical', (_name, entry) => {
    const expected = readFileSync(path.join(expectedFolder, 'synthetic', `${entry.name}.bpf`));
    expect(Buffer.from(encodeProgram(compileCase(entry).program)).toString('hex')).toBe(expected.toString('hex'));
  });

  it.each(failing.map((entry) => [entry.name, entry] as const))('%s fails with the reference error', (name, entry) => {
    const reference = readFileSync(path.join(expectedFolder, 'synthetic', `${name}.err`), 'utf8').replace(/\n$/, '');
    const wanted = DIVERGENCES[name] ?? reference;
    let error: unknown;
    try {
      compileCase(entry);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).format()).toBe(wanted);
    if (name in DIVERGENCES) expect(wanted).not.toBe(reference);
  });
});

const crosvmPolicies: (readonly [string, string])[] = haveCorpus
  ? CORPUS_ARCHES.flatMap((arch) =>
      readdirSync(path.join(corpusRoot, 'crosvm-2023', arch))
        .filter((file) => file.endsWith('.policy'))
        .sort()
        .map((file) => [arch, file.replace(/\.policy$/, '')] as const),
    )
  : [];

describe.skipIf(!haveCorpus)(`crosvm-2023 corpus${skipNote}`, () => {
  it('holds all 106 policies', () => {
    expect(crosvmPolicies).toHaveLength(106);
  });

  it.each(crosvmPolicies)('%s/%s compiles byte-identical', (arch, name) => {
    const { program } = compilePolicy(path.join(corpusRoot, 'crosvm-2023', arch, `${name}.policy`), {
      arch: corpusArch(arch),
      layout: 'minijail',
      defaultAction: 'trap',
    });
    const expected = readFileSync(path.join(expectedFolder, 'crosvm-2023', arch, `${name}.bpf`));
    expect(Buffer.from(encodeProgram(program)).toString('hex')).toBe(expected.toString('hex'));
  });
});
