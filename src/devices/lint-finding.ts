import { isAbsolute, relative } from 'node:path';

/** Stable ids of the naming and content rules `jail-run lint` checks (docs/devices-cli.md lists them). */
export type LintRule =
  | 'policy-folder'
  | 'arch-folder'
  | 'syntax'
  | 'file-name'
  | 'fragment-include'
  | 'loadable-includes'
  | 'include-missing'
  | 'orphan-fragment'
  | 'device-gap'
  | 'gap-note'
  | 'unknown-syscall'
  | 'dangerous-syscall'
  | 'compile'
  | 'verify';

export type LintSeverity = 'error' | 'warning';

export interface LintFinding {
  readonly rule: LintRule;
  readonly severity: LintSeverity;
  /** Absolute path of the file (or folder) the finding is about. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** `file:line:column: severity [rule] message`, the file relative to `base` when it lies below it. */
export function formatFinding(finding: LintFinding, base: string = process.cwd()): string {
  const shown = relative(base, finding.file);
  const file = shown !== '' && !shown.startsWith('..') && !isAbsolute(shown) ? shown : finding.file;
  return `${file}:${finding.line}:${finding.column}: ${finding.severity} [${finding.rule}] ${finding.message}`;
}

export function compareFindings(a: LintFinding, b: LintFinding): number {
  return byCodePoint(a.file, b.file) || a.line - b.line || a.column - b.column || byCodePoint(a.rule, b.rule);
}

/** Locale-independent, so the output is the same on every machine. */
function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
