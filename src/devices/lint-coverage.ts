/**
 * Every device on every arch, or a stated reason. The device × transport
 * pairs of all arch folders together are what the catalog offers; an arch
 * folder lacking one needs a gap note in any of its .policy files:
 *
 *     # gap: NAME: REASON
 *
 * NAME is the missing loadable file (`foo_device_vvu`, `.policy` optional) or
 * a device name, which covers all of that device's files on the arch. A note
 * that names something present, or nothing the catalog knows, is an error
 * too, so notes cannot go stale silently.
 */
import { join } from 'node:path';
import { SHIPPED_ARCHES } from '../arch/index.js';
import type { LintFinding } from './lint-finding.js';
import type { ArchFolder } from './lint-folder.js';
import { loadableFileName, POLICY_EXTENSION, type Transport } from './naming.js';

const GAP_NOTE = /^gap\s*:/i;
const GAP_NOTE_PARTS = /^gap\s*:\s*([a-z0-9_]+?)(?:\.policy)?\s*:\s*(\S.*)$/;

interface GapNote {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function checkCoverage(root: string, folders: readonly ArchFolder[]): LintFinding[] {
  const findings: LintFinding[] = [];
  const present = new Set(folders.map((folder) => folder.arch));
  for (const arch of SHIPPED_ARCHES) {
    if (!present.has(arch)) {
      findings.push({ rule: 'arch-folder', severity: 'error', file: join(root, arch), line: 1, column: 1, message: `no policies folder for arch ${arch}: every device must exist for every arch` });
    }
  }

  const offered = new Map<string, { device: string; transport: Transport; arches: string[] }>();
  for (const folder of folders) {
    for (const file of folder.files) {
      if (file.role.kind !== 'loadable') continue;
      const key = loadableFileName(file.role.device, file.role.transport);
      const pair = offered.get(key) ?? { device: file.role.device, transport: file.role.transport, arches: [] };
      pair.arches.push(folder.arch);
      offered.set(key, pair);
    }
  }
  const knownDevices = new Set([...offered.values()].map((pair) => pair.device));

  for (const folder of folders) {
    const { notes, problems } = gapNotes(folder);
    findings.push(...problems);
    const here = new Set(folder.files.filter((file) => file.role.kind === 'loadable').map((file) => file.name));
    const devicesHere = new Set(folder.files.flatMap((file) => (file.role.kind === 'loadable' ? [file.role.device] : [])));
    for (const note of notes) {
      const asFile = `${note.name}${POLICY_EXTENSION}`;
      if (here.has(asFile)) {
        findings.push(noteFinding(note, `gap note for ${asFile}, but ${asFile} exists on ${folder.arch}: remove the note`));
      } else if (offered.has(asFile)) {
        continue;
      } else if (devicesHere.has(note.name)) {
        findings.push(noteFinding(note, `gap note for device ${note.name}, but ${folder.arch} has policies for it: name the missing files (e.g. ${note.name}_device_vvu) instead`));
      } else if (!knownDevices.has(note.name)) {
        findings.push(noteFinding(note, `gap note for ${note.name}, which is no device or loadable file of any arch`));
      }
    }
    const excused = new Set(notes.map((note) => note.name));
    for (const [fileName, pair] of offered) {
      if (here.has(fileName)) continue;
      if (excused.has(fileName.slice(0, -POLICY_EXTENSION.length)) || excused.has(pair.device)) continue;
      findings.push({
        rule: 'device-gap',
        severity: 'error',
        file: folder.path,
        line: 1,
        column: 1,
        message:
          `device ${pair.device} (${pair.transport}) has no ${fileName} for ${folder.arch} (it exists for ${pair.arches.join(', ')}); ` +
          `add it, or state why in a "# gap: ${fileName.slice(0, -POLICY_EXTENSION.length)}: REASON" comment in a .policy file of ${folder.arch}`,
      });
    }
  }
  return findings;
}

function gapNotes(folder: ArchFolder): { notes: GapNote[]; problems: LintFinding[] } {
  const notes: GapNote[] = [];
  const problems: LintFinding[] = [];
  for (const file of folder.files) {
    for (const comment of file.scanned.comments) {
      if (!GAP_NOTE.test(comment.text)) continue;
      const parts = GAP_NOTE_PARTS.exec(comment.text);
      if (parts === null) {
        problems.push({
          rule: 'gap-note',
          severity: 'error',
          file: file.path,
          line: comment.line,
          column: comment.column,
          message: 'a gap note reads "# gap: NAME: REASON" (NAME a loadable file like foo_device_vvu, or a device; the reason must not be empty)',
        });
        continue;
      }
      notes.push({ name: parts[1], file: file.path, line: comment.line, column: comment.column });
    }
  }
  return { notes, problems };
}

function noteFinding(note: GapNote, message: string): LintFinding {
  return { rule: 'gap-note', severity: 'error', file: note.file, line: note.line, column: note.column, message };
}
