import { randomBytes } from 'node:crypto';
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface WriteFileAtomicOptions {
  /**
   * Treat the path as a shell redirection does (for a user's output such as
   * `compile -o`): write through a symlink to the file it names, and write a
   * device or FIFO (/dev/null, /dev/stdout) in place, since renaming over it
   * would replace the device node with a plain file. Off (the default), the
   * path itself is replaced, whatever it is (the compile cache's own files).
   */
  readonly followLinks?: boolean;
}

/** Where the content goes, and whether it must be written in place. */
function destinationOf(path: string, followLinks: boolean): { path: string; inPlace: boolean } {
  // "out/" names a folder; dirname/basename would quietly write a file "out".
  if (path.endsWith('/')) throw Object.assign(new Error(`${path} names a folder, not a file`), { code: 'EISDIR' });
  if (!followLinks) return { path, inPlace: false };
  let status;
  try {
    status = statSync(path);
  } catch {
    return { path, inPlace: false };
  }
  const special = !status.isFile() && !status.isDirectory();
  return { path: special ? path : realpathSync(path), inPlace: special };
}

/**
 * Writes a file so that readers see either the old content or the whole new
 * content, never a prefix: a temp file in the same directory (same
 * filesystem, so rename is atomic), then rename over the target. On failure
 * the temp file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644, options: WriteFileAtomicOptions = {}): void {
  const destination = destinationOf(path, options.followLinks === true);
  if (destination.inPlace) {
    writeFileSync(destination.path, data);
    return;
  }
  const temporary = join(dirname(destination.path), `.${basename(destination.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(temporary, data, { mode, flag: 'wx' });
    renameSync(temporary, destination.path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
