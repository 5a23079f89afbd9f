import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The jail-run package directory: the nearest ancestor of this module holding
 * jail-run's package.json. Walking up (rather than a fixed `../..`) finds it
 * both from src/devices/ (tsx, vitest) and from dist/src/devices/ (built).
 */
export function packageRoot(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(directory, 'package.json');
    if (existsSync(manifest) && readManifest(manifest).name === 'jail-run') return directory;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`cannot find jail-run's package.json above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}

let cachedVersion: string | undefined;

/** jail-run's version, from its package.json (part of the compile-cache key). */
export function packageVersion(): string {
  cachedVersion ??= String(readManifest(join(packageRoot(), 'package.json')).version ?? '0.0.0');
  return cachedVersion;
}

function readManifest(file: string): { name?: unknown; version?: unknown } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return {};
  }
}
