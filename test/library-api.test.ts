/**
 * The package's library entry point (src/index.ts): what a Node program that
 * orchestrates devices imports. One end-to-end path through it, so a broken
 * re-export or a CLI-only dependency shows up here.
 */
import { describe, expect, it } from 'vitest';
import * as jailRun from '../src/index.js';

describe('library API (src/index.ts)', () => {
  it('exports the compile, check, device, launch and BPF entry points as functions', () => {
    const expected = [
      'compilePolicy', 'compilePolicyText', 'parsePolicyFile', 'parsePolicyText', 'parsePolicySyntax', 'evaluatePolicy',
      'resolveArch', 'hostArch', 'loadArchJson',
      'encodeProgram', 'decodeProgram', 'disassemble', 'simulate', 'verifyProgram', 'cachedSyscalls', 'renderCHeader',
      'listDevices', 'resolveDevicePolicy', 'devicePolicyFor', 'lintPolicyFolder', 'explainDevice', 'spawnDevice',
      'checkSyscall', 'spawnJailed',
    ] as const;
    for (const name of expected) expect(typeof (jailRun as Record<string, unknown>)[name], name).toBe('function');
  });

  it('compiles a policy text, and the program it returns decides as the policy says', () => {
    const compiled = jailRun.compilePolicyText('getpid: allow\nopenat: return ENOENT\n', 'inline.policy', { arch: 'x86_64', defaultAction: 'kill-process' });
    const arch = compiled.arch;
    const decide = (name: string): number =>
      jailRun.simulate(compiled.program, jailRun.makeSeccompData(arch.syscalls.get(name)!, arch.auditArch)).action;
    expect(decide('getpid')).toBe(0x7fff0000);
    expect(decide('openat')).toBe(0x00050000 | 2);
    expect(decide('write')).toBe(0x80000000);
    // Round trip through the on-disk form.
    expect(jailRun.decodeProgram(jailRun.encodeProgram(compiled.program))).toEqual(compiled.program);
  });

  it('reports a policy error as a PolicyError with its location', () => {
    let caught: unknown;
    try {
      jailRun.compilePolicyText('getpid: allow\nnot_a_syscall: allow\n', 'bad.policy', { arch: 'x86_64' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(jailRun.PolicyError);
    expect((caught as InstanceType<typeof jailRun.PolicyError>).location).toEqual({ file: 'bad.policy', line: 2, column: 1 });
  });
});
