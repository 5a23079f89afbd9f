/**
 * A canonical text of everything in a PolicyIR that code generation reads,
 * so its sha256 can key a cache of generated programs. Source locations and
 * the file name are left out (they never change a program); object identity
 * of actions is kept, because the Minijail layout emits one RET per distinct
 * Action object (ir.ts), so two IRs that differ only in action sharing can
 * differ in bytes.
 */
import type { Action, PolicyIR } from '../policy/ir.js';

export function irFingerprintText(ir: PolicyIR): string {
  const actionIds = new Map<Action, number>();
  const action = (value: Action): [number, string, number] => {
    let id = actionIds.get(value);
    if (id === undefined) {
      id = actionIds.size;
      actionIds.set(value, id);
    }
    return [id, value.kind, value.value];
  };
  return JSON.stringify({
    arch: [ir.arch.name, ir.arch.auditArch, ir.arch.bits],
    denylist: ir.denylist,
    defaultAction: action(ir.defaultAction),
    killAction: action(ir.killAction),
    rules: ir.rules.map((rule) => [
      rule.name,
      rule.number,
      rule.frequency,
      rule.plainlyAllowed,
      rule.filters.map((filter) => [
        filter.expression === null ? null : filter.expression.map((clause) => clause.map((atom) => [atom.argument, atom.operator, atom.value.toString()])),
        action(filter.action),
      ]),
    ]),
  });
}
