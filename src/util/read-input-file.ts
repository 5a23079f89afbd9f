import { closeSync, openSync, readSync } from 'node:fs';

/**
 * More than any policy, arch file or filter jail-run reads (the largest
 * filter is 4096 × 8 bytes). The cap is what keeps `@include /dev/zero`, or a
 * policy path that names a device, from reading forever.
 */
export const INPUT_FILE_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Reads a whole file, as readFileSync does, but stops with an error carrying
 * code EFBIG once it has more than `limit` bytes. Errors are the system's
 * (ENOENT, EISDIR, EACCES, ...) so callers report them as they did before.
 */
export function readInputFile(path: string, limit = INPUT_FILE_LIMIT_BYTES): Buffer {
  const descriptor = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      const got = readSync(descriptor, chunk, 0, chunk.length, null);
      if (got === 0) return Buffer.concat(chunks, total);
      total += got;
      if (total > limit) {
        throw Object.assign(new Error(`${path}: more than ${limit} bytes, not an input jail-run reads`), { code: 'EFBIG' });
      }
      chunks.push(got === chunk.length ? chunk : chunk.subarray(0, got));
    }
  } finally {
    closeSync(descriptor);
  }
}

/** readInputFile as UTF-8 text (invalid bytes become U+FFFD, as with readFileSync). */
export const readInputText = (path: string): string => readInputFile(path).toString('utf8');

/** How a read failure is named in messages: the errno name, with a word for the bounded reader's own EFBIG. */
export function readFailureName(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unreadable';
  return code === 'EFBIG' ? `EFBIG: larger than ${INPUT_FILE_LIMIT_BYTES / (1024 * 1024)} MiB` : code;
}
