/**
 * The policies folder shipped with jail-run: it lints clean (naming rules,
 * every device on every arch, no unknown or unjustified dangerous syscalls)
 * and every loadable file compiles for its arch in both layouts and passes
 * the verifier (the lint's compile and verify rules).
 */
import { describe, expect, it } from 'vitest';
import { SHIPPED_ARCHES } from '../../src/arch/index.js';
import { listDevices } from '../../src/devices/catalog.js';
import { formatFinding, lintPolicyFolder } from '../../src/devices/lint.js';
import { policyDirectory } from '../../src/devices/policy-directory.js';

/** The devices issue #4 asks for, at least. */
const REQUIRED_DEVICES = ['block', 'net', 'rng', 'serial', 'balloon', 'input', 'vsock', 'fs', 'gpu', 'snd', 'pmem', '9p', 'video', 'wl', 'tpm', 'iommu', 'xhci'];

describe('shipped policies folder', () => {
  it('lints clean, every loadable file compiling for its arch in both layouts', async () => {
    const report = await lintPolicyFolder(policyDirectory());
    const problems = report.findings.map((finding) => formatFinding(finding));
    expect(problems, problems.join('\n')).toEqual([]);
    expect(report.loadableFiles).toBeGreaterThan(0);
    expect(report.compilations).toBe(2 * report.loadableFiles);
  });

  it('has every required device on every arch', () => {
    for (const arch of SHIPPED_ARCHES) {
      const devices = new Set(listDevices(arch).map((entry) => entry.device));
      const missing = REQUIRED_DEVICES.filter((device) => !devices.has(device));
      expect(missing, `missing on ${arch}`).toEqual([]);
    }
  });

  it('offers the block device over all three transports on every arch', () => {
    for (const arch of SHIPPED_ARCHES) {
      const transports = listDevices(arch).filter((entry) => entry.device === 'block').map((entry) => entry.transport);
      expect(transports, arch).toEqual(['virtio', 'vhost-user', 'vvu']);
    }
  });
});
