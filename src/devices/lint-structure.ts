/**
 * Naming and inclusion rules (design §5): every file parses; file names the rules can read;
 * fragments only ever included (so they include nothing themselves, which
 * keeps inclusion one level deep and loadable by Minijail's C parser); each
 * loadable file includes exactly common_device, its transport's file and its
 * device fragment, in that order; every include target exists.
 */
import { dirname } from 'node:path';
import { resolveIncludedPath } from '../policy/index.js';
import type { LintFinding } from './lint-finding.js';
import { isFile, type ArchFolder, type PolicyFileInfo } from './lint-folder.js';
import { requiredIncludes, TRANSPORTS } from './naming.js';
import type { ScannedInclude } from './policy-lines.js';

export function checkStructure(folder: ArchFolder): LintFinding[] {
  const findings: LintFinding[] = [];
  const includedFragments = new Set<string>();
  for (const file of folder.files) {
    const syntaxError = file.scanned.syntaxError;
    if (syntaxError !== undefined) {
      findings.push(at(file, syntaxError.line, syntaxError.column, 'syntax', `${syntaxError.detail} (the other rules skip this file until it parses)`));
      continue;
    }
    const includes = file.scanned.statements.filter((statement): statement is ScannedInclude => statement.kind === 'include');
    for (const include of includes) {
      const target = includeTarget(file, include);
      if (!isFile(target)) {
        findings.push(error(file, include, 'include-missing', `@include ${include.path}: no such file ${target}`));
      } else {
        includedFragments.add(target);
      }
    }
    const role = file.role;
    switch (role.kind) {
      case 'bad-name':
        findings.push(at(file, 1, 1, 'file-name', `${file.name}: ${role.reason}`));
        break;
      case 'unknown-transport':
        findings.push(
          at(file, 1, 1, 'file-name', `${file.name}: "_device${role.suffix}" names no transport; loadable files end in _device.policy (virtio), _device_vhost_user.policy or _device_vvu.policy`),
        );
        break;
      case 'common':
      case 'transport':
      case 'device-fragment':
        for (const include of includes) {
          findings.push(error(file, include, 'fragment-include', `${file.name} is a fragment: fragments are only included and include nothing themselves (inclusion stays one level deep)`));
        }
        break;
      case 'loadable':
        findings.push(...checkLoadableIncludes(file, includes, role.device, role.transport));
        break;
      case 'launcher':
      case 'not-a-policy':
        break;
    }
  }
  // Whom an unreadable file includes is unknown, so orphans cannot be told then.
  const everyFileParses = folder.files.every((file) => file.scanned.syntaxError === undefined);
  for (const file of folder.files) {
    if (everyFileParses && file.role.kind === 'device-fragment' && !includedFragments.has(file.path)) {
      findings.push({
        ...at(file, 1, 1, 'orphan-fragment', `fragment ${file.name} is included by no loadable file (a device needs ${file.role.device}_device.policy, _vhost_user or _vvu)`),
        severity: 'warning',
      });
    }
  }
  return findings;
}

function checkLoadableIncludes(file: PolicyFileInfo, includes: readonly ScannedInclude[], device: string, transport: (typeof TRANSPORTS)[number]): LintFinding[] {
  const required = requiredIncludes(device, transport);
  const folder = dirname(file.path);
  const actual = includes.map((include) => {
    const target = includeTarget(file, include);
    return dirname(target) === folder ? target.slice(folder.length + 1) : include.path;
  });
  const expectation = `a ${transport} loadable file includes exactly ${required.map((name) => `./${name}`).join(', ')} in this order`;
  const findings: LintFinding[] = [];
  for (const name of required) {
    if (!actual.includes(name)) {
      const last = includes[includes.length - 1];
      findings.push(at(file, last?.line ?? 1, last?.column ?? 1, 'loadable-includes', `${file.name} does not include ./${name}: ${expectation}`));
    }
  }
  const seen = new Set<string>();
  includes.forEach((include, index) => {
    const name = actual[index];
    if (!required.includes(name)) {
      findings.push(error(file, include, 'loadable-includes', `${file.name} includes ${include.path}, which is not one of its parts: ${expectation}`));
    } else if (seen.has(name)) {
      findings.push(error(file, include, 'loadable-includes', `${file.name} includes ./${name} twice`));
    }
    seen.add(name);
  });
  const ordered = actual.filter((name) => required.includes(name));
  const expectedOrder = required.filter((name) => ordered.includes(name));
  if (findings.length === 0 && ordered.join('\n') !== expectedOrder.join('\n')) {
    findings.push(error(file, includes[0], 'loadable-includes', `${file.name} includes its parts out of order: ${expectation}`));
  }
  return findings;
}

/** Where an @include points, resolved as the compiler does (relative to the including file). */
function includeTarget(file: PolicyFileInfo, include: ScannedInclude): string {
  return resolveIncludedPath(file.path, include.path);
}

function error(file: PolicyFileInfo, where: { line: number; column: number }, rule: LintFinding['rule'], message: string): LintFinding {
  return at(file, where.line, where.column, rule, message);
}

function at(file: PolicyFileInfo, line: number, column: number, rule: LintFinding['rule'], message: string): LintFinding {
  return { rule, severity: 'error', file: file.path, line, column, message };
}
