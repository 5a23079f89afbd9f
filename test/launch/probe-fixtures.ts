/**
 * Builds test/fixtures/syscall_probe.c for the launcher tests, static and
 * dynamic, into a temp folder keyed by the source's hash (so concurrent test
 * files share one build and an edited source is rebuilt).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const probeSource = join(projectRoot, 'test', 'fixtures', 'syscall_probe.c');

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** cc is there and can link a static program (Debian: libc6-dev ships libc.a). */
export const haveCompiler = commandWorks('cc', ['--version']);
const staticLibc = ['/usr/lib/x86_64-linux-gnu/libc.a', '/usr/lib/aarch64-linux-gnu/libc.a', '/usr/lib/arm-linux-gnueabihf/libc.a', '/usr/lib/libc.a'];
export const haveStaticLibc = staticLibc.some((file) => existsSync(file));

function buildDirectory(): string {
  const hash = createHash('sha256').update(readFileSync(probeSource)).digest('hex').slice(0, 16);
  const directory = join(tmpdir(), `jail-run-probe-${hash}`);
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** Compiles one C source (test-local helpers too) unless the output already exists. */
export function compileC(source: string, output: string, flags: readonly string[]): string {
  if (existsSync(output)) return output;
  const partial = `${output}.${process.pid}.partial`;
  execFileSync('cc', ['-O2', '-Wall', '-o', partial, source, ...flags], { stdio: 'pipe' });
  renameSync(partial, output);
  return output;
}

export function staticProbe(): string {
  return compileC(probeSource, join(buildDirectory(), 'syscall_probe_static'), ['-static']);
}

export function dynamicProbe(): string {
  return compileC(probeSource, join(buildDirectory(), 'syscall_probe_dynamic'), []);
}

/** Where tests put their own small sources and outputs. */
export function scratchDirectory(name: string): string {
  const directory = join(buildDirectory(), name);
  mkdirSync(directory, { recursive: true });
  return directory;
}
