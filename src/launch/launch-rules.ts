/**
 * The rules the launch itself needs on top of the program's policy: the
 * shipped launch prologue (policies/<arch>/launch_prologue_<linkage>.policy)
 * and the few calls of the launch protocol whose fd numbers are only known
 * at spawn time (native/README.md). Both come back as PolicyIR, parsed by the
 * policy language itself, so their rules carry file:line locations like any
 * other rule.
 */
import { join } from 'node:path';
import type { ArchTable } from '../arch/types.js';
import { packageRoot } from '../devices/package-root.js';
import { parsePolicyFile, parsePolicyText } from '../policy/index.js';
import type { PolicyIR } from '../policy/ir.js';
import type { Linkage } from './elf.js';

/** The shipped prologue file for an arch and linkage (not the user's policies folder: it belongs to the launcher). */
export function launchProloguePath(arch: ArchTable, linkage: Linkage): string {
  return join(packageRoot(), 'policies', arch.name, `launch_prologue_${linkage}.policy`);
}

const prologueCache = new WeakMap<ArchTable, Map<string, PolicyIR>>();

/** The parsed prologue; parsed once per arch table and file. */
export function loadLaunchPrologue(arch: ArchTable, linkage: Linkage, file: string = launchProloguePath(arch, linkage)): PolicyIR {
  let perArch = prologueCache.get(arch);
  if (perArch === undefined) {
    perArch = new Map();
    prologueCache.set(arch, perArch);
  }
  let ir = perArch.get(file);
  if (ir === undefined) {
    ir = parsePolicyFile(file, { arch });
    perArch.set(file, ir);
  }
  return ir;
}

/** Child fd numbers of the stage-B channel (see stageBChildFds in native.ts). */
export interface StageBChannelFds {
  readonly channel: number;
  readonly listener: number;
}

/** The name under which protocol rules appear in reports. */
export const PROTOCOL_RULES_FILE = '<jail-run launch protocol>';

/** fcntl is fcntl64 on 32-bit arm. */
const fcntlName = (arch: ArchTable): string => (arch.syscalls.has('fcntl64') ? 'fcntl64' : 'fcntl');

/**
 * Stage A, static executable with the listener on stage A: the addon sends
 * the listener to the launcher with sendmsg after the filter is in place and
 * before execve, on its status socket, which sits at a fixed fd number in
 * the child (statusChildFd in native.ts). The socket is close-on-exec, so
 * after execve that number is the program's own fd, if any: a static program
 * keeps `sendmsg` with MSG_NOSIGNAL on that one fd number only.
 */
export function staticListenerRulesText(statusFd: number): string {
  if (!Number.isInteger(statusFd) || statusFd < 3) throw new RangeError(`staticListenerRulesText: bad status fd ${statusFd}`);
  return [
    `# the addon hands the listener to the launcher before execve, on its status socket (fd ${statusFd})`,
    `sendmsg: arg0 == ${statusFd} && arg2 == MSG_NOSIGNAL`,
    '',
  ].join('\n');
}

/**
 * Stage A, dynamic executable: what the preload library does before and
 * right after it installs stage B (native/README.md): read the filter from
 * the channel, check the listener's fd number is free, set no_new_privs,
 * install, reply, close; and exit when it fails.
 */
export function stageAPreloadRulesText(arch: ArchTable, fds: StageBChannelFds): string {
  const { channel, listener } = fds;
  return [
    `# the preload library reads stage B from the channel (fd ${channel})`,
    `read: arg0 == ${channel}`,
    `recvmsg: arg0 == ${channel}`,
    `recvfrom: arg0 == ${channel}`,
    `# it checks that the listener's fd number (${listener}) is free`,
    `${fcntlName(arch)}: arg0 == ${listener}`,
    'prctl: arg0 == PR_SET_NO_NEW_PRIVS',
    ...stageBPreloadRulesLines(fds),
    '# a failing preload (or loader) exits with a status',
    'exit_group: 1',
    '',
  ].join('\n');
}

function stageBPreloadRulesLines({ channel, listener }: StageBChannelFds): string[] {
  return [
    `# the preload replies on the channel and closes it and its copy of the listener`,
    `sendmsg: arg0 == ${channel}`,
    `close: arg0 == ${channel} || arg0 == ${listener}`,
  ];
}

/** Stage B: only the preload's post-install calls, on the protocol's fds. */
export function stageBPreloadRulesText(fds: StageBChannelFds): string {
  return [...stageBPreloadRulesLines(fds), ''].join('\n');
}

/** Parses protocol rules written by this module. */
export function parseLaunchRules(text: string, arch: ArchTable): PolicyIR {
  return parsePolicyText(text, PROTOCOL_RULES_FILE, { arch });
}
