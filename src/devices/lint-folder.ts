import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SHIPPED_ARCHES, type ShippedArch } from '../arch/index.js';
import { classifyPolicyFile, type PolicyFileRole } from './naming.js';
import { scanPolicyText, type ScannedPolicy } from './policy-lines.js';

/** One .policy file of an arch folder, read once and shared by every lint rule. */
export interface PolicyFileInfo {
  readonly name: string;
  readonly path: string;
  readonly role: PolicyFileRole;
  readonly scanned: ScannedPolicy;
}

export interface ArchFolder {
  readonly arch: ShippedArch;
  readonly path: string;
  readonly files: readonly PolicyFileInfo[];
}

/** The shipped-arch folders of a policies folder with their .policy files, sorted by name. */
export function readArchFolders(root: string): ArchFolder[] {
  const folders: ArchFolder[] = [];
  for (const arch of SHIPPED_ARCHES) {
    const path = join(root, arch);
    if (!isDirectory(path)) continue;
    const files = readdirSync(path)
      .filter((name) => name.endsWith('.policy') && isFile(join(path, name)))
      .sort()
      .map((name) => readPolicyFile(path, name));
    folders.push({ arch, path, files });
  }
  return folders;
}

/** One .policy file of an arch folder, classified by its name and scanned. */
export function readPolicyFile(folder: string, name: string): PolicyFileInfo {
  const path = join(folder, name);
  return { name, path, role: classifyPolicyFile(name), scanned: scanPolicyText(readFileSync(path, 'utf8'), path) };
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
