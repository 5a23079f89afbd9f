/** Runs the built `jail-run` (dist/) as a user would, for the CLI tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
export const cliEntry = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

/** Builds the project; a failed build throws with tsc's output, so the tests that need it fail. */
export function buildProject(): void {
  try {
    execFileSync('npm', ['run', 'build'], { cwd: projectRoot, stdio: 'pipe', encoding: 'utf8' });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`npm run build failed:\n${stdout}${stderr}`);
  }
}

export interface CliResult {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const env = { ...process.env, ...options.env };
  delete env.MINIJAIL_DEFAULT_RET_LOG;
  if (options.env?.MINIJAIL_DEFAULT_RET_LOG !== undefined) env.MINIJAIL_DEFAULT_RET_LOG = options.env.MINIJAIL_DEFAULT_RET_LOG;
  const result = spawnSync(process.execPath, [cliEntry, ...args], { cwd: options.cwd ?? projectRoot, env, timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}
