/**
 * A cpio archive in the "newc" format (the one the kernel unpacks as an
 * initramfs), written in memory. Written here rather than with cpio(1)
 * because an initramfs needs device nodes (/dev/console), which an
 * unprivileged cpio can only copy from an existing file system.
 */

export type CpioEntry =
  | { readonly kind: 'directory'; readonly path: string; readonly mode?: number }
  | { readonly kind: 'file'; readonly path: string; readonly data: Uint8Array; readonly mode?: number }
  | { readonly kind: 'character-device'; readonly path: string; readonly major: number; readonly minor: number; readonly mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

const hex8 = (value: number): string => (value >>> 0).toString(16).padStart(8, '0');
const paddingTo4 = (length: number): number => (4 - (length % 4)) % 4;

function header(fields: {
  inode: number;
  mode: number;
  fileSize: number;
  rdevMajor: number;
  rdevMinor: number;
  nameSize: number;
}): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return (
    '070701' +
    [
      fields.inode,
      fields.mode,
      0,
      0,
      fields.mode & S_IFDIR ? 2 : 1,
      0,
      fields.fileSize,
      0,
      0,
      fields.rdevMajor,
      fields.rdevMinor,
      fields.nameSize,
      0,
    ]
      .map(hex8)
      .join('')
  );
}

/** The archive bytes for these entries, in order (parents before children), with the trailer. */
export function buildCpioArchive(entries: readonly CpioEntry[]): Uint8Array {
  const chunks: Buffer[] = [];
  let offset = 0;
  const push = (chunk: Buffer): void => {
    chunks.push(chunk);
    offset += chunk.length;
  };
  const pad = (): void => {
    const padding = paddingTo4(offset);
    if (padding) push(Buffer.alloc(padding));
  };
  const writeEntry = (inode: number, name: string, mode: number, data: Uint8Array, rdevMajor = 0, rdevMinor = 0): void => {
    const nameBytes = Buffer.from(`${name}\0`, 'utf8');
    push(Buffer.from(header({ inode, mode, fileSize: data.length, rdevMajor, rdevMinor, nameSize: nameBytes.length }), 'ascii'));
    push(nameBytes);
    pad();
    if (data.length) push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    pad();
  };
  entries.forEach((entry, index) => {
    const name = entry.path.replace(/^\/+/, '');
    if (name === '' || name.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`cpio entry path "${entry.path}" is not a plain relative path`);
    }
    const inode = index + 1;
    switch (entry.kind) {
      case 'directory':
        writeEntry(inode, name, S_IFDIR | (entry.mode ?? 0o755), new Uint8Array());
        break;
      case 'file':
        writeEntry(inode, name, S_IFREG | (entry.mode ?? 0o644), entry.data);
        break;
      case 'character-device':
        writeEntry(inode, name, S_IFCHR | (entry.mode ?? 0o600), new Uint8Array(), entry.major, entry.minor);
        break;
    }
  });
  writeEntry(0, TRAILER, 0, new Uint8Array());
  return new Uint8Array(Buffer.concat(chunks));
}
