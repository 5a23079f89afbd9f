/**
 * Bad input never escapes as anything but a PolicyError: corpus policies
 * mutated thousands of times (byte flips, token deletion and duplication,
 * inserted punctuation, keywords and numbers, truncation, include chains and
 * cycles) are parsed and compiled in both layouts. Each attempt must either
 * compile or throw a PolicyError whose file, line and column point somewhere
 * real. The run is seeded, so a failure names an input that reproduces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ArchTable } from '../../src/arch/types.js';
import { compilePolicyText, type CompileOptions } from '../../src/compile.js';
import { PolicyError } from '../../src/policy/index.js';
import { CORPUS_ARCHES, corpusArch, corpusRoot, haveCorpus } from '../bpf/corpus.js';

/** mulberry32: small, fast, and the same sequence on every machine. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  constructor(readonly random: () => number) {}
  below(limit: number): number {
    return Math.floor(this.random() * limit);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)];
  }
  chance(probability: number): boolean {
    return this.random() < probability;
  }
}

// What a policy is made of, plus things that break it: every kind of token the lexer knows, and a few it must refuse.
const FRAGMENTS = [
  ':', ',', ';', '{', '}', '[', ']', '(', ')', '|', '||', '&&', '&', '~', '~~', '==', '!=', '<', '<=', '>', '>=', '=',
  ' in ', ' ', '\t', '\n', '\r\n', '\\\n', '\\', '#', '# comment\n', '@', '@include', '@include ./', '@frequency', '@default',
  '@denylist', '@bogus', 'allow', 'kill', 'kill-process', 'kill-thread', 'trap', 'trace', 'log', 'user-notify', 'return',
  'return 1', 'return EPERM', 'arg0', 'arg5', 'arg6', 'arg7', 'arg99', 'argx', '0', '1', '-1', '0x', '0xffffffff', '0xffffffffffffffff',
  '0x10000000000000000', '18446744073709551616', '-9223372036854775809', '0777', '09', 'EPERM', 'O_RDONLY', 'PROT_READ|PROT_WRITE',
  'read', 'write', 'openat', 'nosuchcall', '[arch=x86_64]', '[arch=arm]', '[arch=]', '[arch', 'name@', '@ns', 'x@y', './', '/',
  './nosuch.policy', '../', '"', "'", '$', '%', '\u00e9', '\u{1F600}', '\0', '\u2028',
];

const TOKEN = /\s+|[A-Za-z0-9_@./-]+|&&|\|\||[=!<>]=|[\s\S]/g;

type Mutation = (text: string, dice: Dice) => string;

const MUTATIONS: ReadonlyArray<readonly [string, Mutation]> = [
  ['flip a byte', (text, dice) => {
    if (text === '') return text;
    const at = dice.below(text.length);
    const replacement = dice.chance(0.5) ? String.fromCharCode(dice.below(128)) : dice.pick(FRAGMENTS).slice(0, 1);
    return text.slice(0, at) + replacement + text.slice(at + 1);
  }],
  ['delete a token', (text, dice) => {
    const tokens = text.match(TOKEN) ?? [];
    if (tokens.length === 0) return text;
    tokens.splice(dice.below(tokens.length), 1);
    return tokens.join('');
  }],
  ['duplicate a token', (text, dice) => {
    const tokens = text.match(TOKEN) ?? [];
    if (tokens.length === 0) return text;
    const at = dice.below(tokens.length);
    tokens.splice(at, 0, tokens[at]);
    return tokens.join('');
  }],
  ['insert a fragment', (text, dice) => {
    const at = dice.below(text.length + 1);
    return text.slice(0, at) + dice.pick(FRAGMENTS) + text.slice(at);
  }],
  ['truncate', (text, dice) => text.slice(0, dice.below(text.length + 1))],
  ['duplicate a line', (text, dice) => {
    const lines = text.split('\n');
    const at = dice.below(lines.length);
    lines.splice(at, 0, lines[at]);
    return lines.join('\n');
  }],
  ['swap two lines', (text, dice) => {
    const lines = text.split('\n');
    const a = dice.below(lines.length);
    const b = dice.below(lines.length);
    [lines[a], lines[b]] = [lines[b], lines[a]];
    return lines.join('\n');
  }],
];

/**
 * --default-action values, bad ones included. Left out: texts whose error has
 * no token ('return', ''): the reference reports those at `<memory>(0:1)`,
 * line 0 of a parser state that never read a line, and so do we; that is the
 * command line, not a policy file.
 */
const DEFAULT_ACTIONS = [undefined, undefined, 'trap', 'kill-process', 'kill', 'allow', 'log', 'return EPERM', 'bogus', 'user-notify extra'];

interface Attempt {
  readonly description: string;
  readonly arch: ArchTable;
  /** Virtual files by path; the policy to compile is `top`. */
  readonly files: ReadonlyMap<string, string>;
  readonly top: string;
  readonly options: CompileOptions;
}

/** The corpus files of one arch, under a virtual folder so that includes resolve among them. */
function corpusFiles(arch: string): Map<string, string> {
  const folder = path.join(corpusRoot, 'crosvm-2023', arch);
  const files = new Map<string, string>();
  for (const name of readdirSync(folder)) {
    if (name.endsWith('.policy') || name.endsWith('.frequency')) files.set(`/fuzz/${arch}/${name}`, readFileSync(path.join(folder, name), 'utf8'));
  }
  return files;
}

function randomOptions(dice: Dice, arch: ArchTable): CompileOptions {
  const defaultAction = dice.pick(DEFAULT_ACTIONS);
  return {
    arch,
    ...(defaultAction === undefined ? {} : { defaultAction }),
    useKillProcess: dice.chance(0.2),
    useRetLog: dice.chance(0.1),
    denylist: dice.chance(0.1),
    includeDepthLimit: dice.pick([10, 10, 10, 1, 2, 5, 100]),
    layout: dice.chance(0.5) ? 'optimized' : 'minijail',
    strategy: dice.chance(0.8) ? 'bst' : 'linear',
  };
}

function mutate(text: string, dice: Dice, steps: string[]): string {
  let result = text;
  const count = 1 + dice.below(4);
  for (let index = 0; index < count; index++) {
    const [name, mutation] = dice.pick(MUTATIONS);
    steps.push(name);
    result = mutation(result, dice);
  }
  return result;
}

/** A mutated corpus policy (and sometimes a mutated file it includes). */
function mutatedCorpusAttempt(dice: Dice, archName: string, files: Map<string, string>, index: number): Attempt {
  const arch = corpusArch(archName);
  const policies = [...files.keys()].filter((file) => file.endsWith('.policy')).sort();
  const top = dice.pick(policies);
  const steps: string[] = [];
  const mutated = new Map(files);
  mutated.set(top, mutate(files.get(top)!, dice, steps));
  if (dice.chance(0.2)) {
    const other = dice.pick([...files.keys()].sort());
    mutated.set(other, mutate(files.get(other)!, dice, steps));
    steps.push(`also ${path.basename(other)}`);
  }
  return { description: `#${index} ${archName} ${path.basename(top)}: ${steps.join(', ')}`, arch, files: mutated, top, options: randomOptions(dice, arch) };
}

/** A chain of files that include the next, ending in a cycle, a missing file or a corpus fragment; sometimes mutated. */
function includeChainAttempt(dice: Dice, archName: string, files: Map<string, string>, index: number): Attempt {
  const arch = corpusArch(archName);
  const lines = [...files.get(`/fuzz/${archName}/common_device.policy`)!.split('\n')];
  const length = 1 + dice.below(14);
  const chain = new Map(files);
  const steps: string[] = [`chain of ${length}`];
  const name = (level: number): string => `/fuzz/${archName}/chain/level${level}.policy`;
  for (let level = 0; level < length; level++) {
    const body = Array.from({ length: dice.below(4) }, () => dice.pick(lines));
    let next: string;
    if (level + 1 < length) next = `./level${level + 1}.policy`;
    else next = dice.pick(['./level0.policy', `./level${level}.policy`, './missing.policy', '../common_device.policy', './../chain/level0.policy', '/fuzz/none.policy']);
    body.splice(dice.below(body.length + 1), 0, `@include ${next}`);
    let text = body.join('\n');
    if (dice.chance(0.15)) text = mutate(text, dice, steps);
    chain.set(name(level), text);
  }
  const options = { ...randomOptions(dice, arch), includeDepthLimit: dice.pick([1, 3, 10, 12, 2000]) };
  return { description: `#${index} ${archName} include chain: ${steps.join(', ')}`, arch, files: chain, top: name(0), options };
}

type Outcome =
  | { readonly kind: 'compiled' }
  | { readonly kind: 'rejected'; readonly detail: string }
  | { readonly kind: 'failure'; readonly text: string };

function tryAttempt(attempt: Attempt): Outcome {
  const readFile = (file: string): string => {
    const text = attempt.files.get(path.posix.normalize(file));
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return text;
  };
  try {
    compilePolicyText(attempt.files.get(attempt.top)!, attempt.top, { ...attempt.options, readFile });
    return { kind: 'compiled' };
  } catch (error) {
    if (!(error instanceof PolicyError)) return { kind: 'failure', text: `threw ${(error as Error)?.stack ?? String(error)}` };
    const problems: string[] = [];
    if (typeof error.file !== 'string' || error.file === '') problems.push('no file');
    // An empty file has no line to point at: the reference then reports line 0 (its
    // parser state never read a line), e.g. a missing @denylist; so do we.
    const emptyFile = attempt.files.get(error.file) === '';
    if (!Number.isInteger(error.line) || error.line < (emptyFile ? 0 : 1)) problems.push(`line ${error.line}`);
    if (!Number.isInteger(error.column) || error.column < 1) problems.push(`column ${error.column}`);
    const block = error.format();
    if (block.split('\n').length !== 3) problems.push(`format() gave ${block.split('\n').length} lines`);
    if (problems.length > 0) return { kind: 'failure', text: `PolicyError with ${problems.join(', ')}: ${block}` };
    // Messages name syscalls, paths and numbers; keep the kind of error only.
    return { kind: 'rejected', detail: error.detail.replace(/^Syscall .*(already had)/, 'Syscall $1').replace(/(Could not @include|Could not open frequency file) .*/, '$1').replace(/"[^"]*"/g, 'KEY') };
  }
}

const ATTEMPTS_PER_ARCH = 1000;
const SEED = 0x5eccf11e;

describe.skipIf(!haveCorpus)('fuzzing the policy compiler with mutated corpus files (needs ../shared/corpus)', () => {
  it.each(CORPUS_ARCHES)('only PolicyErrors with a location, or success, for %s', (archName) => {
    const dice = new Dice(seededRandom(SEED + archName.length));
    const files = corpusFiles(archName);
    const failures: string[] = [];
    let compiled = 0;
    const rejections = new Map<string, number>();
    for (let index = 0; index < ATTEMPTS_PER_ARCH && failures.length < 5; index++) {
      const attempt = dice.chance(0.85) ? mutatedCorpusAttempt(dice, archName, files, index) : includeChainAttempt(dice, archName, files, index);
      const outcome = tryAttempt(attempt);
      if (outcome.kind === 'failure') failures.push(`${attempt.description}\n${outcome.text}`);
      else if (outcome.kind === 'compiled') compiled++;
      else rejections.set(outcome.detail, (rejections.get(outcome.detail) ?? 0) + 1);
    }
    expect(failures).toEqual([]);
    // A fuzzer that only ever breaks the input, or never does, tests little.
    expect(compiled).toBeGreaterThan(ATTEMPTS_PER_ARCH / 20);
    expect(rejections.size).toBeGreaterThan(15);
    console.log(`fuzz ${archName}: ${ATTEMPTS_PER_ARCH} attempts, ${compiled} compiled, ${ATTEMPTS_PER_ARCH - compiled} rejected with ${rejections.size} kinds of message: ${[...rejections.keys()].sort().join("; ")}`);
  });
});
