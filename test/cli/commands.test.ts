/**
 * The compile and check commands as a user runs them: the built CLI (a
 * private build, see run-cli.ts) in a child process, exit statuses, stdout/stderr and
 * the files left behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProgram, encodeProgram, renderCHeader } from '../../src/bpf/index.js';
import { compilePolicy } from '../../src/compile.js';
import { corpusRoot, haveCorpus, readExpected, readExpectedText } from '../bpf/corpus.js';
import { buildPrivateCopy, runCli as runBuiltCli, type PrivateBuild } from './run-cli.js';

const x86Folder = path.join(corpusRoot, 'crosvm-2023', 'x86_64');
const x86Constants = path.join(x86Folder, 'constants.json');
const syntheticFolder = path.join(corpusRoot, 'synthetic');

// Our own small policy for the check command and the non-corpus cases.
const TEST_POLICY = `# jail-run check test policy
read: 1
openat: return ENOENT
mmap: arg2 in PROT_READ|PROT_WRITE
ioctl: arg1 == 0x5401; return EPERM
@default trap
`;

const BROKEN_POLICY = `read: 1
write: arg0 ==
`;

let build: PrivateBuild | undefined;
const runCli = (args: readonly string[], options?: Parameters<typeof runBuiltCli>[2]) => runBuiltCli(build!.cliEntry, args, options);
let scratch: string;
let policy: string;
let broken: string;

beforeAll(() => {
  build = buildPrivateCopy('jail-run-cli-commands');
  scratch = mkdtempSync(path.join(tmpdir(), 'jail-run-cli-'));
  policy = path.join(scratch, 'test.policy');
  broken = path.join(scratch, 'broken.policy');
  writeFileSync(policy, TEST_POLICY);
  writeFileSync(broken, BROKEN_POLICY);
}, 180_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  build?.remove();
});

const leftovers = (): string[] => readdirSync(scratch).filter((name) => name !== 'test.policy' && name !== 'broken.policy');

describe('jail-run compile', () => {
  it.skipIf(!haveCorpus).each(['block_device', 'net_device', 'gpu_device'])(
    'minijail layout of corpus %s is byte-identical to the reference (needs ../shared/corpus)',
    (name) => {
      const output = path.join(scratch, `${name}.bpf`);
      const args = ['compile', path.join(x86Folder, `${name}.policy`), output, '--arch-json', x86Constants, '--default-action', 'trap', '--layout', 'minijail'];
      const result = runCli(args);
      expect(result.stderr).toMatch(new RegExp(`^compiled .*${name}\\.policy: \\d+ instructions, minijail layout, x86_64, raw BPF -> .*\\n$`));
      expect(result.status).toBe(0);
      expect(new Uint8Array(readFileSync(output))).toEqual(readExpected(path.join('crosvm-2023', 'x86_64', `${name}.bpf`)));
      rmSync(output);
    },
  );

  it('writes the optimized program as raw BPF to -o - and as a C header to a .h output', () => {
    const expected = compilePolicy(policy, { arch: 'x86_64' }).program;
    const toStdout = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '--quiet']);
    expect(toStdout.status).toBe(0);
    expect(toStdout.stderr).toBe('');
    expect(decodeProgram(new Uint8Array(toStdout.stdout))).toEqual(expected);

    const header = path.join(scratch, 'test_filter.h');
    const toHeader = runCli(['compile', policy, header, '--arch', 'x86_64']);
    expect(toHeader.status).toBe(0);
    expect(toHeader.stderr).toMatch(/optimized layout, x86_64, C header test_filter -> /);
    expect(readFileSync(header, 'utf8')).toBe(renderCHeader(expected, 'test_filter'));

    const named = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '--format', 'c-header', '--header-name', 'jail', '-q']);
    expect(named.stdout.toString('utf8')).toBe(renderCHeader(expected, 'jail'));
    rmSync(header);
  });

  it('honours the policy options: --layout minijail, --optimization-strategy linear, --default-action', () => {
    const minijail = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '--layout', 'minijail', '--optimization-strategy', 'linear', '--default-action', 'kill-process', '-q']);
    expect(minijail.status).toBe(0);
    const expected = compilePolicy(policy, { arch: 'x86_64', layout: 'minijail', strategy: 'linear', defaultAction: 'kill-process' }).program;
    expect(decodeProgram(new Uint8Array(minijail.stdout))).toEqual(expected);
  });

  it('treats MINIJAIL_DEFAULT_RET_LOG as --use-ret-log and says so on stderr', () => {
    const viaFlag = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '--use-ret-log', '-q']);
    const viaEnvironment = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '-q'], { env: { MINIJAIL_DEFAULT_RET_LOG: '1' } });
    const plain = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '-q']);
    expect(viaEnvironment.status).toBe(0);
    expect(viaEnvironment.stderr).toMatch(/MINIJAIL_DEFAULT_RET_LOG is set/);
    expect(viaEnvironment.stdout).toEqual(viaFlag.stdout);
    expect(viaEnvironment.stdout).not.toEqual(plain.stdout);
    // Set but empty still counts: the reference tests for the variable's presence.
    const viaEmptyVariable = runCli(['compile', policy, '-o', '-', '--arch', 'x86_64', '-q'], { env: { MINIJAIL_DEFAULT_RET_LOG: '' } });
    expect(viaEmptyVariable.stdout).toEqual(viaFlag.stdout);
  });

  it.skipIf(!haveCorpus)('exits 1 on a policy error with exactly the reference\'s three-line block and writes nothing (needs ../shared/corpus)', () => {
    const output = path.join(scratch, 'never.bpf');
    const result = runCli(['compile', 'e03_duplicate_unconditional.policy', output, '--arch-json', x86Constants], { cwd: syntheticFolder });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`${readExpectedText(path.join('synthetic', 'e03_duplicate_unconditional.err')).trimEnd()}\n`);
    expect(leftovers()).toEqual([]);
  });

  it('leaves an existing output untouched when the compile fails', () => {
    const output = path.join(scratch, 'existing.bpf');
    writeFileSync(output, 'previous content');
    const result = runCli(['compile', broken, output, '--arch', 'x86_64']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^.*broken\.policy\(2:\d+\): .+\n {4}write: arg0 ==\n {4} *\^+\n$/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(readFileSync(output, 'utf8')).toBe('previous content');
    expect(leftovers()).toEqual(['existing.bpf']);
    rmSync(output);
  });

  it('replaces an existing output on success', () => {
    const output = path.join(scratch, 'replaced.bpf');
    writeFileSync(output, 'previous content');
    expect(runCli(['compile', policy, output, '--arch', 'x86_64', '-q']).status).toBe(0);
    expect(readFileSync(output)).toEqual(Buffer.from(encodeProgram(compilePolicy(policy, { arch: 'x86_64' }).program)));
    expect(leftovers()).toEqual(['replaced.bpf']);
    rmSync(output);
  });

  it('exits 1 with a clear message when the output cannot be written', () => {
    const result = runCli(['compile', policy, path.join(scratch, 'no-such-dir', 'x.bpf'), '--arch', 'x86_64']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^jail-run: cannot write .*x\.bpf \(ENOENT\)\n$/);
  });

  it.each([
    [['--bogus'], /unknown option '--bogus'/],
    [['--layout', 'fast'], /--layout.*'fast' is invalid.*minijail, optimized/],
    [['--optimization-strategy', 'tree'], /'tree' is invalid.*bst, linear/],
    [['--arch', 'x86-64'], /unknown arch "x86-64" \(did you mean "x86_64"\?\)/],
    [['--arch-json', '/nonexistent/constants.json'], /cannot read arch file \(ENOENT\)/],
    [['--arch', 'arm', '--arch-json', '/nonexistent/constants.json'], /cannot be used with option '--arch/],
    [['--include-depth-limit', 'ten'], /--include-depth-limit wants a whole number/],
    [['--format', 'elf'], /'elf' is invalid/],
    [['--header-name', '9lives', '--format', 'c-header'], /"9lives" is not a C identifier/],
  ])('exits 2 on the usage error %j and writes nothing', (extra, message) => {
    const output = path.join(scratch, 'usage.bpf');
    const choosesArch = extra.includes('--arch') || extra.includes('--arch-json');
    const base = choosesArch ? ['compile', policy, output] : ['compile', policy, output, '--arch', 'x86_64'];
    const result = runCli([...base, ...extra]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(leftovers()).toEqual([]);
  });

  it('exits 2 without an output, with two different outputs, and for an unreadable policy', () => {
    const noOutput = runCli(['compile', policy, '--arch', 'x86_64']);
    expect(noOutput.status).toBe(2);
    expect(noOutput.stderr).toMatch(/no output given.*-o - for standard output/);
    const twoOutputs = runCli(['compile', policy, path.join(scratch, 'a.bpf'), '-o', path.join(scratch, 'b.bpf'), '--arch', 'x86_64']);
    expect(twoOutputs.status).toBe(2);
    const missing = runCli(['compile', path.join(scratch, 'missing.policy'), '-o', '-', '--arch', 'x86_64']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read policy file .*missing\.policy \(ENOENT\)/);
    expect(leftovers()).toEqual([]);
  });
});

describe('jail-run check', () => {
  const check = (...args: string[]) => runCli(['check', policy, '--arch', 'x86_64', ...args]);
  const linesOf = (result: { stdout: Buffer }): string[] => result.stdout.toString('utf8').trimEnd().split('\n');

  it('an allowed syscall: allow, cached by the kernel, decided by its line', () => {
    const result = check('--syscall', 'read');
    expect(result.status).toBe(0);
    const [first, executed, cache, decided, source] = linesOf(result);
    expect(first).toBe('read(): allow');
    expect(executed).toMatch(/^ {2}instructions executed: \d+ \(optimized layout, \d+ in the program, x86_64\)$/);
    expect(cache).toMatch(/kernel cache: cached/);
    expect(decided).toMatch(/decided by: .*test\.policy:2:\d+: filter 1 of 1 for read/);
    expect(source.trim()).toBe('read: 1');
  });

  it('an errno-denied syscall, by number', () => {
    const result = check('--syscall', '257');
    expect(result.status).toBe(0);
    const [first, , cache, decided] = linesOf(result);
    expect(first).toBe('openat(): errno ENOENT (2)');
    expect(cache).toMatch(/not cached/);
    expect(decided).toMatch(/test\.policy:3:\d+: filter 1 of 1 for openat/);
  });

  it('an argument-filtered syscall: the clause that holds, and the default when none does', () => {
    const allowed = check('--syscall', 'mmap', '--args', '0,4096,PROT_READ|PROT_WRITE');
    expect(linesOf(allowed)[0]).toBe('mmap(0x0, 0x1000, 0x3): allow');
    expect(linesOf(allowed)[3]).toMatch(/test\.policy:4:\d+: filter 1 of 2 for mmap \(clause 1 holds\)/);
    const denied = check('--syscall', 'mmap', '--args', '0,0x1000,PROT_EXEC');
    expect(linesOf(denied)[0]).toBe('mmap(0x0, 0x1000, 0x4): trap');
    expect(linesOf(denied)[3]).toMatch(/no filter of mmap matched: default action from the @default at .*test\.policy:6:\d+/);
    const ioctl = check('--syscall', 'ioctl', '--args', '3,0x5401');
    expect(linesOf(ioctl)[0]).toBe('ioctl(0x3, 0x5401): errno EPERM (1)');
  });

  it('an unlisted syscall gets the default action, and says where the default comes from', () => {
    const fromPolicy = check('--syscall', 'getpid');
    expect(linesOf(fromPolicy)[0]).toBe('getpid(): trap');
    expect(linesOf(fromPolicy)[3]).toMatch(/not listed: default action from the @default at .*test\.policy:6:\d+/);
    const fromCommandLine = check('--syscall', 'getpid', '--default-action', 'kill-process');
    expect(linesOf(fromCommandLine)[0]).toBe('getpid(): kill-process');
    expect(linesOf(fromCommandLine)[3]).toMatch(/not listed: default action from --default-action/);
  });

  it('the Minijail layout decides the same and may run a different number of instructions', () => {
    const result = check('--syscall', 'getpid', '--layout', 'minijail');
    expect(linesOf(result)[0]).toBe('getpid(): trap');
    expect(linesOf(result)[1]).toMatch(/minijail layout/);
  });

  it('--json gives the same facts as one object', () => {
    const result = check('--syscall', 'ioctl', '--args', '3,0x5401', '--json');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout.toString('utf8'));
    expect(report).toMatchObject({
      arch: 'x86_64',
      layout: 'optimized',
      syscall: { name: 'ioctl', number: 16 },
      args: ['0x3', '0x5401', '0x0', '0x0', '0x0', '0x0'],
      action: { text: 'errno EPERM (1)', value: '0x50001' },
      kernelCached: false,
      decidedBy: { kind: 'filter', location: { line: 5 } },
    });
    expect(report.instructionsExecuted).toBeGreaterThan(0);
  });

  it('exits 2 for an unknown syscall or constant (with a hint), too many arguments, or no --syscall', () => {
    const syscall = check('--syscall', 'getpdi');
    expect(syscall.status).toBe(2);
    expect(syscall.stderr).toMatch(/no such syscall on x86_64 \(did you mean "getpid"\?\)/);
    const constant = check('--syscall', 'mmap', '--args', '0,0,PROT_RAED');
    expect(constant.status).toBe(2);
    expect(constant.stderr).toMatch(/"PROT_RAED" is neither a number nor a constant of x86_64 \(did you mean "PROT_READ"\?\)/);
    expect(check('--syscall', 'read', '--args', '1,2,3,4,5,6,7').status).toBe(2);
    expect(check().status).toBe(2);
  });

  it('exits 1 with the three-line block for a broken policy', () => {
    const result = runCli(['check', broken, '--arch', 'x86_64', '--syscall', 'read']);
    expect(result.status).toBe(1);
    expect(result.stderr.split('\n')).toHaveLength(4);
    expect(result.stdout.length).toBe(0);
  });
});
