/** Locating the shared conformance corpus from tests; every user skips when it is absent. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadArchJson } from '../../src/arch/arch-json.js';
import type { ArchTable } from '../../src/arch/types.js';

export const corpusRoot = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
export const haveCorpus = existsSync(path.join(corpusRoot, 'expected'));
export const CORPUS_ARCHES = ['x86_64', 'aarch64', 'arm'] as const;

/** Every expected .bpf file, relative to the corpus's expected/ folder. */
export function expectedBpfFiles(): string[] {
  if (!haveCorpus) return [];
  const root = path.join(corpusRoot, 'expected');
  const found: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bpf')) found.push(path.relative(root, full));
    }
  };
  walk(root);
  return found.sort();
}

export const readExpected = (relative: string): Uint8Array => new Uint8Array(readFileSync(path.join(corpusRoot, 'expected', relative)));

const archCache = new Map<string, ArchTable>();
export function corpusArch(arch: string): ArchTable {
  let table = archCache.get(arch);
  if (!table) {
    table = loadArchJson(path.join(corpusRoot, 'crosvm-2023', arch, 'constants.json'));
    archCache.set(arch, table);
  }
  return table;
}

/** The arch a corpus .bpf file was compiled for: its crosvm folder, or its synthetic case's row. */
export function archOfExpected(relative: string): string {
  const [top, arch] = relative.split(path.sep);
  if (top === 'crosvm-2023') return arch;
  const name = path.basename(relative, '.bpf');
  const row = syntheticCases().find((entry) => entry.name === name);
  if (!row) throw new Error(`no synthetic case named ${name}`);
  return row.arch;
}

export interface SyntheticCase {
  readonly name: string;
  readonly arch: string;
  readonly policy: string;
  readonly flags: readonly string[];
}

/** synthetic/cases.tsv (flags are shell-quoted words; the corpus uses only plain words). */
export function syntheticCases(): SyntheticCase[] {
  if (!haveCorpus) return [];
  return readFileSync(path.join(corpusRoot, 'synthetic', 'cases.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, arch, policy, flags = ''] = line.split('\t');
      return { name, arch, policy, flags: flags.trim() === '' ? [] : flags.trim().split(/\s+/) };
    });
}

export const readExpectedText = (relative: string): string => readFileSync(path.join(corpusRoot, 'expected', relative), 'utf8');
