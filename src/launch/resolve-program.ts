/**
 * The file execve will be given. The addon calls execve, not execvp, so the
 * PATH search happens here, with execvp's rules: a name with a slash is used
 * as it is (relative to cwd); otherwise each PATH entry is tried in order (an
 * empty entry is the current directory), the first executable regular file
 * wins, and a match without permission is remembered so the error can say
 * "not executable" (126) rather than "not found" (127).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { LaunchError } from './errors.js';

/** execvp's fallback when PATH is unset (glibc's confstr(_CS_PATH)). */
const DEFAULT_PATH = '/bin:/usr/bin';

type Candidate = { readonly kind: 'ok' } | { readonly kind: 'missing' } | { readonly kind: 'unusable'; readonly error: LaunchError };

function examine(path: string, shownAs: string): Candidate {
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'unusable', error: new LaunchError('NOT_EXECUTABLE', `${shownAs}: cannot access (${code})`, shownAs, 'resolve', code) };
  }
  if (stats.isDirectory()) {
    return { kind: 'unusable', error: new LaunchError('NOT_EXECUTABLE', `${shownAs}: is a directory`, shownAs, 'resolve', 'EACCES') };
  }
  if (!stats.isFile()) {
    return { kind: 'unusable', error: new LaunchError('NOT_EXECUTABLE', `${shownAs}: not a regular file`, shownAs, 'resolve', 'EACCES') };
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return { kind: 'unusable', error: new LaunchError('NOT_EXECUTABLE', `${shownAs}: permission denied (not executable)`, shownAs, 'resolve', 'EACCES') };
  }
  return { kind: 'ok' };
}

/**
 * The absolute path of the program, or a LaunchError (NOT_FOUND → 127,
 * NOT_EXECUTABLE → 126).
 */
export function resolveProgram(file: string, options: { readonly cwd?: string; readonly path?: string } = {}): string {
  const cwd = options.cwd ?? process.cwd();
  if (file === '') throw new LaunchError('NOT_FOUND', 'empty program name', file, 'resolve', 'ENOENT');
  if (file.includes('/')) {
    const absolute = isAbsolute(file) ? file : resolve(cwd, file);
    const candidate = examine(absolute, file);
    if (candidate.kind === 'ok') return absolute;
    if (candidate.kind === 'unusable') throw candidate.error;
    throw new LaunchError('NOT_FOUND', `${file}: no such file`, file, 'resolve', 'ENOENT');
  }
  let firstUnusable: LaunchError | undefined;
  for (const directory of (options.path ?? DEFAULT_PATH).split(':')) {
    const absolute = resolve(cwd, directory === '' ? '.' : directory, file);
    const candidate = examine(absolute, absolute);
    if (candidate.kind === 'ok') return absolute;
    if (candidate.kind === 'unusable') firstUnusable ??= candidate.error;
  }
  if (firstUnusable !== undefined) throw firstUnusable;
  throw new LaunchError('NOT_FOUND', `${file}: command not found in PATH`, file, 'resolve', 'ENOENT');
}
