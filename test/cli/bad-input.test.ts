/**
 * Bad input across the whole CLI and a few library calls: every row is one
 * command line a user could type by mistake (or on purpose), run through the
 * built CLI. Each must end with the exit status its mode promises (1 policy
 * error / 2 usage error in the tool subcommands, 125/126/127 in the run mode),
 * a message on stderr that says where and why, no stack frame, no output file
 * (or temp file) left behind, and no hang (a child still running after its
 * time limit fails the row).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ArchFileError, loadArchJson } from '../../src/arch/arch-json.js';
import { UnknownArchError } from '../../src/arch/index.js';
import { BpfDecodeError, decodeProgram, encodeProgram, ProgramTooLongError } from '../../src/bpf/index.js';
import { reportFailure } from '../../src/cli/report-failure.js';
import { compilePolicy } from '../../src/compile.js';
import { DeviceCatalogError, resolveDevicePolicy } from '../../src/devices/catalog.js';
import { LaunchError } from '../../src/launch/errors.js';
import { spawnJailed } from '../../src/launch/spawn-jailed.js';
import { PolicyError } from '../../src/policy/errors.js';
import { PolicyFileError } from '../../src/policy/policy-file-error.js';
import { buildPrivateCopy, projectRoot } from './run-cli.js';

/** A stack frame as Node prints it: "    at f (file:12:34)" or "    at file:12:34" (help text may wrap to "    at the ..."). */
const STACK_FRAME = /^ {4}at .*:\d+:\d+\)?$/m;
const NOBODY = 65534;
/** Long enough for the 5000-rule policy on a loaded machine; a hang ends the row well before the test's own limit. */
const ROW_TIME_LIMIT_MS = 30_000;

let scratch: string;
/** The private build's folder and CLI entry (see buildPrivateCopy). */
let buildFolder: string;
let cliEntry: string;
/** A path in the scratch folder. */
const at = (...parts: string[]): string => join(scratch, ...parts);
/** Where rows write; it must be empty after every row (no output, no temp file). */
const outputs = (): string => at('out');

interface Row {
  readonly name: string;
  readonly argv: () => string[];
  readonly exit: number;
  readonly stderr: RegExp;
  readonly stdout?: RegExp;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as an unprivileged user when the tests run as root, so that mode 000 and 555 mean unreadable and unwritable. */
  readonly unprivileged?: boolean;
  /** Further checks after the run (a file that must be unchanged, ...). */
  readonly after?: () => void;
}

function runRow(row: Row): void {
  const env = { ...process.env, ...row.env };
  delete env.MINIJAIL_DEFAULT_RET_LOG;
  if (row.env?.JAIL_RUN_DEBUG === undefined) delete env.JAIL_RUN_DEBUG;
  const asNobody = row.unprivileged === true && process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  const result = spawnSync(process.execPath, [cliEntry, ...row.argv()], { cwd: scratch, env, timeout: ROW_TIME_LIMIT_MS, encoding: 'utf8', ...asNobody });
  expect(result.signal, `still running after ${ROW_TIME_LIMIT_MS} ms (a hang?)`).toBeNull();
  const stderr = result.stderr;
  expect(stderr).toMatch(row.stderr);
  expect(stderr).not.toMatch(STACK_FRAME);
  if (row.stdout !== undefined) expect(result.stdout).toMatch(row.stdout);
  expect(result.status, stderr).toBe(row.exit);
  expect(readdirSync(outputs()), 'files left in the output folder').toEqual([]);
  row.after?.();
}

// --- fixtures -------------------------------------------------------------

const OK_POLICY = 'read: 1\nwrite: 1\nexit_group: 1\n';

function writeFixtures(): void {
  mkdirSync(outputs());
  mkdirSync(at('folder'));
  writeFileSync(at('ok.policy'), OK_POLICY);
  writeFileSync(at('self.policy'), 'read: 1\n@include ./self.policy\n');
  writeFileSync(at('include-dev-zero.policy'), '@include /dev/zero\n');
  writeFileSync(at('include-folder.policy'), `@include ${at('folder')}\n`);
  writeFileSync(at('frequency-dev-zero.policy'), '@frequency /dev/zero\nread: 1\n');
  writeFileSync(at('binary.policy'), readFileSync(process.execPath).subarray(0, 4096));
  writeFileSync(at('not-utf8.policy'), Buffer.from('read: 1\nwr\xffite: 1\n', 'latin1'));
  writeFileSync(at('broken.policy'), 'read: 1\nwrite: arg0 ==\n');
  // One line of about 260,000 characters whose error is at its very end.
  writeFileSync(at('long-line.policy'), `read: ${'arg0 == 1 || '.repeat(20_000)}arg0 == NO_SUCH_CONSTANT\n`);
  // 5000 distinct argument values, spread so that no range merges them: far over 4096 instructions in either layout.
  const values = Array.from({ length: 5000 }, (_, index) => index * 7919 + 3);
  writeFileSync(at('5000-rules.policy'), values.map((value) => `ioctl: arg1 == ${value}`).join('\n') + '\n');
  // In the minijail layout about 4070 instructions: it fits alone, not with the launcher's prologue (stage A).
  writeFileSync(at('near-limit.policy'), values.slice(0, 685).map((value) => `ioctl: arg1 == ${value}`).join('\n') + '\n');
  // Unreadable for the row's user (see Row.unprivileged), and a folder it cannot write in.
  writeFileSync(at('unreadable.policy'), OK_POLICY, { mode: 0o000 });
  writeFileSync(at('includes-unreadable.policy'), '@include ./unreadable.policy\n');
  mkdirSync(at('read-only-folder'), { mode: 0o555 });
  writeFileSync(
    at('fraction-arch.json'),
    JSON.stringify({ arch_nr: 0xc000003e, arch_name: 'x86_64', bits: 64, syscalls: { read: 0 }, constants: { O_RDONLY: 1.5 } }),
  );

  const x86 = encodeProgram(compilePolicy(at('ok.policy'), { arch: 'x86_64' }).program);
  writeFileSync(at('arm.bpf'), encodeProgram(compilePolicy(at('ok.policy'), { arch: 'arm' }).program));
  writeFileSync(at('empty.bpf'), new Uint8Array(0));
  writeFileSync(at('odd-length.bpf'), x86.subarray(0, 3));
  writeFileSync(at('truncated-mid-record.bpf'), x86.subarray(0, 20));
  writeFileSync(at('truncated-at-record.bpf'), x86.subarray(0, 16));
  writeFileSync(at('not-seccomp.bpf'), readFileSync(process.execPath).subarray(0, 8 * 512));
  // 20,000 RETs: far more disassembly than a pipe holds.
  writeFileSync(at('many.bpf'), encodeProgram(Array.from({ length: 20_000 }, () => ({ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }))));

  writeFileSync(at('no-exec-bit.sh'), '#!/bin/sh\nexit 0\n');
  writeFileSync(at('missing-interpreter.sh'), '#!/nonexistent/interpreter\nexit 0\n');
  chmodSync(at('missing-interpreter.sh'), 0o755);

  // A policies folder that breaks the naming rules and loads a missing fragment.
  for (const arch of ['x86_64', 'aarch64', 'arm']) {
    mkdirSync(at('policies', arch), { recursive: true });
    writeFileSync(at('policies', arch, 'common_device.policy'), '# base\nread: 1\nwrite: 1\nclose: 1\nexit_group: 1\n');
    writeFileSync(at('policies', arch, 'alpha.policy'), '# alpha\nfsync: 1\n');
    writeFileSync(at('policies', arch, 'alpha_device.policy'), '@include ./common_device.policy\n@include ./alpha.policy\n');
  }
  writeFileSync(at('policies', 'x86_64', 'Bad-Name.policy'), 'read: 1\n');
  writeFileSync(at('policies', 'x86_64', 'gamma_device.policy'), '@include ./common_device.policy\n@include ./gamma.policy\n');
}

function buildPrivateCli(): void {
  const build = buildPrivateCopy('jail-run-bad-input');
  buildFolder = build.folder;
  cliEntry = build.cliEntry;
}

beforeAll(() => {
  buildPrivateCli();
  scratch = mkdtempSync(join(tmpdir(), 'jail-run-bad-input-'));
  // The unprivileged rows' user must get in.
  chmodSync(scratch, 0o755);
  writeFixtures();
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (buildFolder) rmSync(buildFolder, { recursive: true, force: true });
});

const output = (name = 'filter.bpf'): string => join(outputs(), name);
const unchanged = (file: string, text: string) => () => expect(readFileSync(file, 'utf8')).toBe(text);

// --- the matrix -----------------------------------------------------------

const compileRows: Row[] = [
  { name: 'missing policy', argv: () => ['compile', at('missing.policy'), '-o', output()], exit: 2, stderr: /cannot read policy file .*missing\.policy \(ENOENT\)/ },
  { name: 'a folder as the policy', argv: () => ['compile', at('folder'), '-o', output()], exit: 2, stderr: /cannot read policy file .*folder \(EISDIR\)/ },
  { name: '/dev/zero as the policy (bounded read, no hang)', argv: () => ['compile', '/dev/zero', '-o', output()], exit: 2, stderr: /\/dev\/zero \(EFBIG: larger than 16 MiB\)/ },
  { name: '@include /dev/zero', argv: () => ['compile', 'include-dev-zero.policy', '-o', output()], exit: 1, stderr: /^include-dev-zero\.policy\(1:10\): Could not @include \/dev\/zero\n/ },
  { name: '@include of a folder', argv: () => ['compile', 'include-folder.policy', '-o', output()], exit: 1, stderr: /^include-folder\.policy\(1:10\): Could not @include .*folder\n/ },
  { name: 'a policy that includes itself', argv: () => ['compile', 'self.policy', '-o', output()], exit: 1, stderr: /^self\.policy\(2:\d+\): @include statement nested too deep\n/ },
  { name: 'a binary file as the policy', argv: () => ['compile', 'binary.policy', '-o', output()], exit: 1, stderr: /^binary\.policy\(1:1\): invalid token\n/ },
  { name: 'a policy that is not UTF-8', argv: () => ['compile', 'not-utf8.policy', '-o', output()], exit: 1, stderr: /^not-utf8\.policy\(2:3\): invalid token\n/ },
  { name: 'an error at the end of a 260,000-character line', argv: () => ['compile', 'long-line.policy', '-o', output()], exit: 1, stderr: /^long-line\.policy\(1:2600\d\d\): invalid constant\n/ },
  {
    name: '5000 argument-filtered rules, optimized layout: over 4096 instructions',
    argv: () => ['compile', '5000-rules.policy', '-o', output()],
    exit: 1,
    stderr: /5000-rules\.policy: the compiled filter (?:has|would need at least) \d{4,} instructions, more than the kernel's limit of 4096/,
  },
  {
    name: '5000 argument-filtered rules, minijail layout: over 4096 instructions',
    argv: () => ['compile', '5000-rules.policy', '-o', output(), '--layout', 'minijail'],
    exit: 1,
    stderr: /5000-rules\.policy: the compiled filter (?:has|would need at least) \d{4,} instructions, more than the kernel's limit of 4096/,
  },
  { name: 'a located error with JAIL_RUN_DEBUG set is still no stack', argv: () => ['compile', 'broken.policy', '-o', output()], env: { JAIL_RUN_DEBUG: '1' }, exit: 1, stderr: /^broken\.policy\(2:\d+\): / },
  { name: '-o into a missing folder', argv: () => ['compile', 'ok.policy', '-o', output('missing/filter.bpf')], exit: 1, stderr: /cannot write .*missing\/filter\.bpf \(ENOENT\)/ },
  { name: '-o onto a folder', argv: () => ['compile', 'ok.policy', '-o', outputs()], exit: 1, stderr: /cannot write .*out \(EISDIR\)/ },
  { name: '-o with a trailing slash names a folder, not a file', argv: () => ['compile', 'ok.policy', '-o', `${output('new')}/`], exit: 1, stderr: /cannot write .*new\/ \(EISDIR\)/ },
  { name: '-o with an empty name', argv: () => ['compile', 'ok.policy', '-o', ''], exit: 2, stderr: /the output is an empty name/ },
  { name: '-o onto the policy itself', argv: () => ['compile', 'ok.policy', '-o', './ok.policy'], exit: 2, stderr: /the output \.\/ok\.policy is the policy itself/, after: () => unchanged(at('ok.policy'), OK_POLICY)() },
  { name: '-o /dev/full: the device is written in place and reports ENOSPC', argv: () => ['compile', 'ok.policy', '-o', '/dev/full'], exit: 1, stderr: /cannot write \/dev\/full \(ENOSPC\)/, after: () => expect(statSync('/dev/full').isCharacterDevice()).toBe(true) },
  { name: 'an unreadable policy', argv: () => ['compile', 'unreadable.policy', '-o', output()], unprivileged: true, exit: 2, stderr: /cannot read policy file unreadable\.policy \(EACCES\)/ },
  { name: 'an unreadable @include', argv: () => ['compile', 'includes-unreadable.policy', '-o', output()], unprivileged: true, exit: 1, stderr: /^includes-unreadable\.policy\(1:10\): Could not @include .*unreadable\.policy\n/ },
  { name: '-o into a folder without write permission', argv: () => ['compile', 'ok.policy', '-o', at('read-only-folder', 'filter.bpf')], unprivileged: true, exit: 1, stderr: /cannot write .*read-only-folder\/filter\.bpf \(EACCES\)/, after: () => expect(readdirSync(at('read-only-folder'))).toEqual([]) },
  { name: 'two different outputs', argv: () => ['compile', 'ok.policy', output('a.bpf'), '-o', output('b.bpf')], exit: 2, stderr: /two outputs given/ },
  { name: '--arch typo', argv: () => ['compile', 'ok.policy', '-o', output(), '--arch', 'x86-64'], exit: 2, stderr: /unknown arch "x86-64" \(did you mean "x86_64"\?\)/ },
  { name: '--arch-json missing', argv: () => ['compile', 'ok.policy', '-o', output(), '--arch-json', 'missing.json'], exit: 2, stderr: /missing\.json: cannot read arch file \(ENOENT\)/ },
  { name: '--arch-json /dev/zero', argv: () => ['compile', 'ok.policy', '-o', output(), '--arch-json', '/dev/zero'], exit: 2, stderr: /\/dev\/zero: cannot read arch file \(EFBIG/ },
  { name: '--arch-json with a fractional constant', argv: () => ['compile', 'ok.policy', '-o', output(), '--arch-json', 'fraction-arch.json'], exit: 2, stderr: /fraction-arch\.json: constant "O_RDONLY" must be an integer/ },
  { name: '--layout typo', argv: () => ['compile', 'ok.policy', '-o', output(), '--layout', 'optimised'], exit: 2, stderr: /argument 'optimised' is invalid\. Allowed choices are minijail, optimized/ },
  { name: '--include-depth-limit 0', argv: () => ['compile', 'ok.policy', '-o', output(), '--include-depth-limit', '0'], exit: 2, stderr: /--include-depth-limit wants a whole number of at least 1, not "0"/ },
  { name: '--default-action garbage', argv: () => ['compile', 'ok.policy', '-o', output(), '--default-action', 'bogus'], exit: 1, stderr: /^<memory>\(1:1\): invalid action\n/ },
  { name: 'a mistyped subcommand', argv: () => ['compil', 'ok.policy'], exit: 2, stderr: /unknown command "compil" \(did you mean "compile"\?\)/ },
  { name: 'help for a command that does not exist', argv: () => ['help', 'compil'], exit: 2, stderr: /^Usage: jail-run / },
  { name: '--version is known (not an unknown option of the run mode)', argv: () => ['--version'], exit: 0, stderr: /^$/, stdout: /^\d+\.\d+\.\d+\n$/ },
];

const checkRows: Row[] = [
  { name: '--args garbage', argv: () => ['check', 'ok.policy', '--syscall', 'read', '--args', 'zz,1'], exit: 2, stderr: /--args: argument 0: "zz" is neither a number nor a constant of x86_64/ },
  { name: '--args with an empty part', argv: () => ['check', 'ok.policy', '--syscall', 'read', '--args', '1|'], exit: 2, stderr: /--args: argument 0 \("1\|"\) has an empty part/ },
  { name: '--args with seven arguments', argv: () => ['check', 'ok.policy', '--syscall', 'read', '--args', '1,2,3,4,5,6,7'], exit: 2, stderr: /at most 6 arguments, got 7/ },
  { name: '--args too wide for a 32-bit arch', argv: () => ['check', 'ok.policy', '--syscall', 'read', '--arch', 'arm', '--args', '0x1ffffffff'], exit: 2, stderr: /does not fit in 32 bits/ },
  { name: '--syscall typo', argv: () => ['check', 'ok.policy', '--syscall', 'raed', '--arch', 'x86_64'], exit: 2, stderr: /--syscall raed: no such syscall on x86_64 \(did you mean "read"\?\)/ },
  { name: '--syscall negative', argv: () => ['check', 'ok.policy', '--syscall', '-5'], exit: 2, stderr: /between 0 and 0xffffffff/ },
  { name: 'no --syscall', argv: () => ['check', 'ok.policy'], exit: 2, stderr: /required option '--syscall/ },
  { name: '--arch typo', argv: () => ['check', 'ok.policy', '--syscall', 'read', '--arch', 'arm65'], exit: 2, stderr: /unknown arch "arm65" \(did you mean "arm64"\?\)/ },
  { name: 'a broken policy', argv: () => ['check', 'broken.policy', '--syscall', 'read'], exit: 1, stderr: /^broken\.policy\(2:\d+\): / },
  { name: 'a policy that is a folder', argv: () => ['check', at('folder'), '--syscall', 'read'], exit: 2, stderr: /\(EISDIR\)/ },
];

const disasmRows: Row[] = [
  { name: 'an empty file', argv: () => ['disasm', 'empty.bpf'], exit: 1, stderr: /empty\.bpf is not a seccomp filter the kernel would load:\n {2}program: the program is empty/ },
  { name: 'an odd length', argv: () => ['disasm', 'odd-length.bpf'], exit: 1, stderr: /odd-length\.bpf: .*8-byte records, but the input has 3 bytes/ },
  { name: 'truncated inside a record', argv: () => ['disasm', 'truncated-mid-record.bpf'], exit: 1, stderr: /4 left over after 2 records/ },
  { name: 'truncated at a record boundary', argv: () => ['disasm', 'truncated-at-record.bpf'], exit: 1, stderr: /truncated-at-record\.bpf is not a seccomp filter[^]*instruction 1: .*(leaves the 2-instruction program|must be a RET)/ },
  { name: 'not a seccomp filter (an executable)', argv: () => ['disasm', 'not-seccomp.bpf'], exit: 1, stderr: /not-seccomp\.bpf is not a seccomp filter[^]*opcode[^]*--no-verify/ },
  { name: 'a filter for arm with --arch x86_64', argv: () => ['disasm', 'arm.bpf', '--arch', 'x86_64'], exit: 2, stderr: /arm\.bpf checks for arch 0x40000028 \(arm\), not x86_64/ },
  { name: '/dev/zero', argv: () => ['disasm', '/dev/zero'], exit: 2, stderr: /cannot read \/dev\/zero \(EFBIG/ },
  { name: 'an unreadable file', argv: () => ['disasm', 'unreadable.policy'], unprivileged: true, exit: 2, stderr: /cannot read unreadable\.policy \(EACCES\)/ },
  { name: 'a missing file', argv: () => ['disasm', 'missing.bpf'], exit: 2, stderr: /cannot read missing\.bpf \(ENOENT\)/ },
  { name: 'a folder', argv: () => ['disasm', 'folder'], exit: 2, stderr: /cannot read folder \(EISDIR\)/ },
  { name: '--arch typo', argv: () => ['disasm', 'arm.bpf', '--arch', 'aarch6'], exit: 2, stderr: /unknown arch "aarch6" \(did you mean "aarch64"\?\)/ },
];

const catalogRows: Row[] = [
  { name: 'lint: a missing folder', argv: () => ['lint', 'missing-folder'], exit: 2, stderr: /lint wants a policies folder; missing-folder does not exist/ },
  { name: 'lint: a file', argv: () => ['lint', 'ok.policy'], exit: 2, stderr: /lint wants a policies folder; ok\.policy is not a folder/ },
  {
    name: 'lint: a folder breaking the naming rules, with a missing fragment',
    argv: () => ['lint', 'policies'],
    exit: 1,
    stderr: /\d+ errors, 0 warnings in .*policies/,
    stdout: /Bad-Name\.policy:1:1: error \[file-name\][^]*gamma_device\.policy:2:1: error \[include-missing\]/,
  },
  { name: 'explain: neither a policy nor --device', argv: () => ['explain'], exit: 2, stderr: /explain wants a policy file or --device NAME/ },
  { name: 'explain: --device typo', argv: () => ['explain', '--device', 'blok', '--arch', 'x86_64'], exit: 2, stderr: /no device "blok" for arch x86_64 \(did you mean "block"\?\)/ },
  { name: 'explain: --transport typo', argv: () => ['explain', '--device', 'block', '--transport', 'vhost', '--arch', 'x86_64'], exit: 2, stderr: /unknown transport "vhost"; transports: virtio, vhost-user, vvu/ },
  { name: 'explain: --policy-dir is a file', argv: () => ['explain', '--device', 'block', '--policy-dir', 'ok.policy'], exit: 2, stderr: /policies folder .*ok\.policy \(given with --policy-dir\) does not exist or is not a folder/ },
  { name: 'explain: a device whose fragment is missing', argv: () => ['explain', '--device', 'gamma', '--arch', 'x86_64', '--policy-dir', 'policies'], exit: 1, stderr: /gamma_device\.policy\(2:10\): Could not @include .*gamma\.policy\n/ },
  { name: 'explain: @frequency /dev/zero', argv: () => ['explain', 'frequency-dev-zero.policy'], exit: 1, stderr: /^frequency-dev-zero\.policy\(1:12\): Could not open frequency file \/dev\/zero\n/ },
  { name: 'devices: --arch typo', argv: () => ['devices', '--arch', 'x68_64'], exit: 2, stderr: /unknown arch "x68_64" \(did you mean "x86_64"\?\)/ },
  { name: 'devices: --policy-dir is a file', argv: () => ['devices', '--policy-dir', 'ok.policy'], exit: 2, stderr: /does not exist or is not a folder/ },
  { name: 'devices: --policy-dir names an arch folder', argv: () => ['devices', '--policy-dir', at('policies', 'x86_64')], exit: 2, stderr: /no arch folders \(x86_64, aarch64, arm\) in .*x86_64; .* looks like an arch folder itself: give the folder above it/ },
];

const runRows: Row[] = [
  { name: '-- with no program', argv: () => ['--policy', 'ok.policy', '--'], exit: 125, stderr: /no program: jail-run --policy FILE/ },
  { name: 'a policy and no -- at all', argv: () => ['--policy', 'ok.policy'], exit: 125, stderr: /no program/ },
  { name: 'the program is a folder', argv: () => ['--policy', 'ok.policy', '--', at('folder')], exit: 126, stderr: /folder: is a directory/ },
  { name: 'a script without the exec bit', argv: () => ['--policy', 'ok.policy', '--', at('no-exec-bit.sh')], exit: 126, stderr: /no-exec-bit\.sh: permission denied \(not executable\)/ },
  { name: 'a script whose interpreter is missing', argv: () => ['--policy', 'ok.policy', '--', at('missing-interpreter.sh')], exit: 127, stderr: /\/nonexistent\/interpreter: no such file/ },
  { name: 'a missing program', argv: () => ['--policy', 'ok.policy', '--', at('missing-program')], exit: 127, stderr: /missing-program: no such file/ },
  { name: 'a program not on PATH', argv: () => ['--policy', 'ok.policy', '--', 'no-such-command-anywhere'], exit: 127, stderr: /no-such-command-anywhere: command not found in PATH/ },
  { name: 'an unreadable policy', argv: () => ['--policy', 'unreadable.policy', '--', '/bin/true'], unprivileged: true, exit: 125, stderr: /cannot read policy unreadable\.policy: permission denied/ },
  { name: 'a missing policy', argv: () => ['--policy', 'missing.policy', '--', '/bin/true'], exit: 125, stderr: /cannot read policy missing\.policy: no such file/ },
  { name: 'a binary policy', argv: () => ['--policy', 'binary.policy', '--', '/bin/true'], exit: 125, stderr: /^binary\.policy\(1:1\): invalid token\n/ },
  { name: 'a policy with @include /dev/zero', argv: () => ['--policy', 'include-dev-zero.policy', '--', '/bin/true'], exit: 125, stderr: /Could not @include \/dev\/zero/ },
  { name: 'a policy over 4096 instructions', argv: () => ['--policy', '5000-rules.policy', '--layout', 'minijail', '--', '/bin/true'], exit: 125, stderr: /5000-rules\.policy: the compiled filter has \d+ instructions/ },
  {
    name: 'a policy that fits the limit alone but not with the launch prologue',
    argv: () => ['--policy', 'near-limit.policy', '--layout', 'minijail', '--', '/bin/true'],
    exit: 125,
    stderr: /near-limit\.policy with the launch prologue: the compiled filter has \d+ instructions, more than the kernel's limit of 4096/,
    after: () => expect(compilePolicy(at('near-limit.policy'), { arch: 'x86_64', layout: 'minijail' }).program.length).toBeLessThanOrEqual(4096),
  },
  { name: '--arch typo', argv: () => ['--policy', 'ok.policy', '--arch', 'amd46', '--', '/bin/true'], exit: 125, stderr: /unknown arch "amd46" \(did you mean "amd64"\?\)/ },
  { name: '--device typo', argv: () => ['--device', 'blok', '--arch', 'x86_64', '--', '/bin/true'], exit: 125, stderr: /no device "blok" for arch x86_64 \(did you mean "block"\?\)/ },
  { name: 'a policy file name as the device', argv: () => ['--device', 'block_device_vhost_user.policy', '--arch', 'x86_64', '--', '/bin/true'], exit: 125, stderr: /no device "block_device_vhost_user\.policy" for arch x86_64 \(did you mean "block"\?\)/ },
  { name: '--transport typo', argv: () => ['--device', 'block', '--transport', 'vhost', '--arch', 'x86_64', '--', '/bin/true'], exit: 125, stderr: /unknown transport "vhost"/ },
  { name: '--policy-dir is a file', argv: () => ['--device', 'block', '--policy-dir', 'ok.policy', '--', '/bin/true'], exit: 125, stderr: /ok\.policy \(given with --policy-dir\) does not exist or is not a folder/ },
  { name: 'a device whose fragment is missing', argv: () => ['--device', 'gamma', '--arch', 'x86_64', '--policy-dir', 'policies', '--', '/bin/true'], exit: 125, stderr: /gamma_device\.policy\(2:10\): Could not @include/ },
  { name: '--policy and --device together', argv: () => ['--policy', 'ok.policy', '--device', 'block', '--', '/bin/true'], exit: 125, stderr: /--policy and --device both name a policy/ },
  { name: '--pass-fd of a descriptor that is not open', argv: () => ['--policy', 'ok.policy', '--pass-fd', '99', '--', '/bin/true'], exit: 125, stderr: /--pass-fd 99: jail-run has no descriptor 99 open/ },
  { name: '--pass-fd garbage', argv: () => ['--policy', 'ok.policy', '--pass-fd', 'x', '--', '/bin/true'], exit: 125, stderr: /--pass-fd wants a descriptor number from 3 to 1023, not "x"/ },
  { name: '--stage-b-timeout 0', argv: () => ['--policy', 'ok.policy', '--stage-b-timeout', '0', '--', '/bin/true'], exit: 125, stderr: /--stage-b-timeout wants a positive number/ },
  { name: 'an unknown option', argv: () => ['--polcy', 'ok.policy', '--', '/bin/true'], exit: 125, stderr: /unknown option '--polcy'/ },
];

describe.each([
  ['compile', compileRows],
  ['check', checkRows],
  ['disasm', disasmRows],
  ['lint, explain, devices', catalogRows],
  ['run mode', runRows],
])('bad input: %s', (_area, rows) => {
  it.each(rows.map((row) => [row.name, row] as const))('%s', (_name, row) => runRow(row));
});

describe('bad input: standard output that cannot be written', () => {
  const cleanEnvironment = (): NodeJS.ProcessEnv => {
    const env = { ...process.env };
    delete env.JAIL_RUN_DEBUG;
    return env;
  };

  it('a full disk (/dev/full): a one-line error and exit 1', () => {
    const full = openSync('/dev/full', 'w');
    try {
      const result = spawnSync(process.execPath, [cliEntry, 'disasm', 'arm.bpf'], { cwd: scratch, env: cleanEnvironment(), stdio: ['ignore', full, 'pipe'], encoding: 'utf8', timeout: ROW_TIME_LIMIT_MS });
      expect(result.stderr).toMatch(/^jail-run: cannot write standard output \(ENOSPC\)\n$/);
      expect(result.status).toBe(1);
    } finally {
      closeSync(full);
    }
  });

  it('a reader that goes away (disasm | head): exit 128+SIGPIPE, no stack', async () => {
    const child = spawn(process.execPath, [cliEntry, 'disasm', 'many.bpf', '--no-verify'], { cwd: scratch, env: cleanEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.stdout.once('data', () => child.stdout.destroy());
    const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    expect(stderr).not.toMatch(STACK_FRAME);
    expect(status).toBe(141);
  });
});

describe('bad input: a cache folder that cannot be made', () => {
  it('under /proc: the device still compiles (the cache is best effort) and nothing loops', () => {
    // In a child with a time limit: the loop this guards against was synchronous and would hang the test worker.
    const script = `
      const { compileWithCache } = await import(${JSON.stringify(join(buildFolder, 'src/devices/compile-cache.js'))});
      const { compilePolicy } = await import(${JSON.stringify(join(buildFolder, 'src/compile.js'))});
      const result = compileWithCache(${JSON.stringify(at('ok.policy'))}, { arch: 'x86_64' }, compilePolicy, { cacheDir: '/proc/jail-run-no-such-folder/cache' });
      process.stdout.write(String(result.program.length));`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: ROW_TIME_LIMIT_MS });
    expect(result.signal, 'still running: mkdir loops').toBeNull();
    expect(result.stderr).toBe('');
    expect(Number(result.stdout)).toBeGreaterThan(0);
  });

  it('an entry that is a link to /dev/zero: read bounded, then replaced by a real entry (not written through the link)', () => {
    const cacheDir = at('cache');
    const script = `
      const { compileWithCache } = await import(${JSON.stringify(join(buildFolder, 'src/devices/compile-cache.js'))});
      const { compilePolicy } = await import(${JSON.stringify(join(buildFolder, 'src/compile.js'))});
      const { readdirSync, rmSync, symlinkSync } = await import('node:fs');
      const compile = () => compileWithCache(${JSON.stringify(at('ok.policy'))}, { arch: 'x86_64' }, compilePolicy, { cacheDir: ${JSON.stringify(cacheDir)} });
      compile();
      for (const name of readdirSync(${JSON.stringify(cacheDir)})) {
        rmSync(${JSON.stringify(cacheDir)} + '/' + name);
        symlinkSync('/dev/zero', ${JSON.stringify(cacheDir)} + '/' + name);
      }
      process.stdout.write(compile().outcome);`;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: ROW_TIME_LIMIT_MS });
    expect(result.signal, 'still running: an unbounded read').toBeNull();
    expect(result.stderr).toBe('');
    expect(result.stdout).not.toBe('hit');
    const entries = readdirSync(cacheDir);
    expect(entries.length).toBeGreaterThan(0);
    for (const name of entries) expect(lstatSync(join(cacheDir, name)).isFile()).toBe(true);
    expect(statSync('/dev/zero').isCharacterDevice()).toBe(true);
  });
});

// --- the library: typed errors, not opaque ones ---------------------------

describe('bad input: library calls throw typed errors', () => {
  it('a policy error carries its file, line and column', () => {
    const error = catchError(() => compilePolicy(at('broken.policy'), { arch: 'x86_64' }));
    expect(error).toBeInstanceOf(PolicyError);
    expect(error).toMatchObject({ file: at('broken.policy'), line: 2 });
    expect((error as PolicyError).column).toBeGreaterThan(1);
  });

  it('an unreadable policy, an unknown arch, a filter too long, a bad layout', () => {
    expect(catchError(() => compilePolicy(at('missing.policy')))).toBeInstanceOf(PolicyFileError);
    expect(catchError(() => compilePolicy(at('ok.policy'), { arch: 'x86-64' }))).toBeInstanceOf(UnknownArchError);
    const tooLong = catchError(() => compilePolicy(at('5000-rules.policy'), { arch: 'x86_64', layout: 'minijail' }));
    expect(tooLong).toBeInstanceOf(ProgramTooLongError);
    expect(tooLong).toMatchObject({ file: at('5000-rules.policy'), limit: 4096 });
    // Plain JavaScript callers get no type check: a typo must not quietly pick the default layout.
    expect(catchError(() => compilePolicy(at('ok.policy'), { layout: 'fast' as never }))).toBeInstanceOf(RangeError);
  });

  it('arch files, filters, devices and launches', () => {
    expect(catchError(() => loadArchJson(at('fraction-arch.json')))).toBeInstanceOf(ArchFileError);
    expect(catchError(() => decodeProgram(new Uint8Array(3)))).toBeInstanceOf(BpfDecodeError);
    const device = catchError(() => resolveDevicePolicy('blok', 'virtio', 'x86_64'));
    expect(device).toBeInstanceOf(DeviceCatalogError);
    expect((device as Error).message).toMatch(/did you mean "block"/);
    const launch = catchError(() => spawnJailed(at('missing-program'), [], { policy: at('ok.policy') }));
    expect(launch).toBeInstanceOf(LaunchError);
    expect(launch).toMatchObject({ code: 'NOT_FOUND', exitCode: 127 });
    expect(catchError(() => spawnJailed('/bin/true', [], {} as never))).toBeInstanceOf(TypeError);
  });
});

describe('bad input: stack traces only with JAIL_RUN_DEBUG', () => {
  it('an unexpected error prints one line, and its stack only when JAIL_RUN_DEBUG is set', () => {
    const written: string[] = [];
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const saved = process.env.JAIL_RUN_DEBUG;
    try {
      delete process.env.JAIL_RUN_DEBUG;
      expect(reportFailure(new Error('something broke'))).toBe(1);
      expect(written.join('')).toBe('jail-run: something broke\n');
      written.length = 0;
      process.env.JAIL_RUN_DEBUG = '1';
      reportFailure(new Error('something broke'));
      expect(written.join('')).toMatch(STACK_FRAME);
      written.length = 0;
      // A policy error is the user's, not a bug: no stack even then.
      reportFailure(catchError(() => compilePolicy(at('broken.policy'), { arch: 'x86_64' })));
      expect(written.join('')).not.toMatch(STACK_FRAME);
    } finally {
      write.mockRestore();
      if (saved === undefined) delete process.env.JAIL_RUN_DEBUG;
      else process.env.JAIL_RUN_DEBUG = saved;
    }
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, got none');
}

