/** The text form of an Explanation (`jail-run explain`). */
import { dirname, isAbsolute, relative } from 'node:path';
import type { SourceLocation } from '../policy/source-location.js';
import type { DefaultActionSource, Explanation } from './explain.js';

export interface ExplainHeading {
  /** e.g. "block, vhost-user, x86_64" when explaining a catalog device. */
  readonly device?: string;
}

export function formatExplanation(explanation: Explanation, heading: ExplainHeading = {}): string {
  const base = dirname(explanation.file);
  const show = (file: string): string => shortPath(file, base);
  const where = (location: SourceLocation): string => `${show(location.file)}:${location.line}`;
  const cachedCount = explanation.syscalls.filter((syscall) => syscall.cached).length;
  const lines: string[] = [];
  lines.push(`policy    ${shortPath(explanation.file, process.cwd())}${heading.device === undefined ? '' : ` (${heading.device})`}`);
  lines.push(`arch      ${explanation.arch}`);
  if (explanation.files.length > 1) lines.push(`composed  ${explanation.files.map(show).join(', ')}`);
  lines.push(`default   ${explanation.defaultAction.action}, ${describeDefaultSource(explanation.defaultAction.source, where)}`);
  lines.push(
    `cache     ${cachedCount} of ${explanation.syscalls.length} listed syscalls are allowed by the kernel's action cache without running the filter ` +
      `(Linux 5.11+; ${explanation.layout} layout, ${explanation.programLength} instructions)`,
  );
  lines.push('');

  // The rule goes last: conditions can be long, and the other columns stay aligned.
  const rows: string[][] = [['syscall', 'nr', 'cached', 'from', 'rule']];
  for (const syscall of explanation.syscalls) {
    syscall.rules.forEach((rule, index) => {
      const text = rule.condition === null ? (rule.location === null ? `otherwise: ${rule.action}` : rule.action) : `${rule.condition}: ${rule.action}`;
      const from = rule.location === null ? 'default' : where(rule.location);
      rows.push(index === 0 ? [syscall.name, String(syscall.number), syscall.cached ? 'yes' : 'no', from, text] : ['', '', '', from, text]);
    });
    if (syscall.plainlyAllowed && syscall.rules.length > 1) rows.push(['', '', '', '', '(allowed outright: the conditions above never decide)']);
  }
  lines.push(...table(rows, new Set([1])));
  lines.push('');
  lines.push(`Any other syscall: ${explanation.defaultAction.action}.`);
  return `${lines.join('\n')}\n`;
}

function describeDefaultSource(source: DefaultActionSource, where: (location: SourceLocation) => string): string {
  switch (source.kind) {
    case 'statement':
      return `from the @default at ${where(source.location)}`;
    case 'command-line':
      return 'from --default-action';
    case 'language-default':
      return 'the kill action: the policy has no @default and no --default-action was given';
  }
}

/** Columns padded to their widest cell; the columns in `rightAligned` are right-aligned. */
function table(rows: readonly string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : rightAligned.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

function shortPath(file: string, base: string): string {
  const shown = relative(base, file);
  return shown !== '' && !shown.startsWith('..') && !isAbsolute(shown) ? shown : file;
}
