/**
 * Rules about what a file says, checked in every .policy file (fragments
 * included, so a mistake shows up where it is written, not once per device):
 * syscall names the arch does not have, and dangerous syscalls allowed with
 * no argument restriction and no comment saying why (the reference linter's
 * rule, policy-language.md §10, extended to clone3). The launcher's prologue
 * files are checked for names only: they exist to allow what start-up needs.
 */
import { getShippedArch } from '../arch/index.js';
import type { LintFinding } from './lint-finding.js';
import type { ArchFolder } from './lint-folder.js';

export const DANGEROUS_SYSCALLS: readonly string[] = [
  'clone', 'clone3', 'mount', 'setns', 'kill', 'execve', 'execveat', 'getrandom', 'bpf', 'socket',
  'ptrace', 'swapon', 'swapoff', 'prctl', 'ioctl', 'mmap', 'mmap2', 'mprotect',
];

export function checkContent(folder: ArchFolder, dangerous: readonly string[] = DANGEROUS_SYSCALLS): LintFinding[] {
  const arch = getShippedArch(folder.arch);
  const dangerousSet = new Set(dangerous);
  const findings: LintFinding[] = [];
  for (const file of folder.files) {
    for (const statement of file.scanned.statements) {
      if (statement.kind !== 'rule') continue;
      for (const syscall of statement.syscalls) {
        // name@namespace is a syscall group; the compiler checks those.
        if (syscall.name.includes('@')) continue;
        if (!arch.syscalls.has(syscall.name)) {
          findings.push({
            rule: 'unknown-syscall',
            severity: 'error',
            file: file.path,
            line: syscall.line,
            column: syscall.column,
            message: `${syscall.name} is not a syscall on ${folder.arch}`,
          });
        } else if (file.role.kind !== 'launcher' && dangerousSet.has(syscall.name) && statement.allowsOutright && !statement.commented) {
          findings.push({
            rule: 'dangerous-syscall',
            severity: 'error',
            file: file.path,
            line: syscall.line,
            column: syscall.column,
            message: `${syscall.name} is dangerous: restrict its arguments, or say why it is safe in a comment on the line before`,
          });
        }
      }
    }
  }
  return findings;
}
