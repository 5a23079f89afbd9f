import { Option, type Command } from 'commander';
import { getShippedArch, SHIPPED_ARCHES, type ArchTable } from '../../arch/index.js';
import { decodeProgram } from '../../bpf/decode.js';
import { disassemble } from '../../bpf/disassemble.js';
import { OP_JEQ_K, OP_LD_W_ABS, SECCOMP_DATA_ARCH, type Instruction } from '../../bpf/instruction.js';
import { findProgramProblems } from '../../bpf/verify.js';
import { readFailureName, readInputFile } from '../../util/read-input-file.js';
import { archJsonOption, archOption, selectArch, type ArchOptionValues } from '../arch-option.js';
import { registerCommand } from '../program.js';
import { UsageError } from '../report-failure.js';

/** The AUDIT_ARCH value of the program's first comparison against seccomp_data.arch. */
function auditArchCheckedBy(program: readonly Instruction[]): number | undefined {
  for (let index = 0; index + 1 < program.length; index++) {
    const load = program[index];
    const compare = program[index + 1];
    if (load.code === OP_LD_W_ABS && load.k === SECCOMP_DATA_ARCH && compare.code === OP_JEQ_K) return compare.k;
  }
  return undefined;
}

/**
 * Without --arch, name syscalls after the arch the program itself checks for:
 * the host's table would mislabel an aarch64 or arm filter.
 */
const shippedArchWithAuditArch = (auditArch: number | undefined): ArchTable | undefined =>
  SHIPPED_ARCHES.map(getShippedArch).find((arch) => arch.auditArch === auditArch);

const hex = (value: number): string => `0x${value.toString(16)}`;

/** Bytes that decode but that the kernel would refuse: not worth a disassembly unless asked for. */
function refuseInvalidProgram(file: string, program: readonly Instruction[]): void {
  const problems = findProgramProblems(program);
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5).map((problem) => `  ${problem.index === null ? 'program' : `instruction ${problem.index}`}: ${problem.reason}`);
  const more = problems.length > shown.length ? `\n  ... and ${problems.length - shown.length} more` : '';
  throw new Error(`${file} is not a seccomp filter the kernel would load:\n${shown.join('\n')}${more}\n(--no-verify disassembles it anyway)`);
}

registerCommand((program: Command) => {
  program
    .command('disasm')
    .description('disassemble a compiled filter (raw .bpf: 8-byte little-endian sock_filter records)')
    .argument('<file>', 'the .bpf file')
    .addOption(archOption())
    .addOption(archJsonOption())
    .addOption(new Option('--no-verify', 'disassemble even a program the kernel would refuse'))
    .action((file: string, options: ArchOptionValues & { verify: boolean }) => {
      let bytes: Uint8Array;
      try {
        bytes = readInputFile(file);
      } catch (error) {
        throw new UsageError(`cannot read ${file} (${readFailureName(error)})`);
      }
      let program;
      try {
        program = decodeProgram(bytes);
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
      if (options.verify) refuseInvalidProgram(file, program);
      const checked = auditArchCheckedBy(program);
      const explicitArch = options.arch !== undefined || options.archJson !== undefined;
      let arch: ArchTable | undefined;
      if (explicitArch) {
        arch = selectArch(options);
        // Naming another arch's syscalls would print a plausible, wrong listing.
        if (checked !== undefined && checked !== arch.auditArch) {
          const name = shippedArchWithAuditArch(checked)?.name;
          throw new UsageError(
            `${file} checks for arch ${hex(checked)}${name === undefined ? '' : ` (${name})`}, not ${arch.name} (${hex(arch.auditArch)}): drop --arch, or give the filter's own`,
          );
        }
      } else {
        arch = shippedArchWithAuditArch(checked);
      }
      process.stdout.write(`${disassemble(program, arch === undefined ? {} : { arch })}\n`);
    });
});
