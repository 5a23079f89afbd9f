import { describe, expect, it } from 'vitest';
import {
  getShippedArch,
  hostArch,
  loadArchJson,
  parseArchJson,
  resolveArch,
  SHIPPED_ARCHES,
  syscallName,
  UnknownArchError,
} from '../../src/arch/index.js';

describe('resolveArch', () => {
  it.each([
    ['x86_64', 'x86_64'],
    ['amd64', 'x86_64'],
    ['aarch64', 'aarch64'],
    ['arm64', 'aarch64'],
    ['arm', 'arm'],
    ['armhf', 'arm'],
  ])('%s resolves to the %s table', (alias, name) => {
    expect(resolveArch(alias).name).toBe(name);
    expect(resolveArch(alias)).toBe(getShippedArch(name as 'x86_64' | 'aarch64' | 'arm'));
  });

  it('names the shipped arches and suggests the nearest name for a typo', () => {
    expect(() => resolveArch('amd46')).toThrow(UnknownArchError);
    expect(() => resolveArch('amd46')).toThrow(/unknown arch "amd46" \(did you mean "amd64"\?\); shipped arches: x86_64, aarch64, arm/);
    expect(() => resolveArch('X86_64')).toThrow(/did you mean "x86_64"/);
    expect(() => resolveArch('aarch46')).toThrow(/did you mean "aarch64"/);
  });

  it('does not suggest anything for an unrelated name, and points at --arch-json', () => {
    let error: unknown;
    try {
      resolveArch('mips');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UnknownArchError);
    expect((error as UnknownArchError).suggestion).toBeUndefined();
    expect((error as Error).message).not.toMatch(/did you mean/);
    expect((error as Error).message).toMatch(/--arch-json/);
  });

  it('is not fooled by names of Object.prototype', () => {
    expect(() => resolveArch('toString')).toThrow(UnknownArchError);
    expect(() => resolveArch('__proto__')).toThrow(UnknownArchError);
  });
});

describe('getShippedArch', () => {
  it('builds each table once', () => {
    for (const name of SHIPPED_ARCHES) expect(getShippedArch(name)).toBe(getShippedArch(name));
  });

  it('rejects an unshipped name from untyped callers', () => {
    expect(() => getShippedArch('riscv64' as never)).toThrow(UnknownArchError);
  });

  it('keeps negative and wide constants exact', () => {
    // AT_FDCWD is -100 everywhere; CLONE_INTO_CGROUP is 0x200000000ULL and exists only on 64-bit arches.
    for (const name of SHIPPED_ARCHES) expect(getShippedArch(name).constants.get('AT_FDCWD')).toBe(-100n);
    expect(getShippedArch('x86_64').constants.get('CLONE_INTO_CGROUP')).toBe(0x200000000n);
    expect(getShippedArch('arm').constants.has('CLONE_INTO_CGROUP')).toBe(false);
  });

  it('has empty syscall groups (Minijail files may bring their own)', () => {
    for (const name of SHIPPED_ARCHES) expect(getShippedArch(name).syscallGroups.size).toBe(0);
  });
});

describe('hostArch', () => {
  it('maps Node arch names', () => {
    expect(hostArch('x64')).toBe('x86_64');
    expect(hostArch('arm64')).toBe('aarch64');
    expect(hostArch('arm')).toBe('arm');
  });

  it('fails clearly on a host without a shipped table', () => {
    expect(() => hostArch('ppc64')).toThrow(/no shipped table for host arch "ppc64"/);
  });

  it('defaults to this process', () => {
    if (['x64', 'arm64', 'arm'].includes(process.arch)) expect(resolveArch(hostArch()).name).toBe(hostArch());
    else expect(() => hostArch()).toThrow(UnknownArchError);
  });
});

describe('syscallName', () => {
  it('finds the name of a number', () => {
    const x86_64 = getShippedArch('x86_64');
    expect(syscallName(x86_64, 0)).toBe('read');
    expect(syscallName(x86_64, 59)).toBe('execve');
    expect(syscallName(getShippedArch('aarch64'), 63)).toBe('read');
    expect(syscallName(x86_64, 0x40000000)).toBeUndefined();
  });

  it('round-trips every number of every table', () => {
    for (const name of SHIPPED_ARCHES) {
      const table = getShippedArch(name);
      for (const number of table.syscalls.values()) {
        expect(table.syscalls.get(syscallName(table, number)!)).toBe(number);
      }
    }
  });

  it('gives the first name where two names share a number', () => {
    const arm = getShippedArch('arm');
    const shared = arm.syscalls.get('sync_file_range2');
    expect(shared).toBe(arm.syscalls.get('arm_sync_file_range'));
    const namesInOrder = [...arm.syscalls].filter(([, number]) => number === shared).map(([name]) => name);
    expect(namesInOrder.length).toBe(2);
    expect(syscallName(arm, shared!)).toBe(namesInOrder[0]);
  });

  it('works on tables loaded from Minijail files', () => {
    const table = parseArchJson(
      '{"arch_nr": 1, "arch_name": "toy", "bits": 32, "syscalls": {"b": 5, "a": 5, "c": 6}, "constants": {}}',
      'toy.json',
    );
    expect(syscallName(table, 5)).toBe('b');
    expect(syscallName(table, 6)).toBe('c');
    expect(typeof loadArchJson).toBe('function');
  });
});
