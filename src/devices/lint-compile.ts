/**
 * Every loadable file compiles for its arch in both code layouts and the
 * programs pass the kernel's load-time checks. A compile error is reported
 * where the compiler points (often inside a fragment), once, however many
 * devices include that fragment.
 */
import { resolve } from 'node:path';
import { getShippedArch } from '../arch/index.js';
import { findProgramProblems } from '../bpf/index.js';
import { PolicyError } from '../policy/errors.js';
import type { PolicyCompiler } from './compile-cache.js';
import type { LintFinding } from './lint-finding.js';
import type { ArchFolder } from './lint-folder.js';

export const LINT_LAYOUTS = ['optimized', 'minijail'] as const;

export function checkCompiles(folder: ArchFolder, compile: PolicyCompiler): { findings: LintFinding[]; compiled: number } {
  const arch = getShippedArch(folder.arch);
  const findings: LintFinding[] = [];
  let compiled = 0;
  for (const file of folder.files) {
    if (file.role.kind !== 'loadable') continue;
    for (const layout of LINT_LAYOUTS) {
      try {
        const { program } = compile(file.path, { arch, layout });
        compiled++;
        const problems = findProgramProblems(program);
        if (problems.length > 0) {
          findings.push({
            rule: 'verify',
            severity: 'error',
            file: file.path,
            line: 1,
            column: 1,
            message: `the ${layout} program for ${folder.arch} fails the kernel's checks: ${problems.map((problem) => problem.reason).join('; ')}`,
          });
        }
      } catch (error) {
        if (error instanceof PolicyError) {
          findings.push({
            rule: 'compile',
            severity: 'error',
            file: resolve(error.file),
            line: error.line,
            column: error.column,
            message: `${error.detail} (compiling ${file.name} for ${folder.arch}, ${layout} layout)`,
          });
        } else {
          findings.push({
            rule: 'compile',
            severity: 'error',
            file: file.path,
            line: 1,
            column: 1,
            // The finding already names the file; drop it from a message that starts with it (a too-long program).
            message: `does not compile for ${folder.arch} (${layout} layout): ${(error as Error).message.replace(`${file.path}: `, '')}`,
          });
        }
      }
    }
  }
  return { findings, compiled };
}
