import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { explainDevice, explainPolicyFile } from '../../src/devices/explain-policy.js';
import { formatExplanation } from '../../src/devices/explain-format.js';
import { makePolicyFolder } from './policy-folder-fixture.js';

const folders: { remove: () => void }[] = [];
afterEach(() => {
  for (const made of folders.splice(0)) made.remove();
});

function fixture(extraFragmentLines = ''): string {
  const made = makePolicyFolder({
    'x86_64/common_device.policy': '# base\nread: 1\nioctl: arg1 == FIONBIO\n# no executable mappings\nmmap: arg2 in ~PROT_EXEC\n',
    'x86_64/alpha.policy': `ioctl: arg1 == FIOCLEX || arg1 == FIONCLEX && arg0 == 3\nopenat: return ENOENT\nwrite: 1\n${extraFragmentLines}`,
    'x86_64/alpha_device.policy': '@include ./common_device.policy\n@include ./alpha.policy\n',
  });
  folders.push(made);
  return made.root;
}

describe('explain', () => {
  it('lists each syscall with its rules merged across includes and the file:line of each', () => {
    const root = fixture();
    const { device, explanation } = explainDevice({ device: 'alpha', arch: 'x86_64', policyDir: root });
    const common = join(root, 'x86_64', 'common_device.policy');
    const alpha = join(root, 'x86_64', 'alpha.policy');
    expect(device.path).toBe(join(root, 'x86_64', 'alpha_device.policy'));
    expect(explanation.files).toEqual([device.path, common, alpha]);
    expect(explanation.syscalls.map((syscall) => [syscall.name, syscall.number, syscall.cached])).toEqual([
      ['read', 0, true],
      ['ioctl', 16, false],
      ['mmap', 9, false],
      ['openat', 257, false],
      ['write', 1, true],
    ]);
    const ioctl = explanation.syscalls[1];
    expect(ioctl.rules).toEqual([
      { condition: 'arg1 == FIONBIO', action: 'allow', location: { file: common, line: 3, column: 6 } },
      { condition: 'arg1 == FIOCLEX || arg1 == FIONCLEX && arg0 == 3', action: 'allow', location: { file: alpha, line: 1, column: 6 } },
      { condition: null, action: 'kill-thread', location: null },
    ]);
    expect(explanation.syscalls[3].rules).toEqual([{ condition: null, action: 'return ENOENT', location: { file: alpha, line: 2, column: 9 } }]);
    expect(explanation.defaultAction).toEqual({ action: 'kill-thread', source: { kind: 'language-default' } });
  });

  it('says where the default action comes from: @default, or --default-action', () => {
    const root = fixture('@default trap\n');
    const file = join(root, 'x86_64', 'alpha_device.policy');
    const fromStatement = explainPolicyFile(file, { arch: 'x86_64' });
    expect(fromStatement.defaultAction).toEqual({
      action: 'trap',
      source: { kind: 'statement', location: expect.objectContaining({ file: join(root, 'x86_64', 'alpha.policy'), line: 4 }) },
    });
    const fromOption = explainPolicyFile(file, { arch: 'x86_64', defaultAction: 'return EPERM' });
    expect(fromOption.defaultAction).toEqual({ action: 'return EPERM', source: { kind: 'command-line' } });
    expect(fromOption.syscalls[1].rules[2]).toEqual({ condition: null, action: 'return EPERM', location: null });
  });

  it('prints a table with the source of every rule', () => {
    const root = fixture();
    const { explanation } = explainDevice({ device: 'alpha', arch: 'x86_64', policyDir: root });
    const text = formatExplanation(explanation, { device: 'alpha, virtio, x86_64' });
    const lines = text.split('\n');
    expect(lines).toContain('composed  alpha_device.policy, common_device.policy, alpha.policy');
    expect(lines).toContain('default   kill-thread, the kill action: the policy has no @default and no --default-action was given');
    expect(text).toMatch(/cache {5}2 of 5 listed syscalls are allowed by the kernel's action cache/);
    expect(lines.slice(lines.indexOf('') + 1)).toEqual([
      'syscall   nr  cached  from                    rule',
      'read       0  yes     common_device.policy:2  allow',
      'ioctl     16  no      common_device.policy:3  arg1 == FIONBIO: allow',
      '                      alpha.policy:1          arg1 == FIOCLEX || arg1 == FIONCLEX && arg0 == 3: allow',
      '                      default                 otherwise: kill-thread',
      'mmap       9  no      common_device.policy:5  arg2 in ~PROT_EXEC: allow',
      '                      default                 otherwise: kill-thread',
      'openat   257  no      alpha.policy:2          return ENOENT',
      'write      1  yes     alpha.policy:3          allow',
      '',
      'Any other syscall: kill-thread.',
      '',
    ]);
  });
});
