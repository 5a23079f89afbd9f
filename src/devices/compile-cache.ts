/**
 * Compiled filters cached on disk by content hash, so running a device does
 * not recompile its policy every time.
 *
 * An entry lives in a slot named by (top-level file, arch, options, jail-run
 * version). It records every file the compiler read with its sha256, and a
 * content key over all of those plus the arch table, the options and the
 * version. A lookup is a hit only when every recorded file still has the
 * recorded hash; includes are found by the compiler itself (through the
 * readFile hook), never guessed. Entries are written atomically (temp file +
 * rename), so concurrent runs see a whole entry or none; a damaged entry
 * (bad JSON, wrong checksum, a program the kernel would refuse) is detected,
 * recompiled and replaced.
 *
 * The launcher builds its stage filters from IR (the policy united with the
 * launch prologue), so it caches one step later: generateProgramWithCache
 * keys an entry by the sha256 of the IR's canonical text (ir-fingerprint.ts),
 * the layout, the strategy and the version. Such entries are content
 * addressed and never stale; they share the format and the checks above.
 */
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { hostArch, resolveArch, type ArchTable } from '../arch/index.js';
import { decodeProgram, encodeProgram, findProgramProblems, type Instruction } from '../bpf/index.js';
import { makeFolder } from '../util/make-folder.js';
import { readInputText } from '../util/read-input-file.js';
import { writeFileAtomic } from '../util/write-file-atomic.js';
import type { PolicyIR } from '../policy/ir.js';
import { irFingerprintText } from './ir-fingerprint.js';
import { packageVersion } from './package-root.js';

export const CACHE_DIR_ENVIRONMENT = 'JAIL_RUN_CACHE_DIR';
const ENTRY_FORMAT = 1;

/** The compiler options that change the program (mirrors CompileOptions of src/compile.ts). */
export interface CacheableCompileOptions {
  arch?: string | ArchTable;
  layout?: 'optimized' | 'minijail';
  strategy?: 'bst' | 'linear';
  defaultAction?: string;
  useKillProcess?: boolean;
  useRetLog?: boolean;
  denylist?: boolean;
  includeDepthLimit?: number;
  readFile?: (path: string) => string;
}

/** compilePolicy's shape; injected so the cache does not care which compiler it fronts. */
export type PolicyCompiler = (file: string, options: CacheableCompileOptions) => { readonly program: readonly Instruction[] };

export interface CompileCacheOptions {
  /** Cache folder; default $JAIL_RUN_CACHE_DIR, else $XDG_CACHE_HOME/jail-run, else ~/.cache/jail-run. */
  readonly cacheDir?: string;
}

export type CacheOutcome =
  /** A valid entry matched every file read. */
  | 'hit'
  /** No entry yet for this file, arch and options. */
  | 'miss'
  /** An entry existed but a file it was built from has changed. */
  | 'stale'
  /** An entry existed but was damaged; it has been replaced. */
  | 'corrupt';

export interface CachedCompilation {
  readonly program: Instruction[];
  readonly arch: ArchTable;
  readonly outcome: CacheOutcome;
  /** Every file the compiler read (absolute paths), top-level file first. */
  readonly files: readonly string[];
  /** The entry's path; undefined when the entry could not be written (the result is still correct). */
  readonly entryPath: string | undefined;
  /** Why the entry was treated as damaged, for `outcome: 'corrupt'`. */
  readonly corruption?: string;
}

interface CacheEntry {
  format: number;
  jailRunVersion: string;
  contentKey: string;
  arch: string;
  files: { path: string; sha256: string }[];
  program: string;
  programSha256: string;
}

export function compileCacheDirectory(options: CompileCacheOptions = {}): string {
  const chosen = options.cacheDir ?? nonEmpty(process.env[CACHE_DIR_ENVIRONMENT]);
  if (chosen !== undefined) return resolve(chosen);
  const xdg = nonEmpty(process.env.XDG_CACHE_HOME);
  return join(xdg ?? join(homedir(), '.cache'), 'jail-run');
}

/** Compiles `file` through `compile`, or returns the cached program when nothing it depends on changed. */
export function compileWithCache(
  file: string,
  compileOptions: CacheableCompileOptions,
  compile: PolicyCompiler,
  cacheOptions: CompileCacheOptions = {},
): CachedCompilation {
  const arch = typeof compileOptions.arch === 'object' ? compileOptions.arch : resolveArch(compileOptions.arch ?? hostArch());
  const topFile = resolve(file);
  const settings = settingsFingerprint(arch, compileOptions);
  const folder = compileCacheDirectory(cacheOptions);
  const entryPath = join(folder, `${sha256(JSON.stringify({ topFile, settings }))}.json`);

  const readFile = compileOptions.readFile ?? readInputText;
  const lookup = readEntry(entryPath, settings);
  if (lookup.kind === 'valid' && filesUnchanged(lookup.entry, readFile)) {
    return { program: lookup.program, arch, outcome: 'hit', files: lookup.entry.files.map((entry) => entry.path), entryPath };
  }

  const read = new Map<string, string>();
  const recordingReadFile = (path: string): string => {
    const text = readFile(path);
    read.set(resolve(path), text);
    return text;
  };
  const compiled = compile(file, { ...compileOptions, arch, readFile: recordingReadFile });
  // The top-level file is always a dependency, whether or not the compiler read it through the hook;
  // listed first so the entry reads top-down.
  const topText = read.get(topFile) ?? readFile(topFile);
  read.delete(topFile);
  const dependencies = new Map([[topFile, topText], ...read]);
  const program = [...compiled.program];

  const files = [...dependencies].map(([path, text]) => ({ path, sha256: sha256(text) }));
  const bytes = encodeProgram(program);
  const entry: CacheEntry = {
    format: ENTRY_FORMAT,
    jailRunVersion: packageVersion(),
    contentKey: contentKey(settings, files),
    arch: arch.name,
    files,
    program: Buffer.from(bytes).toString('base64'),
    programSha256: sha256(bytes),
  };
  const stored = storeEntry(folder, entryPath, entry);
  const outcome: CacheOutcome = lookup.kind === 'absent' ? 'miss' : lookup.kind === 'corrupt' ? 'corrupt' : 'stale';
  return {
    program,
    arch,
    outcome,
    files: files.map((dependency) => dependency.path),
    entryPath: stored ? entryPath : undefined,
    ...(lookup.kind === 'corrupt' ? { corruption: lookup.reason } : {}),
  };
}

type Lookup =
  | { kind: 'absent' }
  | { kind: 'corrupt'; reason: string }
  | { kind: 'valid'; entry: CacheEntry; program: Instruction[] };

function readEntry(entryPath: string, settings: string): Lookup {
  let text: string;
  try {
    text = readInputText(entryPath);
  } catch {
    return { kind: 'absent' };
  }
  let entry: CacheEntry;
  try {
    entry = JSON.parse(text) as CacheEntry;
  } catch {
    return { kind: 'corrupt', reason: 'not valid JSON' };
  }
  if (typeof entry !== 'object' || entry === null || entry.format !== ENTRY_FORMAT) return { kind: 'corrupt', reason: 'unknown entry format' };
  if (!Array.isArray(entry.files) || entry.files.some((file) => typeof file?.path !== 'string' || typeof file?.sha256 !== 'string')) {
    return { kind: 'corrupt', reason: 'damaged file list' };
  }
  // The content key binds the file list to the settings: a damaged or foreign list cannot pass.
  if (entry.contentKey !== contentKey(settings, entry.files)) return { kind: 'corrupt', reason: 'content key does not match' };
  if (typeof entry.program !== 'string') return { kind: 'corrupt', reason: 'no program' };
  const bytes = Buffer.from(entry.program, 'base64');
  if (sha256(bytes) !== entry.programSha256) return { kind: 'corrupt', reason: 'program checksum does not match' };
  let program: Instruction[];
  try {
    program = decodeProgram(bytes);
  } catch (error) {
    return { kind: 'corrupt', reason: (error as Error).message };
  }
  const problems = findProgramProblems(program);
  if (problems.length > 0) return { kind: 'corrupt', reason: `program fails verification: ${problems[0].reason}` };
  return { kind: 'valid', entry, program };
}

function filesUnchanged(entry: CacheEntry, readFile: (path: string) => string): boolean {
  return entry.files.every((file) => {
    try {
      return sha256(readFile(file.path)) === file.sha256;
    } catch {
      return false;
    }
  });
}

/** Writing the cache is best effort: an unwritable cache folder must not stop a device from running. */
function storeEntry(folder: string, entryPath: string, entry: CacheEntry): boolean {
  try {
    makeFolder(folder, 0o700);
    writeFileAtomic(entryPath, `${JSON.stringify(entry)}\n`, 0o600);
    return true;
  } catch {
    return false;
  }
}

function contentKey(settings: string, files: readonly { path: string; sha256: string }[]): string {
  return sha256(JSON.stringify({ settings, files: files.map((file) => [file.path, file.sha256]) }));
}

const archFingerprints = new WeakMap<ArchTable, string>();

/** Everything besides the files that changes the program: version, arch table content, options. */
function settingsFingerprint(arch: ArchTable, options: CacheableCompileOptions): string {
  let archHash = archFingerprints.get(arch);
  if (archHash === undefined) {
    archHash = sha256(
      JSON.stringify({
        name: arch.name,
        minijailName: arch.minijailName,
        auditArch: arch.auditArch,
        bits: arch.bits,
        syscalls: [...arch.syscalls],
        constants: [...arch.constants].map(([name, value]) => [name, value.toString()]),
        groups: [...arch.syscallGroups].map(([namespace, groups]) => [namespace, [...groups]]),
      }),
    );
    archFingerprints.set(arch, archHash);
  }
  return JSON.stringify({
    format: ENTRY_FORMAT,
    version: packageVersion(),
    arch: archHash,
    layout: options.layout ?? 'optimized',
    strategy: options.strategy ?? null,
    defaultAction: options.defaultAction ?? null,
    useKillProcess: options.useKillProcess ?? false,
    useRetLog: options.useRetLog ?? false,
    denylist: options.denylist ?? false,
    includeDepthLimit: options.includeDepthLimit ?? null,
  });
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** The code generator's shape (generateProgram of src/compile.ts). */
export type ProgramGenerator = (ir: PolicyIR, layout: 'optimized' | 'minijail', strategy: 'bst' | 'linear') => Instruction[];

export interface CachedProgram {
  readonly program: Instruction[];
  readonly outcome: Exclude<CacheOutcome, 'stale'>;
  readonly entryPath: string | undefined;
  readonly corruption?: string;
}

/**
 * Generates the program for an IR through `generate`, or returns the cached
 * one for an IR with the same canonical content, layout and strategy.
 */
export function generateProgramWithCache(
  ir: PolicyIR,
  layout: 'optimized' | 'minijail',
  strategy: 'bst' | 'linear',
  generate: ProgramGenerator,
  cacheOptions: CompileCacheOptions = {},
): CachedProgram {
  const settings = JSON.stringify({ format: ENTRY_FORMAT, version: packageVersion(), kind: 'ir', layout, strategy, ir: sha256(irFingerprintText(ir)) });
  const folder = compileCacheDirectory(cacheOptions);
  const entryPath = join(folder, `ir-${sha256(settings)}.json`);
  const lookup = readEntry(entryPath, settings);
  if (lookup.kind === 'valid') return { program: lookup.program, outcome: 'hit', entryPath };
  const program = generate(ir, layout, strategy);
  const bytes = encodeProgram(program);
  const entry: CacheEntry = {
    format: ENTRY_FORMAT,
    jailRunVersion: packageVersion(),
    contentKey: contentKey(settings, []),
    arch: ir.arch.name,
    files: [],
    program: Buffer.from(bytes).toString('base64'),
    programSha256: sha256(bytes),
  };
  const stored = storeEntry(folder, entryPath, entry);
  return {
    program,
    outcome: lookup.kind === 'corrupt' ? 'corrupt' : 'miss',
    entryPath: stored ? entryPath : undefined,
    ...(lookup.kind === 'corrupt' ? { corruption: lookup.reason } : {}),
  };
}
