import { Option, type Command } from 'commander';
import { hostArch, resolveArch } from '../../arch/index.js';
import { DeviceCatalogError } from '../../devices/catalog.js';
import { explainDevice, explainPolicyFile } from '../../devices/explain-policy.js';
import { formatExplanation } from '../../devices/explain-format.js';
import type { Explanation } from '../../devices/explain.js';
import { registerCommand } from '../program.js';
import { UsageError } from '../report-failure.js';

interface ExplainCommandOptions {
  device?: string;
  transport?: string;
  arch?: string;
  policyDir?: string;
  defaultAction?: string;
  layout?: 'optimized' | 'minijail';
  json?: boolean;
}

registerCommand((program: Command) => {
  program
    .command('explain')
    .description('show a composed policy: each syscall with its rules and the file:line of each, the default action and where it comes from, and which syscalls the kernel caches')
    .argument('[policy]', 'a policy file (or use --device)')
    .addOption(new Option('--device <name>', 'a device from the policies folder (see `jail-run devices`)'))
    .addOption(new Option('--transport <transport>', 'with --device: virtio (default), vhost-user or vvu'))
    .addOption(new Option('--arch <arch>', "x86_64, aarch64 or arm (default: this machine's)"))
    .addOption(new Option('--policy-dir <dir>', 'with --device: a policies folder other than the shipped one (also JAIL_RUN_POLICY_DIR)'))
    .addOption(new Option('--default-action <action>', 'action for syscalls the policy does not list, e.g. trap, kill-process, "return 1"'))
    .addOption(new Option('--layout <layout>', 'the code layout whose kernel caching is shown').choices(['optimized', 'minijail']).default('optimized'))
    .addOption(new Option('--json', 'the explanation as JSON'))
    .action((policy: string | undefined, options: ExplainCommandOptions) => {
      if ((policy === undefined) === (options.device === undefined)) throw new UsageError('explain wants a policy file or --device NAME (one of them)');
      if (policy !== undefined && (options.transport !== undefined || options.policyDir !== undefined)) {
        throw new UsageError('--transport and --policy-dir go with --device, not with a policy file');
      }
      const compileOptions = { layout: options.layout, ...(options.defaultAction === undefined ? {} : { defaultAction: options.defaultAction }) };
      let explanation: Explanation;
      let heading: string | undefined;
      if (options.device !== undefined) {
        try {
          const explained = explainDevice({ device: options.device, transport: options.transport, arch: options.arch, policyDir: options.policyDir }, compileOptions);
          explanation = explained.explanation;
          heading = `${explained.device.device}, ${explained.device.transport}, ${explained.device.arch}`;
        } catch (error) {
          if (error instanceof DeviceCatalogError) throw new UsageError(error.message);
          throw error;
        }
      } else {
        let arch;
        try {
          arch = resolveArch(options.arch ?? hostArch());
        } catch (error) {
          throw new UsageError((error as Error).message);
        }
        explanation = explainPolicyFile(policy as string, { ...compileOptions, arch });
      }
      process.stdout.write(options.json === true ? `${JSON.stringify(explanation, null, 2)}\n` : formatExplanation(explanation, heading === undefined ? {} : { device: heading }));
    });
});
