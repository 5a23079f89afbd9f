import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ret, SECCOMP_RET_ALLOW } from '../../src/bpf/instruction.js';
import type { PolicyCompiler } from '../../src/devices/compile-cache.js';
import { formatFinding, lintPolicyFolder, type LintFinding } from '../../src/devices/lint.js';
import { PolicyError } from '../../src/policy/errors.js';
import { makePolicyFolder, wellFormedSpec, type PolicyFolderSpec } from './policy-folder-fixture.js';

const folders: { remove: () => void }[] = [];
afterEach(() => {
  for (const made of folders.splice(0)) made.remove();
});

/** Every loadable file "compiles" to a valid program: these tests are about the naming rules. */
const acceptingCompiler = () => ({ program: [ret(SECCOMP_RET_ALLOW)] });

async function lint(spec: PolicyFolderSpec, compile: PolicyCompiler = acceptingCompiler) {
  const made = makePolicyFolder(spec);
  folders.push(made);
  const report = await lintPolicyFolder(made.root, { compile });
  const shown = (finding: LintFinding) => formatFinding(finding, made.root);
  return { report, root: made.root, lines: report.findings.map(shown), rules: report.findings.map((finding) => finding.rule) };
}

describe('lint: a well-formed folder', () => {
  it('has no findings, and compiles every loadable file in both layouts', async () => {
    const { report } = await lint(wellFormedSpec());
    expect(report.findings).toEqual([]);
    expect(report.loadableFiles).toBe(9);
    expect(report.compilations).toBe(18);
  });
});

describe('lint: naming and inclusion', () => {
  it('file-name: a loadable suffix that names no transport, and a name with capitals', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/alpha_device_vhost.policy'] = '@include ./common_device.policy\n';
    spec['x86_64/Beta.policy'] = 'read: 1\n';
    const { lines, report } = await lint(spec);
    expect(lines).toContain('x86_64/alpha_device_vhost.policy:1:1: error [file-name] alpha_device_vhost.policy: "_device_vhost" names no transport; loadable files end in _device.policy (virtio), _device_vhost_user.policy or _device_vvu.policy');
    expect(lines.some((line) => line.startsWith('x86_64/Beta.policy:1:1: error [file-name]'))).toBe(true);
    expect(report.errors).toBe(2);
  });

  it('fragment-include: a fragment that includes another file', async () => {
    const spec = wellFormedSpec();
    spec['aarch64/alpha.policy'] = '# alpha\n@include ./beta.policy\nfsync: 1\n';
    const { lines } = await lint(spec);
    expect(lines).toEqual([
      'aarch64/alpha.policy:2:1: error [fragment-include] alpha.policy is a fragment: fragments are only included and include nothing themselves (inclusion stays one level deep)',
    ]);
  });

  it('loadable-includes: a part missing, a foreign include, a repeated one, and the wrong order', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/alpha_device.policy'] = '@include ./alpha.policy\n';
    spec['aarch64/alpha_device.policy'] = '@include ./common_device.policy\n@include ./beta.policy\n@include ./alpha.policy\n';
    spec['arm/alpha_device.policy'] = '@include ./common_device.policy\n@include ./common_device.policy\n@include ./alpha.policy\n';
    spec['arm/alpha_device_vhost_user.policy'] = '@include ./common_device.policy\n@include ./alpha.policy\n@include ./vhost_user.policy\n';
    const { report } = await lint(spec);
    const found = report.findings.map((finding) => `${finding.file.split('/').slice(-2).join('/')}:${finding.line} ${finding.rule} ${finding.message.split(':')[0]}`);
    expect(found).toEqual([
      'aarch64/alpha_device.policy:2 loadable-includes alpha_device.policy includes ./beta.policy, which is not one of its parts',
      'arm/alpha_device.policy:2 loadable-includes alpha_device.policy includes ./common_device.policy twice',
      'arm/alpha_device_vhost_user.policy:1 loadable-includes alpha_device_vhost_user.policy includes its parts out of order',
      'x86_64/alpha_device.policy:1 loadable-includes alpha_device.policy does not include ./common_device.policy',
    ]);
    expect(report.findings[0].message).toContain('includes exactly ./common_device.policy, ./alpha.policy in this order');
  });

  it('include-missing: a device whose fragment does not exist', async () => {
    const spec = wellFormedSpec();
    for (const arch of ['x86_64', 'aarch64', 'arm']) spec[`${arch}/gamma_device.policy`] = '@include ./common_device.policy\n@include ./gamma.policy\n';
    const { lines, report } = await lint(spec);
    expect(lines).toContain(`x86_64/gamma_device.policy:2:1: error [include-missing] @include ./gamma.policy: no such file ${join(report.folder, 'x86_64', 'gamma.policy')}`);
    expect(report.findings.filter((finding) => finding.rule === 'include-missing').length).toBe(3);
  });

  it('syntax: a file the language cannot read, reported where the parser points', async () => {
    const spec = wellFormedSpec();
    spec['arm/beta_device.policy'] = '@include ./common_device.policy\n@include beta.policy\n';
    spec['x86_64/gamma.policy'] = '# never included, still read\nread: arg0 ==\n';
    const { lines } = await lint(spec);
    // `beta.policy` is no PATH token (those start with ./ or /): `beta` lexes, then `.policy` does not.
    expect(lines).toEqual([
      'arm/beta_device.policy:2:14: error [syntax] invalid token (the other rules skip this file until it parses)',
      'x86_64/gamma.policy:2:14: error [syntax] empty constant (the other rules skip this file until it parses)',
    ]);
  });

  it('orphan-fragment: a device fragment no loadable file includes is a warning', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/gamma.policy'] = '# nobody loads this\nread: 1\n';
    const { lines, report } = await lint(spec);
    expect(lines).toEqual([expect.stringMatching(/^x86_64\/gamma\.policy:1:1: warning \[orphan-fragment\] fragment gamma\.policy is included by no loadable file/)]);
    expect(report.errors).toBe(0);
    expect(report.warnings).toBe(1);
  });

  it('does not treat the launcher prologue files as device fragments', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/launch_prologue_static.policy'] = 'execve: 1\nmmap: 1\n';
    const { report } = await lint(spec);
    expect(report.findings).toEqual([]);
  });
});

describe('lint: every device on every arch', () => {
  it('device-gap: a device missing on one arch', async () => {
    const spec = wellFormedSpec();
    delete spec['arm/beta_device.policy'];
    delete spec['arm/beta.policy'];
    const { lines } = await lint(spec);
    expect(lines).toEqual([
      `${'arm'}:1:1: error [device-gap] device beta (virtio) has no beta_device.policy for arm (it exists for x86_64, aarch64); add it, or state why in a "# gap: beta_device: REASON" comment in a .policy file of arm`,
    ]);
  });

  it('a gap note naming the file or the device excuses the gap', async () => {
    const spec = wellFormedSpec();
    delete spec['arm/alpha_device_vhost_user.policy'];
    delete spec['aarch64/beta_device.policy'];
    delete spec['aarch64/beta.policy'];
    spec['arm/common_device.policy'] += '# gap: alpha_device_vhost_user: no vhost-user front end on 32-bit hosts\n';
    spec['aarch64/common_device.policy'] += '# gap: beta: the beta hardware exists on x86 and arm only\n';
    const { report } = await lint(spec);
    expect(report.findings).toEqual([]);
  });

  it('gap-note: malformed, stale and unknown notes are errors', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/common_device.policy'] += '# gap: alpha_device\n# gap: alpha_device_vhost_user.policy: stale\n# gap: alpha: stale too\n# gap: omega: never existed\n';
    const { report } = await lint(spec);
    const messages = report.findings.map((finding) => `${finding.line} ${finding.rule} ${finding.message}`);
    expect(messages).toEqual([
      '6 gap-note a gap note reads "# gap: NAME: REASON" (NAME a loadable file like foo_device_vvu, or a device; the reason must not be empty)',
      '7 gap-note gap note for alpha_device_vhost_user.policy, but alpha_device_vhost_user.policy exists on x86_64: remove the note',
      '8 gap-note gap note for device alpha, but x86_64 has policies for it: name the missing files (e.g. alpha_device_vvu) instead',
      '9 gap-note gap note for omega, which is no device or loadable file of any arch',
    ]);
  });

  it('arch-folder: a missing arch folder is an error, a misnamed one a warning', async () => {
    const spec = wellFormedSpec();
    for (const path of Object.keys(spec)) {
      if (path.startsWith('arm/')) {
        spec[path.replace(/^arm\//, 'armhf/')] = spec[path];
        delete spec[path];
      }
    }
    const { lines, report } = await lint(spec);
    expect(lines).toEqual([
      'arm:1:1: error [arch-folder] no policies folder for arch arm: every device must exist for every arch',
      'armhf:1:1: warning [arch-folder] folder armhf is ignored: arch folders are named x86_64, aarch64, arm (did you mean arm?)',
    ]);
    expect(report.errors).toBe(1);
  });
});

describe('lint: content', () => {
  it('unknown-syscall: a syscall the arch does not have, at its line and column', async () => {
    const spec = wellFormedSpec();
    spec['aarch64/common_device.policy'] = '# base\nread: 1\n{write, open}: 1\nclose: 1\n  poll: 1\n';
    const { lines } = await lint(spec);
    expect(lines).toEqual([
      'aarch64/common_device.policy:3:9: error [unknown-syscall] open is not a syscall on aarch64',
      'aarch64/common_device.policy:5:3: error [unknown-syscall] poll is not a syscall on aarch64',
    ]);
  });

  it('dangerous-syscall: allowed outright with no comment before it', async () => {
    const spec = wellFormedSpec();
    spec['x86_64/alpha.policy'] = [
      '# alpha',
      'fsync: 1',
      'ioctl: 1', // error: the comment above belongs to fsync
      '# The worker threads.',
      'clone: 1', // commented
      'prctl: arg0 == PR_SET_NAME', // restricted
      'mprotect: 1 # needed for guard pages', // trailing comment
      'socket: return EACCES', // a denial
      'mmap: allow',
      '',
    ].join('\n');
    const { lines } = await lint(spec);
    expect(lines).toEqual([
      'x86_64/alpha.policy:3:1: error [dangerous-syscall] ioctl is dangerous: restrict its arguments, or say why it is safe in a comment on the line before',
      'x86_64/alpha.policy:9:1: error [dangerous-syscall] mmap is dangerous: restrict its arguments, or say why it is safe in a comment on the line before',
    ]);
  });
});

describe('lint: compiling', () => {
  it('compile: reports the compiler error where it points, once for all devices and layouts', async () => {
    const spec = wellFormedSpec();
    let calls = 0;
    const compile = (file: string) => {
      calls++;
      if (file.includes('/arm/')) {
        const fragment = join(file, '..', 'common_device.policy');
        throw new PolicyError('invalid constant', { file: fragment, line: 3, column: 7 }, 'close: arg0 == NOPE', 4);
      }
      return acceptingCompiler();
    };
    const { lines } = await lint(spec, compile);
    expect(lines).toEqual(['arm/common_device.policy:3:7: error [compile] invalid constant (compiling alpha_device.policy for arm, optimized layout)']);
    expect(calls).toBe(18);
  });

  it('verify: a program the kernel would refuse', async () => {
    const spec = wellFormedSpec();
    const compile = (file: string) => (file.endsWith('x86_64/beta_device.policy') ? { program: [] } : acceptingCompiler());
    const { lines } = await lint(spec, compile);
    expect(lines).toEqual([
      "x86_64/beta_device.policy:1:1: error [verify] the optimized program for x86_64 fails the kernel's checks: the program is empty",
      "x86_64/beta_device.policy:1:1: error [verify] the minijail program for x86_64 fails the kernel's checks: the program is empty",
    ]);
  });

  it('policy-folder: a folder that does not exist', async () => {
    const report = await lintPolicyFolder('/nonexistent/jail-run-lint', { compile: acceptingCompiler });
    expect(report.errors).toBe(1);
    expect(report.findings[0].rule).toBe('policy-folder');
  });
});
