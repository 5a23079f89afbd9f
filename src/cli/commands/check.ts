import { Option, type Command } from 'commander';
import { isConstantAllow, makeSeccompData, simulate } from '../../bpf/index.js';
import { compilePolicy } from '../../compile.js';
import { evaluatePolicy } from '../../policy/evaluate.js';
import { describeAction, describeDecision, fromSource, sourceLineAt } from '../describe-decision.js';
import { addPolicyOptions, compileOptionsFrom, type PolicyOptionValues } from '../policy-options.js';
import { registerCommand } from '../program.js';
import { parseArguments, selectSyscall } from '../syscall-arguments.js';

interface CheckCommandValues extends PolicyOptionValues {
  syscall: string;
  args?: string;
  json?: boolean;
}

/** The compiled filter and the policy's own meaning disagree: a compiler bug, never the user's fault. */
class InternalMismatchError extends Error {
  constructor(message: string) {
    super(`internal error: ${message}; this is a bug in jail-run, please report it with the policy`);
    this.name = 'InternalMismatchError';
  }
}

const hex = (value: bigint | number): string => `0x${value.toString(16)}`;

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
      const arch = options.arch;
      const syscall = selectSyscall(values.syscall, arch);
      const args = parseArguments(values.args, arch);
      for (const notice of notices) process.stderr.write(`jail-run: ${notice}\n`);

      const compiled = compilePolicy(policy, options);
      const data = makeSeccompData(syscall.number, compiled.arch.auditArch, args);
      const simulated = simulate(compiled.program, data);
      const evaluation = evaluatePolicy(compiled.ir, data, { layout: compiled.layout });
      if (simulated.action >>> 0 !== evaluation.action >>> 0) {
        throw new InternalMismatchError(
          `for syscall ${syscall.number} the compiled filter returns ${describeAction(simulated.action, compiled.arch)} ` +
            `but the policy says ${describeAction(evaluation.action, compiled.arch)}`,
        );
      }
      const kernelCached = isConstantAllow(compiled.program, syscall.number, compiled.arch.auditArch);
      const action = describeAction(simulated.action, compiled.arch);
      const decision = describeDecision(evaluation, { defaultFromCommandLine: values.defaultAction !== undefined });
      const label = `${syscall.name ?? `syscall ${hex(syscall.number)}`}(${data.args.slice(0, args.length).map(hex).join(', ')})`;

      if (values.json === true) {
        const report = {
          policy,
          arch: compiled.arch.name,
          layout: compiled.layout,
          syscall: { name: syscall.name ?? null, number: syscall.number },
          args: data.args.map(hex),
          action: { text: action, value: hex(simulated.action >>> 0) },
          instructionsExecuted: simulated.instructionsExecuted,
          kernelCached,
          decidedBy: { kind: evaluation.decidedBy.kind, text: decision, location: fromSource(evaluation.location) },
        };
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        return;
      }
      const source = sourceLineAt(evaluation.location);
      const lines = [
        `${label}: ${action}`,
        `  instructions executed: ${simulated.instructionsExecuted} (${compiled.layout} layout, ${compiled.program.length} in the program, ${compiled.arch.name})`,
        `  kernel cache: ${kernelCached ? 'cached: the kernel allows it without running the filter' : 'not cached: the filter runs on every call'}`,
        `  decided by: ${decision}`,
        ...(source === undefined ? [] : [`      ${source.trim()}`]),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
});
