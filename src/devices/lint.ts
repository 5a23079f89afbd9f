/**
 * `jail-run lint [DIR]`: the naming rules of a policies folder (design §5,
 * docs/devices-cli.md), as findings with file:line:column and a rule id.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SHIPPED_ARCHES } from '../arch/index.js';
import type { PolicyCompiler } from './compile-cache.js';
import { checkCompiles } from './lint-compile.js';
import { checkContent } from './lint-content.js';
import { checkCoverage } from './lint-coverage.js';
import { compareFindings, type LintFinding } from './lint-finding.js';
import { isDirectory, readArchFolders } from './lint-folder.js';
import { checkStructure } from './lint-structure.js';

export { formatFinding, type LintFinding, type LintRule, type LintSeverity } from './lint-finding.js';
export { DANGEROUS_SYSCALLS } from './lint-content.js';

export interface LintOptions {
  /** The compiler used for the compile rule; default compilePolicy of src/compile.ts. */
  readonly compile?: PolicyCompiler;
  /** Replaces the dangerous-syscall list (as the reference linter's --dangerous-syscalls does). */
  readonly dangerousSyscalls?: readonly string[];
}

export interface LintReport {
  readonly folder: string;
  readonly findings: readonly LintFinding[];
  readonly errors: number;
  readonly warnings: number;
  /** Loadable files seen, and compilations done (one per loadable file and layout). */
  readonly loadableFiles: number;
  readonly compilations: number;
}

/** Arch-like names that are not our folder names: probably a misnamed arch folder. */
const ARCH_ALIASES = new Map([
  ['amd64', 'x86_64'],
  ['x64', 'x86_64'],
  ['arm64', 'aarch64'],
  ['armhf', 'arm'],
  ['arm32', 'arm'],
]);

export async function lintPolicyFolder(folder: string, options: LintOptions = {}): Promise<LintReport> {
  const root = resolve(folder);
  if (!isDirectory(root)) {
    const finding: LintFinding = { rule: 'policy-folder', severity: 'error', file: root, line: 1, column: 1, message: `${root} is not a folder` };
    return { folder: root, findings: [finding], errors: 1, warnings: 0, loadableFiles: 0, compilations: 0 };
  }
  const compile = options.compile ?? (await import('../compile.js')).compilePolicy;
  const findings: LintFinding[] = [];
  for (const name of readdirSync(root)) {
    const meant = ARCH_ALIASES.get(name);
    if (meant !== undefined && isDirectory(join(root, name))) {
      findings.push({ rule: 'arch-folder', severity: 'warning', file: join(root, name), line: 1, column: 1, message: `folder ${name} is ignored: arch folders are named ${SHIPPED_ARCHES.join(', ')} (did you mean ${meant}?)` });
    }
  }
  const archFolders = readArchFolders(root);
  let compilations = 0;
  for (const archFolder of archFolders) {
    findings.push(...checkStructure(archFolder));
    findings.push(...checkContent(archFolder, options.dangerousSyscalls));
    const compiled = checkCompiles(archFolder, compile);
    compilations += compiled.compiled;
    findings.push(...compiled.findings);
  }
  findings.push(...checkCoverage(root, archFolders));
  const unique = dedupe(findings).sort(compareFindings);
  return {
    folder: root,
    findings: unique,
    errors: unique.filter((finding) => finding.severity === 'error').length,
    warnings: unique.filter((finding) => finding.severity === 'warning').length,
    loadableFiles: archFolders.reduce((count, archFolder) => count + archFolder.files.filter((file) => file.role.kind === 'loadable').length, 0),
    compilations,
  };
}

/**
 * One finding per place and message; a compile error where a line rule
 * already spoke (an unknown syscall the compiler also rejects) adds nothing.
 */
function dedupe(findings: readonly LintFinding[]): LintFinding[] {
  const seen = new Set<string>();
  const lineRuleSpoke = new Set(findings.filter((finding) => finding.rule !== 'compile' && finding.severity === 'error').map((finding) => `${finding.file}:${finding.line}`));
  const kept: LintFinding[] = [];
  for (const finding of findings) {
    if (finding.rule === 'compile' && lineRuleSpoke.has(`${finding.file}:${finding.line}`)) continue;
    const key = `${finding.file}:${finding.line}:${finding.column}:${finding.rule}:${finding.rule === 'compile' ? finding.message.replace(/ \(compiling .*\)$/, '') : finding.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(finding);
  }
  return kept;
}
