/** Denial-report argument decoding: numbers, flag words and enumerations by the arch table's names. */
import { describe, expect, it } from 'vitest';
import { getShippedArch } from '../../src/arch/index.js';
import { decodeArgument, decodeFlags, decodeSyscallArguments, formatSyscallCall } from '../../src/launch/decode-arguments.js';

const x86_64 = getShippedArch('x86_64');
const aarch64 = getShippedArch('aarch64');
const arm = getShippedArch('arm');
const constant = (arch: typeof x86_64, name: string): bigint => {
  const value = arch.constants.get(name);
  if (value === undefined) throw new Error(`${arch.name} has no ${name}`);
  return value;
};
const u64 = (value: bigint): bigint => BigInt.asUintN(64, value);
const call = (arch: typeof x86_64, name: string, args: bigint[]) => formatSyscallCall(name, decodeSyscallArguments(name, args, arch));

describe('decodeSyscallArguments', () => {
  it('openat: AT_FDCWD, the path pointer as an address, access mode plus flags, mode in octal', () => {
    const flags = constant(x86_64, 'O_CLOEXEC') | constant(x86_64, 'O_CREAT') | constant(x86_64, 'O_WRONLY');
    expect(call(x86_64, 'openat', [u64(-100n), 0x7ffd1000n, flags, 0o640n])).toBe('openat(AT_FDCWD, 0x7ffd1000, O_WRONLY|O_CREAT|O_CLOEXEC, 0640)');
    expect(call(x86_64, 'openat', [3n, 0n, 0n, 0n])).toBe('openat(3, NULL, O_RDONLY, 0)');
  });

  it('mmap: PROT_* and MAP_* names, an fd of -1 passed as a 32-bit int', () => {
    const prot = constant(x86_64, 'PROT_READ') | constant(x86_64, 'PROT_EXEC');
    const map = constant(x86_64, 'MAP_PRIVATE') | constant(x86_64, 'MAP_ANONYMOUS');
    expect(call(x86_64, 'mmap', [0n, 4096n, prot, map, 0xffffffffn, 0n])).toBe(
      'mmap(NULL, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0)',
    );
    expect(decodeArgument('prot', 0n, x86_64)).toBe('PROT_NONE');
  });

  it('multi-bit names win over their parts, unknown bits stay visible in hex', () => {
    const flags = [
      { name: 'A', value: 1n },
      { name: 'B', value: 2n },
      { name: 'AB', value: 3n },
    ];
    expect(decodeFlags(3n, flags)).toBe('AB');
    expect(decodeFlags(1n | 0x100n, flags)).toBe('A|0x100');
    expect(decodeFlags(0n, flags)).toBe('0');
    expect(decodeArgument('map-flags', constant(x86_64, 'MAP_SHARED_VALIDATE'), x86_64)).toBe('MAP_SHARED_VALIDATE');
  });

  it('clone: flags plus the exit signal in the low byte', () => {
    const flags = constant(x86_64, 'CLONE_VM') | constant(x86_64, 'CLONE_THREAD') | constant(x86_64, 'CLONE_SIGHAND');
    expect(decodeArgument('clone-flags', flags, x86_64)).toBe('CLONE_VM|CLONE_SIGHAND|CLONE_THREAD');
    expect(decodeArgument('clone-flags', constant(x86_64, 'SIGCHLD'), x86_64)).toBe('SIGCHLD');
  });

  it('enumerations: ioctl requests, fcntl commands, signals, socket types with flags', () => {
    expect(call(x86_64, 'ioctl', [5n, constant(x86_64, 'TCGETS'), 0x1000n])).toBe('ioctl(5, TCGETS, 0x1000)');
    expect(call(x86_64, 'fcntl', [4n, constant(x86_64, 'F_SETFD'), 1n])).toBe('fcntl(4, F_SETFD, 0x1)');
    expect(call(x86_64, 'kill', [42n, constant(x86_64, 'SIGTERM')])).toBe('kill(42, SIGTERM)');
    const type = constant(x86_64, 'SOCK_STREAM') | constant(x86_64, 'SOCK_CLOEXEC');
    expect(call(x86_64, 'socket', [constant(x86_64, 'AF_UNIX'), type, 0n])).toBe('socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)');
    expect(decodeArgument('signal', 200n, x86_64)).toBe('200');
  });

  it('uses each arch\'s own values (O_DIRECTORY differs; arm has O_LARGEFILE as a real flag)', () => {
    expect(decodeArgument('open-flags', constant(aarch64, 'O_DIRECTORY'), aarch64)).toBe('O_RDONLY|O_DIRECTORY');
    expect(decodeArgument('open-flags', constant(x86_64, 'O_DIRECTORY'), x86_64)).toBe('O_RDONLY|O_DIRECTORY');
    expect(constant(aarch64, 'O_DIRECTORY')).not.toBe(constant(x86_64, 'O_DIRECTORY'));
    expect(call(arm, 'openat', [0xffffff9cn, 0x1000n, constant(arm, 'O_LARGEFILE') | constant(arm, 'O_CLOEXEC'), 0n])).toBe(
      'openat(AT_FDCWD, 0x1000, O_RDONLY|O_LARGEFILE|O_CLOEXEC, 0)',
    );
  });

  it('32-bit arches see only the low word', () => {
    expect(decodeArgument('pointer', 0x1_0000_2000n, arm)).toBe('0x2000');
    expect(decodeArgument('size', 0x1_0000_0010n, arm)).toBe('16');
  });

  it('an unknown syscall shows all six words; an argument-less one shows none', () => {
    expect(call(x86_64, 'made_up', [1n, 2n, 3n, 4n, 5n, 6n])).toBe('made_up(0x1, 0x2, 0x3, 0x4, 0x5, 0x6)');
    expect(call(x86_64, 'getppid', [1n, 2n, 3n, 4n, 5n, 6n])).toBe('getppid()');
  });
});
