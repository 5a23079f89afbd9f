/**
 * Bundled to JavaScript by worker-teardown.test.ts (Node 20 gives worker
 * threads no TypeScript loader) and run as its own process, so that a crash
 * shows as an exit status instead of taking the test runner down.
 *
 * Main thread: for each case, starts a worker thread that launches a jailed
 * program which sleeps, waits until the program runs under its exact policy,
 * terminates the worker, and records what became of the program (running,
 * zombie, gone) and of the process's fds. Then launches one more program
 * from the main thread to show the launcher still works. Prints one JSON line.
 *
 * Worker thread: spawnJailed, then posts the pid once `ready` has resolved and
 * the program has written its first line; then waits for ever.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { spawnNative } from '../../../src/launch/native.js';
import { spawnJailed } from '../../../src/launch/spawn-jailed.js';

interface Case {
  readonly program: string;
  readonly policy: string;
  readonly deathSignal?: number;
  /** The addon's bare spawn with no watch at all: only PR_SET_PDEATHSIG acts when the thread ends. */
  readonly bare?: boolean;
}

/** The process's open fds as 'number→target', so that a leak names itself. */
function openFds(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      return [`${fd}→${readlinkSync(`/proc/self/fd/${fd}`)}`];
    } catch {
      return []; // the fd readdir itself used
    }
  });
}

function processState(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] === 'Z' ? 'zombie' : 'running';
  } catch {
    return 'gone';
  }
}

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    stream.on('end', () => reject(new Error(`stdout ended before a line: ${JSON.stringify(text)}`)));
  });
}

async function inWorker(job: Case): Promise<void> {
  if (job.bare === true) {
    const spawned = spawnNative({
      file: job.program,
      argv: [job.program, 'sleep-ms', '60000'],
      envp: [],
      stdio: ['ignore', 'ignore', 'inherit'],
      filters: [],
      deathSignal: 9,
    });
    parentPort!.postMessage({ pid: spawned.pid, line: '', stages: 'none' });
    return;
  }
  const child = spawnJailed(job.program, ['echo', 'started', 'sleep-ms', '60000'], {
    policy: job.policy,
    stdio: ['ignore', 'pipe', 'inherit'],
    ...(job.deathSignal !== undefined ? { deathSignal: job.deathSignal } : {}),
  });
  await child.ready;
  const line = await firstLine(child.stdout!);
  parentPort!.postMessage({ pid: child.pid, line, stages: child.stages });
}

async function terminateDuringRun(job: Case): Promise<Record<string, unknown>> {
  const worker = new Worker(new URL(import.meta.url), { workerData: job });
  const started = await new Promise<{ pid: number; line: string; stages: string }>((resolve, reject) => {
    worker.once('message', (message: { pid: number; line: string; stages: string } | { error: string }) => {
      if ('error' in message) reject(new Error(`worker: ${message.error}`));
      else resolve(message);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
  const stateBefore = processState(started.pid);
  await worker.terminate();
  // A watched program is killed and reaped by the clean-up hook before
  // terminate() resolves. A bare one gets PR_SET_PDEATHSIG when the thread
  // itself exits, which Node may finish after the 'exit' event: wait for it.
  let stateAfter = processState(started.pid);
  for (let waited = 0; job.bare === true && stateAfter === 'running' && waited < 5000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    stateAfter = processState(started.pid);
  }
  return { ...job, ...started, stateBefore, stateAfter };
}

async function main(): Promise<void> {
  const [program, staticProgram, policy] = process.argv.slice(2) as [string, string, string];
  const cases: Case[] = [
    { program, policy },
    { program, policy, deathSignal: 0 },
    { program: staticProgram, policy },
    { program: staticProgram, policy, deathSignal: 0 },
  ];
  // A first round before counting: Node opens some fds of its own lazily
  // (e.g. /dev/null when the process's stdin is not a terminal).
  await terminateDuringRun(cases[0]!);
  const fdsBefore = openFds();
  const results = [];
  for (const job of cases) results.push(await terminateDuringRun(job));
  const fdsAfter = openFds();
  const after = spawnJailed(program, ['echo', 'after'], { policy, stdio: ['ignore', 'pipe', 'inherit'] });
  const [afterLine, afterExit] = await Promise.all([firstLine(after.stdout!), after.exited]);
  // Last, as it leaks the worker's pidfd on purpose (nobody closes it).
  const bare = await terminateDuringRun({ program: staticProgram, policy, bare: true });
  process.stdout.write(`${JSON.stringify({ results, fdsBefore, fdsAfter, afterLine, afterCode: afterExit.code, bare })}\n`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    process.stderr.write(`driver: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(3);
  });
} else {
  inWorker(workerData as Case).catch((error: unknown) => {
    parentPort!.postMessage({ error: error instanceof Error ? error.message : String(error) });
  });
}
