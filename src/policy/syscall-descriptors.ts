/**
 * What a syscall descriptor names on one arch (policy-language.md §4.4):
 * nothing when its `[arch=...]` metadata leaves this arch out (checked
 * before the name is looked up), the members of a `group@namespace`, or one
 * syscall.
 */
import type { ArchTable } from '../arch/types.js';
import { MESSAGES } from './error-messages.js';
import { errorAtToken } from './report.js';
import type { SyscallDescriptorSyntax } from './syntax.js';

export interface NamedSyscall {
  readonly name: string;
  readonly number: number;
}

/** False when the descriptor's `arch` metadata does not list this arch's Minijail name. */
export function descriptorAppliesTo(descriptor: SyscallDescriptorSyntax, arch: ArchTable): boolean {
  const archEntry = descriptor.metadata?.find((entry) => entry.key.text === 'arch');
  return archEntry === undefined || archEntry.values.some((value) => value.text === arch.minijailName);
}

/** The syscalls a descriptor stands for on this arch; throws the reference's errors at its name. */
export function expandSyscallDescriptor(descriptor: SyscallDescriptorSyntax, arch: ArchTable): NamedSyscall[] {
  if (!descriptorAppliesTo(descriptor, arch)) return [];
  const { name } = descriptor;
  if (name.text.includes('@')) {
    const parts = name.text.split('@');
    if (parts.length !== 2) throw errorAtToken(MESSAGES.invalidSyscallGroupName, name);
    const [groupName, namespaceName] = parts;
    const namespace = arch.syscallGroups.get(namespaceName);
    if (namespace === undefined) throw errorAtToken(MESSAGES.nonexistentSyscallGroupNamespace, name);
    const members = namespace.get(groupName);
    if (members === undefined) throw errorAtToken(MESSAGES.nonexistentSyscallGroup, name);
    return members.map((member) => {
      const number = arch.syscalls.get(member);
      // The reference dies with a KeyError here (docs/divergences.md).
      if (number === undefined) throw errorAtToken(MESSAGES.nonexistentSyscallInGroup(member, name.text), name);
      return { name: member, number };
    });
  }
  const number = arch.syscalls.get(name.text);
  if (number === undefined) throw errorAtToken(MESSAGES.nonexistentSyscall, name);
  return [{ name: name.text, number }];
}
