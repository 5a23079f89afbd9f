/**
 * Run by callback-errors.test.ts as its own process (node --import tsx):
 * uncaught exceptions are the subject, and the test runner must not see them.
 *
 * With JAIL_RUN_HANDLER=1 it collects uncaught exceptions with
 * process.on('uncaughtException') and, for each case, throws from one user
 * callback and checks that the launcher still settles `exited` (the program
 * killed for its denial, the exit reported). Prints one JSON line. Without
 * the handler it throws from a watch callback and Node ends the process the
 * normal way (exit status 1, the error on stderr).
 */
import { closeSync } from 'node:fs';
import { spawnNative, watchExit } from '../../../src/launch/native.js';
import { spawnJailed, type JailedExit } from '../../../src/launch/spawn-jailed.js';

const [dynamicProgram, staticProgram, policy] = process.argv.slice(2) as [string, string, string];

function settled(exited: Promise<JailedExit>): Promise<Record<string, unknown>> {
  return exited.then(
    (exit) => ({ code: exit.code, signal: exit.signal, killedFor: exit.killedForDenial?.syscall ?? null }),
    (error: unknown) => ({ rejected: error instanceof Error ? error.message : String(error) }),
  );
}

async function withHandler(): Promise<void> {
  const uncaught: string[] = [];
  process.on('uncaughtException', (error) => uncaught.push(error.message));
  const results: Record<string, unknown> = {};

  // The addon's own watch: an exception in an exit callback.
  const bare = spawnNative({ file: staticProgram, argv: [staticProgram, 'exit', '0'], envp: [], stdio: ['ignore', 'ignore', 'inherit'], filters: [] });
  await new Promise<void>((resolve) => {
    watchExit(bare.pidfd, () => {
      closeSync(bare.pidfd);
      resolve();
      throw new Error('thrown by a watchExit callback');
    });
  });

  // onDenial throws: the program is still killed for the denied call.
  for (const program of [dynamicProgram, staticProgram]) {
    const child = spawnJailed(program, ['getpid'], {
      policy,
      stdio: 'ignore',
      onDenial: () => {
        throw new Error(`thrown by onDenial (${program.endsWith('static') ? 'static' : 'dynamic'})`);
      },
    });
    results[`onDenial ${program.endsWith('static') ? 'static' : 'dynamic'}`] = await settled(child.exited);
  }

  // A 'denial' listener throws.
  const denialListener = spawnJailed(dynamicProgram, ['getpid'], { policy, stdio: 'ignore' });
  denialListener.on('denial', () => {
    throw new Error("thrown by a 'denial' listener");
  });
  results['denial listener'] = await settled(denialListener.exited);

  // A 'ready' listener throws (dynamic: from the stage-B confirmation callback).
  const readyListener = spawnJailed(dynamicProgram, ['exit', '0'], { policy, stdio: 'ignore' });
  readyListener.on('ready', () => {
    throw new Error("thrown by a 'ready' listener");
  });
  results['ready listener'] = await settled(readyListener.exited);

  // An 'exit' listener throws: `exited` must still settle.
  for (const program of [dynamicProgram, staticProgram]) {
    const child = spawnJailed(program, ['exit', '3'], { policy, stdio: 'ignore' });
    child.on('exit', () => {
      throw new Error(`thrown by an 'exit' listener (${program.endsWith('static') ? 'static' : 'dynamic'})`);
    });
    results[`exit listener ${program.endsWith('static') ? 'static' : 'dynamic'}`] = await settled(child.exited);
  }

  // Let exceptions queued behind the last await surface.
  await new Promise((resolve) => setTimeout(resolve, 50));
  process.stdout.write(`${JSON.stringify({ uncaught, results })}\n`);
}

function withoutHandler(): void {
  const bare = spawnNative({ file: staticProgram, argv: [staticProgram, 'exit', '0'], envp: [], stdio: ['ignore', 'ignore', 'inherit'], filters: [] });
  watchExit(bare.pidfd, () => {
    throw new Error('unhandled: thrown by a watchExit callback');
  });
}

if (process.env.JAIL_RUN_HANDLER === '1') {
  withHandler().catch((error: unknown) => {
    process.stderr.write(`driver: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(3);
  });
} else {
  withoutHandler();
}
