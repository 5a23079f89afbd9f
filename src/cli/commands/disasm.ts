import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { getShippedArch, SHIPPED_ARCHES, type ArchTable } from '../../arch/index.js';
import { decodeProgram } from '../../bpf/decode.js';
import { disassemble } from '../../bpf/disassemble.js';
import { OP_JEQ_K, OP_LD_W_ABS, SECCOMP_DATA_ARCH, type Instruction } from '../../bpf/instruction.js';
import { archJsonOption, archOption, selectArch, type ArchOptionValues } from '../arch-option.js';
import { registerCommand } from '../program.js';
import { UsageError } from '../report-failure.js';

/**
 * Without --arch, name syscalls after the arch the program itself checks for
 * (its first comparison against seccomp_data.arch): the host's table would
 * mislabel an aarch64 or arm filter.
 */
function archCheckedBy(program: readonly Instruction[]): ArchTable | undefined {
  for (let index = 0; index + 1 < program.length; index++) {
    const load = program[index];
    const compare = program[index + 1];
    if (load.code === OP_LD_W_ABS && load.k === SECCOMP_DATA_ARCH && compare.code === OP_JEQ_K) {
      return SHIPPED_ARCHES.map(getShippedArch).find((arch) => arch.auditArch === compare.k);
    }
  }
  return undefined;
}

registerCommand((program: Command) => {
  program
    .command('disasm')
    .description('disassemble a compiled filter (raw .bpf: 8-byte little-endian sock_filter records)')
    .argument('<file>', 'the .bpf file')
    .addOption(archOption())
    .addOption(archJsonOption())
    .action((file: string, options: ArchOptionValues) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file);
      } catch (error) {
        throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      let program;
      try {
        program = decodeProgram(bytes);
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}`);
      }
      const explicitArch = options.arch !== undefined || options.archJson !== undefined;
      const arch = explicitArch ? selectArch(options) : archCheckedBy(program);
      process.stdout.write(`${disassemble(program, arch === undefined ? {} : { arch })}\n`);
    });
});
