/**
 * Runs a built `jail-run` as a user would, for the CLI tests.
 *
 * Each test file builds the project into a folder of its own: `npm run
 * build` (from `npm test`, another test file or an engineer) rewrites dist/
 * file by file, and a CLI started meanwhile can import a half-written module.
 * The folder is inside the project (node_modules/.cache) so that modules still
 * find the package root (policies/, build/Release).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface PrivateBuild {
  /** The build's root: src/ and bench/ compiled as in dist/. */
  readonly folder: string;
  /** Its CLI entry point (src/cli/main.js). */
  readonly cliEntry: string;
  remove(): void;
}

/** Compiles the project into node_modules/.cache/<name>/<pid>; a failed build throws with tsc's output, so the tests that need it fail. */
export function buildPrivateCopy(name: string): PrivateBuild {
  const folder = join(projectRoot, 'node_modules', '.cache', name, String(process.pid));
  rmSync(folder, { recursive: true, force: true });
  try {
    execFileSync(join(projectRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json', '--outDir', folder], { cwd: projectRoot, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed:\n${stdout}${stderr}`);
  }
  return { folder, cliEntry: join(folder, 'src', 'cli', 'main.js'), remove: () => rmSync(folder, { recursive: true, force: true }) };
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export function runCli(cliEntry: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const env = { ...process.env, ...options.env };
  delete env.MINIJAIL_DEFAULT_RET_LOG;
  if (options.env?.MINIJAIL_DEFAULT_RET_LOG !== undefined) env.MINIJAIL_DEFAULT_RET_LOG = options.env.MINIJAIL_DEFAULT_RET_LOG;
  const result = spawnSync(process.execPath, [cliEntry, ...args], { cwd: options.cwd ?? projectRoot, env, timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}
