import { randomBytes } from 'node:crypto';
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Where the new content must go: through a symlink to the file it names (a
 * rename would replace the link itself), and whether the target is a device
 * or FIFO (such as /dev/null or /dev/stdout), which is written in place:
 * renaming over it would replace the device node with a plain file.
 */
function destinationOf(path: string): { path: string; special: boolean } {
  // "out/" names a folder; dirname/basename would quietly write a file "out".
  if (path.endsWith('/')) throw Object.assign(new Error(`${path} names a folder, not a file`), { code: 'EISDIR' });
  let status;
  try {
    status = statSync(path);
  } catch {
    return { path, special: false };
  }
  const special = !status.isFile() && !status.isDirectory();
  return { path: special ? path : realpathSync(path), special };
}

/**
 * Writes a file so that readers see either the old content or the whole new
 * content, never a prefix: a temp file in the same directory (same
 * filesystem, so rename is atomic), then rename over the target. On failure
 * the temp file is removed and the target is untouched.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const destination = destinationOf(path);
  if (destination.special) {
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
