/** Shared fixtures for the policy-language tests. */
import type { ArchTable } from '../../src/arch/types.js';
import { PolicyError } from '../../src/policy/errors.js';
import { parsePolicyText, type ParseOptions } from '../../src/policy/index.js';
import type { PolicyIR } from '../../src/policy/ir.js';
import { unitTestArch } from '../bpf/policy-builder.js';

/**
 * Minijail's unit-test arch (policy-language.md §12) with its syscall groups
 * io@libc and file-io@systemd, both [read, write], and EPERM = 1.
 */
export function testArch(bits: 32 | 64 = 64): ArchTable {
  const base = unitTestArch(bits);
  return {
    ...base,
    // Not in the reference's test arch: --denylist takes its kill action, ERRNO(EPERM), from the constants.
    constants: new Map([...base.constants, ['EPERM', 1n]]),
    syscallGroups: new Map([
      ['libc', new Map([['io', ['read', 'write']]])],
      ['systemd', new Map([['file-io', ['read', 'write']]])],
    ]),
  };
}

/** A readFile over in-memory files; anything else does not exist. */
export function memoryFiles(files: Record<string, string>): (path: string) => string {
  return (path) => {
    if (!Object.hasOwn(files, path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return files[path];
  };
}

/** The three-line error block a policy gives, or a failure when it compiles. */
export function policyErrorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyError) return error.format();
    throw error;
  }
  throw new Error('expected a PolicyError, but the policy was accepted');
}

/** Parse `text` as test.policy on the unit-test arch, kill action kill-process (the unit tests' parser). */
export function parseTest(text: string, options: Partial<ParseOptions> = {}, files: Record<string, string> = {}): PolicyIR {
  return parsePolicyText(text, 'test.policy', { arch: testArch(), useKillProcess: true, readFile: memoryFiles(files), ...options });
}

/** A three-line block from its parts, for readable expectations. */
export const block = (head: string, source: string, caretColumn: number, carets = 1): string =>
  `${head}\n    ${source}\n    ${' '.repeat(caretColumn - 1)}${'^'.repeat(carets)}`;
