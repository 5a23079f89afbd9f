/** fast-check arbitraries for whole policies (PolicyIR), shaped as the parser makes them. */
import fc from 'fast-check';
import { getShippedArch } from '../../src/arch/index.js';
import type { ArchTable } from '../../src/arch/types.js';
import type { Action, ActionKind, Atom, Filter, Operator, PolicyIR } from '../../src/policy/ir.js';
import { action, atom, filter, PolicyBuilder } from '../bpf/policy-builder.js';

const OPERATORS: Operator[] = ['==', '!=', '<', '<=', '>', '>=', '&', 'in'];
const ANY_ACTION: ActionKind[] = ['allow', 'kill-process', 'kill-thread', 'trap', 'trace', 'log', 'user-notify', 'errno'];

/** Syscall names drawn from: a dense run of low numbers (ranges merge), scattered ones, and arm's aliased pair. */
function namePool(arch: ArchTable): string[] {
  const byNumber = [...arch.syscalls.entries()].sort((a, b) => a[1] - b[1]);
  const dense = byNumber.slice(0, 24).map(([name]) => name);
  const scattered = byNumber.filter((_, index) => index % 17 === 5).map(([name]) => name);
  const aliases = ['arm_sync_file_range', 'sync_file_range2'].filter((name) => arch.syscalls.has(name));
  return [...new Set([...dense, ...scattered, ...aliases])];
}

const valueArbitrary = (bits: 32 | 64): fc.Arbitrary<bigint> => {
  const small = fc.bigInt({ min: 0n, max: 9n });
  const pool = fc.constantFrom(0x10n, 0x40n, 0x5401n, 0xc018aa3fn, 0xfffffffen, 0xffffffffn, 0x80000000n, 4n, 2n);
  const wide = bits === 64 ? fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) : fc.bigInt({ min: 0n, max: 0xffffffffn });
  const highSet = bits === 64 ? fc.constantFrom(0xffff_ffff_ffff_ffffn, 0xffff_ffff_8800_0000n, 0x1_0000_0000n, 0x1_0000_0004n, 0xffff_ffff_0000_0000n) : small;
  return fc.oneof({ arbitrary: small, weight: 4 }, { arbitrary: pool, weight: 3 }, { arbitrary: wide, weight: 2 }, { arbitrary: highSet, weight: 2 });
};

const atomArbitrary = (bits: 32 | 64): fc.Arbitrary<Atom> =>
  fc
    .record({
      argument: fc.oneof({ arbitrary: fc.constantFrom(0, 1), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 1 }),
      operator: fc.oneof({ arbitrary: fc.constant<Operator>('=='), weight: 4 }, { arbitrary: fc.constantFrom(...OPERATORS), weight: 4 }),
      value: valueArbitrary(bits),
    })
    .map(({ argument, operator, value }) => atom(argument, operator, BigInt.asUintN(bits, value)));

const actionArbitrary = (kinds: readonly ActionKind[]): fc.Arbitrary<Action> =>
  fc.record({ kind: fc.constantFrom(...kinds), errno: fc.integer({ min: 0, max: 0xffff }) }).map(({ kind, errno }) => action(kind, errno));

export interface RandomPolicy {
  readonly ir: PolicyIR;
  readonly description: string;
}

export function policyArbitrary(): fc.Arbitrary<RandomPolicy> {
  return fc
    .record({ archName: fc.constantFrom('x86_64', 'aarch64', 'arm') as fc.Arbitrary<'x86_64' | 'aarch64' | 'arm'>, denylist: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }) })
    .chain(({ archName, denylist }) => {
      const arch = getShippedArch(archName);
      const names = namePool(arch);
      // Denylist policies may only use `return` (and expressions without an action, which mean allow).
      const filterActions: ActionKind[] = denylist ? ['errno', 'errno', 'errno', 'allow'] : ANY_ACTION;
      const defaultKinds: ActionKind[] = denylist ? ['allow', 'allow', 'kill-process', 'trap'] : ANY_ACTION;
      const killKinds: ActionKind[] = denylist ? ['errno', 'log'] : ['kill-thread', 'kill-process', 'log'];
      const ruleArbitrary = fc.record({
        name: fc.constantFrom(...names),
        conditional: fc.array(
          fc.record({
            clauses: fc.array(fc.array(atomArbitrary(arch.bits), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }),
            action: actionArbitrary(filterActions),
          }),
          { maxLength: 4 },
        ),
        final: fc.option(actionArbitrary(denylist ? ['errno'] : ANY_ACTION), { nil: undefined }),
        frequency: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 2000 })),
      });
      return fc.record({
        arch: fc.constant(arch),
        denylist: fc.constant(denylist),
        defaultAction: actionArbitrary(defaultKinds),
        killAction: actionArbitrary(killKinds),
        rules: fc.uniqueArray(ruleArbitrary, { selector: (rule) => rule.name, maxLength: 30 }),
      });
    })
    .map(({ arch, denylist, defaultAction, killAction, rules }) => {
      const builder = new PolicyBuilder(arch, { denylist, defaultAction, killAction });
      for (const rule of rules) {
        const filters: Filter[] = rule.conditional.map((entry) => filter(entry.clauses, entry.action));
        if (rule.final !== undefined) filters.push(filter(null, rule.final));
        if (filters.length === 0) filters.push(filter(null, denylist ? action('errno', 1) : action('allow')));
        builder.add(rule.name, filters, { frequency: rule.frequency });
      }
      const ir = builder.build();
      const description = `${arch.name}${denylist ? ' denylist' : ''} default=${defaultAction.kind} rules=${rules.map((rule) => rule.name).join(',')}`;
      return { ir, description };
    });
}
