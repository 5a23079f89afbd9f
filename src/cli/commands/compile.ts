import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Option, type Command } from 'commander';
import { encodeProgram, renderCHeader } from '../../bpf/index.js';
import { compilePolicy } from '../../compile.js';
import { writeFileAtomic } from '../../util/write-file-atomic.js';
import { addPolicyOptions, compileOptionsFrom, type PolicyOptionValues } from '../policy-options.js';
import { registerCommand } from '../program.js';
import { UsageError } from '../report-failure.js';

type OutputFormat = 'bpf' | 'c-header';

interface CompileCommandValues extends PolicyOptionValues {
  output?: string;
  format?: OutputFormat;
  headerName?: string;
  quiet?: boolean;
}

const STDOUT = '-';

/** OUTPUT and -o say the same thing; giving neither is an error because a binary filter on a terminal helps nobody. */
function chooseOutput(positional: string | undefined, option: string | undefined): string {
  if (positional !== undefined && option !== undefined && positional !== option) {
    throw new UsageError(`two outputs given (${positional} and -o ${option}): give one`);
  }
  const output = positional ?? option;
  if (output === '') throw new UsageError('the output is an empty name: name a file, or - for standard output');
  if (output === undefined) throw new UsageError('no output given: name a file (OUTPUT or -o FILE), or -o - for standard output');
  return output;
}

/** The format asked for, else the one the output's name suggests: .h is a C header, anything else raw BPF. */
const chooseFormat = (output: string, format: OutputFormat | undefined): OutputFormat =>
  format ?? (output !== STDOUT && extname(output) === '.h' ? 'c-header' : 'bpf');

/**
 * The C header's variable prefix: --header-name, else the output's base name
 * without .h (as the reference names it after OUTPUT), else the policy's;
 * characters a C identifier cannot hold become underscores.
 */
function chooseHeaderName(values: CompileCommandValues, output: string, policy: string): string {
  if (values.headerName !== undefined) return values.headerName;
  const source = output === STDOUT ? basename(policy, extname(policy)) : basename(output, '.h');
  const name = source.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[0-9]/.test(name) || name === '' ? `_${name}` : name;
}

/** Both paths name one existing file (through links or different spellings). */
function isSameFile(first: string, second: string): boolean {
  try {
    const a = statSync(first);
    const b = statSync(second);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** Atomic: on any failure the old file (or its absence) stays as it was. */
function writeOutput(output: string, content: string | Uint8Array): void {
  try {
    writeFileAtomic(output, content, 0o644, { followLinks: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`cannot write ${output} (${code})`);
  }
}

registerCommand((program: Command) => {
  addPolicyOptions(
    program
      .command('compile')
      .description('compile a Minijail seccomp policy to a BPF filter (raw .bpf records, or a C header)')
      .argument('<policy>', 'the policy file')
      .argument('[output]', 'where to write the filter (- for standard output)'),
  )
    .addOption(new Option('-o, --output <file>', 'where to write the filter (- for standard output)'))
    .addOption(new Option('--format <format>', 'output format (default: c-header for a .h output, else bpf)').choices(['bpf', 'c-header']))
    .addOption(new Option('--header-name <name>', 'C header: prefix of the variable names (default: the output file\'s name)'))
    .addOption(new Option('-q, --quiet', 'no summary line on stderr'))
    .action((policy: string, positionalOutput: string | undefined, values: CompileCommandValues) => {
      const output = chooseOutput(positionalOutput, values.output);
      if (output !== STDOUT && isSameFile(output, policy)) throw new UsageError(`the output ${output} is the policy itself: name another file`);
      const format = chooseFormat(output, values.format);
      const headerName = format === 'c-header' ? chooseHeaderName(values, output, policy) : undefined;
      if (headerName !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(headerName)) {
        throw new UsageError(`--header-name "${headerName}" is not a C identifier (letters, digits, underscores; no leading digit)`);
      }
      const notices: string[] = [];
      const options = compileOptionsFrom(values, (text) => notices.push(text));
      for (const notice of notices) process.stderr.write(`jail-run: ${notice}\n`);

      const compiled = compilePolicy(policy, options);
      const content = headerName !== undefined ? renderCHeader(compiled.program, headerName) : encodeProgram(compiled.program);
      if (output === STDOUT) process.stdout.write(content);
      else writeOutput(output, content);

      if (values.quiet !== true) {
        const where = output === STDOUT ? 'standard output' : output;
        const form = headerName !== undefined ? `C header ${headerName}` : 'raw BPF';
        process.stderr.write(
          `compiled ${policy}: ${compiled.program.length} instructions, ${compiled.layout} layout, ${compiled.arch.name}, ${form} -> ${where}\n`,
        );
      }
    });
});
