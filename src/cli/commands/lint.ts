import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { DANGEROUS_SYSCALLS, formatFinding, lintPolicyFolder } from '../../devices/lint.js';
import { isDirectory } from '../../devices/lint-folder.js';
import { policyDirectory } from '../../devices/policy-directory.js';
import { registerCommand, type CommandOutcome } from '../program.js';
import { EXIT_POLICY_ERROR } from '../exit-codes.js';
import { UsageError } from '../report-failure.js';

interface LintOptions {
  dangerousSyscalls?: string;
}

registerCommand((program: Command, outcome: CommandOutcome) => {
  program
    .command('lint')
    .description('check a policies folder against the naming rules (docs/devices-cli.md): file names, includes, every device on every arch, unknown and dangerous syscalls, compiling in both layouts')
    .argument('[dir]', 'the policies folder (default: the shipped one, or JAIL_RUN_POLICY_DIR)')
    .addOption(new Option('--dangerous-syscalls <list>', `comma-separated syscalls that need an argument restriction or a comment (default: ${DANGEROUS_SYSCALLS.join(',')})`))
    .action(async (dir: string | undefined, options: LintOptions) => {
      const folder = dir ?? policyDirectory();
      // A mistyped path is a usage error, not a finding about a policies folder.
      if (!isDirectory(folder)) throw new UsageError(`lint wants a policies folder; ${folder} ${existsSync(folder) ? 'is not a folder' : 'does not exist'}`);
      const dangerousSyscalls = options.dangerousSyscalls?.split(',').map((name) => name.trim()).filter((name) => name !== '');
      const report = await lintPolicyFolder(folder, { dangerousSyscalls });
      for (const finding of report.findings) process.stdout.write(`${formatFinding(finding)}\n`);
      process.stderr.write(
        `${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'} in ${report.folder} ` +
          `(${report.loadableFiles} loadable policies, ${report.compilations} compilations)\n`,
      );
      if (report.errors > 0) outcome.exitCode = EXIT_POLICY_ERROR;
    });
});
