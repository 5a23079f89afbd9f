import { Option, type Command } from 'commander';
import { compilePolicy } from '../../compile.js';
import { checkSyscall, formatCheckReport } from '../../check/check-syscall.js';
import { addPolicyOptions, compileOptionsFrom, type PolicyOptionValues } from '../policy-options.js';
import { registerCommand } from '../program.js';
import { parseArguments, selectSyscall } from '../syscall-arguments.js';

interface CheckCommandValues extends PolicyOptionValues {
  syscall: string;
  args?: string;
  json?: boolean;
}

registerCommand((program: Command) => {
  addPolicyOptions(
    program
      .command('check')
      .description('say what a policy decides for one system call: the action, the instructions run, and the line that decides')
      .argument('<policy>', 'the policy file'),
  )
    .addOption(new Option('--syscall <name-or-number>', 'the system call, by name or number').makeOptionMandatory())
    .addOption(new Option('--args <a0,a1,...>', 'its arguments: numbers (decimal, 0x...) or constant names, combined with |'))
    .addOption(new Option('--json', 'print one JSON object instead of text'))
    .action((policy: string, values: CheckCommandValues) => {
      const notices: string[] = [];
      const options = compileOptionsFrom(values, (text) => notices.push(text));
      // Usage errors in --syscall/--args come before any policy error.
      const syscall = selectSyscall(values.syscall, options.arch);
      const args = parseArguments(values.args, options.arch);
      for (const notice of notices) process.stderr.write(`jail-run: ${notice}\n`);

      const compiled = compilePolicy(policy, options);
      const report = checkSyscall(compiled, syscall, args, { defaultFromCommandLine: values.defaultAction !== undefined });
      if (values.json === true) {
        const { givenArguments: _given, ...facts } = report;
        process.stdout.write(`${JSON.stringify({ policy, ...facts }, null, 2)}\n`);
      } else {
        process.stdout.write(`${formatCheckReport(report)}\n`);
      }
    });
});
