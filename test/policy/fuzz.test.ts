/**
 * Mutated corpus policies (deleted text, inserted tokens and fragments) only
 * ever fail with a PolicyError that has a file, line and column, or with the
 * program-level errors the compiler documents; never with anything else.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidProgramError, ProgramTooLongError } from '../../src/bpf/index.js';
import { compilePolicyText } from '../../src/compile.js';
import { PolicyError } from '../../src/policy/errors.js';
import { CORPUS_ARCHES, corpusArch, corpusRoot, haveCorpus } from '../bpf/corpus.js';

const FRAGMENTS = [
  '(', ')', '{', '}', '[', ']', ':', ';', ',', '~', '~~', '|', '||', '&&', '&', '==', '!=', '<=', 'in', 'arg0', 'arg7', '\\', '\n', '\\\n',
  '#', '@include ./common_device.policy', '@include ./x', '@frequency ./common_device.frequency', '@default', '@default trap', '@denylist',
  'return', 'return EPERM', 'kill', 'allow', '1', '0', '-1', '0x', '010', '08', 'EPERM', '[arch=arm]', '[arch=x86_64;a=b]', 'io@libc',
  'a@b@c', ' ', '\t', 'é', '😀', '\r', '((((', '99999999999999999999999', '-0x8000000000000001', '!',
];

interface Source {
  readonly arch: string;
  readonly folder: string;
  readonly file: string;
  readonly text: string;
}

const sources: Source[] = haveCorpus
  ? CORPUS_ARCHES.flatMap((arch) => {
      const folder = path.join(corpusRoot, 'crosvm-2023', arch);
      return readdirSync(folder)
        .filter((file) => file.endsWith('.policy'))
        .sort()
        .map((file) => ({ arch, folder, file, text: readFileSync(path.join(folder, file), 'utf8') }));
    })
  : [];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.constantFrom(...FRAGMENTS) }),
);

interface Mutation {
  readonly kind: 'delete' | 'insert' | 'replace';
  readonly at: number;
  readonly length?: number;
  readonly text?: string;
}

function mutate(text: string, mutations: readonly Mutation[]): string {
  let result = text;
  for (const change of mutations) {
    const at = change.at % (result.length + 1);
    if (change.kind === 'delete') result = result.slice(0, at) + result.slice(at + (change.length ?? 1));
    else result = result.slice(0, at) + (change.text ?? '') + result.slice(at + (change.kind === 'replace' ? 1 : 0));
  }
  return result;
}

describe.skipIf(!haveCorpus)(`mutated corpus policies${haveCorpus ? '' : ' (skipped: ../shared/corpus is absent)'}`, () => {
  it('fail only with located PolicyErrors or documented program errors', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: Math.max(0, sources.length - 1) }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.record({ layout: fc.constantFrom('minijail' as const, 'optimized' as const), trap: fc.boolean(), denylist: fc.boolean(), retLog: fc.boolean() }),
        (index, mutations, flags) => {
          const source = sources[index];
          const text = mutate(source.text, mutations);
          try {
            compilePolicyText(text, source.file, {
              arch: corpusArch(source.arch),
              layout: flags.layout,
              defaultAction: flags.trap ? 'trap' : undefined,
              denylist: flags.denylist,
              useRetLog: flags.retLog,
              readFile: (file) => readFileSync(path.resolve(source.folder, file), 'utf8'),
            });
          } catch (error) {
            if (error instanceof ProgramTooLongError || error instanceof InvalidProgramError) return;
            expect(error).toBeInstanceOf(PolicyError);
            const policyError = error as PolicyError;
            expect(policyError.file).not.toBe('');
            expect(policyError.line).toBeGreaterThanOrEqual(0);
            expect(policyError.column).toBeGreaterThanOrEqual(1);
            expect(policyError.format().split('\n')).toHaveLength(3);
          }
        },
      ),
      { numRuns: 400, seed: 20231 },
    );
  });
});
