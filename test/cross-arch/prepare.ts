/**
 * Runs scripts/cross-arch/prepare.sh (packages, the cached arm64 kernel, the
 * probes) and returns where everything is. A failure throws with the
 * script's own "cross-arch: ..." lines, which say what is missing and why.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CrossArchTools {
  readonly qemu: string;
  readonly kernel: string;
  /** The Debian package the kernel came from (name_version_arch). */
  readonly kernelVersion: string;
  readonly probes: { readonly x86_64: string; readonly aarch64: string; readonly arm: string };
  readonly elapsedMs: number;
}

export const prepareScript = fileURLToPath(new URL('../../scripts/cross-arch/prepare.sh', import.meta.url));

export function prepareCrossArchTools(): CrossArchTools {
  const started = Date.now();
  const result = spawnSync('bash', [prepareScript], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`cross-arch: cannot run ${prepareScript}: ${result.error.message}`);
  if (result.status !== 0) {
    // The script's last "cross-arch:" line is the reason it stopped.
    const reason = result.stderr
      .split('\n')
      .filter((line) => line.startsWith('cross-arch:'))
      .pop();
    const tail = result.stderr.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${reason ?? `cross-arch: ${prepareScript} failed (exit ${result.status})`}\n--- last lines of its output ---\n${tail}`);
  }
  const values = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const match = /^(\w+)=(.*)$/.exec(line.trim());
    if (match) values.set(match[1], match[2]);
  }
  const need = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new Error(`cross-arch: ${prepareScript} printed no ${key}=`);
    return value;
  };
  return {
    qemu: need('qemu'),
    kernel: need('kernel'),
    kernelVersion: need('kernel_version'),
    probes: { x86_64: need('probe_x86_64'), aarch64: need('probe_aarch64'), arm: need('probe_arm') },
    elapsedMs: Date.now() - started,
  };
}
