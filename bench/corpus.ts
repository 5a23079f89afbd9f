/**
 * Where the benchmark finds its input: the shared crosvm-2023 corpus beside
 * the project (../shared/corpus), located from the project root so the
 * script works from bench/ (tsx) and from dist/bench/ (npm run bench).
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_ARCHES = ['x86_64', 'aarch64', 'arm'] as const;

function projectRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error('cannot find the project root (no package.json above bench/)');
    folder = parent;
  }
  return folder;
}

/** The crosvm-2023 folder of the shared corpus, or undefined when it is not there. */
export function findCrosvmCorpus(): string | undefined {
  const folder = path.resolve(projectRoot(), '..', 'shared', 'corpus', 'crosvm-2023');
  return existsSync(folder) ? folder : undefined;
}

export interface CorpusPolicy {
  readonly arch: (typeof CORPUS_ARCHES)[number];
  readonly name: string;
  readonly file: string;
}

export function corpusPolicies(corpus: string): CorpusPolicy[] {
  return CORPUS_ARCHES.flatMap((arch) =>
    readdirSync(path.join(corpus, arch))
      .filter((name) => name.endsWith('.policy'))
      .sort()
      .map((name) => ({ arch, name, file: path.join(corpus, arch, name) })),
  );
}
