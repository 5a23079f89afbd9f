/**
 * Whole-program assembly for the Minijail layout (policy-language.md §7.2,
 * §7.5): arch check, syscall-number dispatch, accept and reject returns,
 * then the filter blocks, laid out back to front in the reference's order.
 */
import type { PolicyIR } from '../../../policy/ir.js';
import { instruction, loadAbsolute, OP_JEQ_K, ret, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, SECCOMP_RET_ALLOW, type Instruction } from '../../instruction.js';
import { resolveAliasedNumbers } from './aliased-numbers.js';
import { compileFilterBlock } from './filter-block.js';
import { BackToFrontLayout } from './flatten.js';
import { linearChain } from './linear-chain.js';
import { blockNode, returnNode, type CodeNode } from './nodes.js';
import { toRanges, type DispatchEntry } from './ranges.js';
import { searchTree } from './search-tree.js';

export type DispatchStrategy = 'bst' | 'linear';

export interface MinijailLayoutOptions {
  readonly strategy: DispatchStrategy;
}

/** The syscall entries of the dispatch, each with its own filter block (or none when plainly allowed). */
export function dispatchEntries(ir: PolicyIR): DispatchEntry[] {
  return ir.rules.map((rule) => ({
    name: rule.name,
    number: rule.number,
    frequency: rule.frequency,
    block: rule.plainlyAllowed ? null : blockNode(compileFilterBlock(rule.filters, ir.arch.bits)),
  }));
}

export function assembleMinijailProgram(ir: PolicyIR, options: MinijailLayoutOptions): Instruction[] {
  // Denylist mode turns the roles around: listed syscalls are the exceptions.
  const accept = returnNode(ir.denylist ? ir.killAction.value : SECCOMP_RET_ALLOW);
  const reject = returnNode(ir.denylist ? SECCOMP_RET_ALLOW : ir.defaultAction.value);
  const layout = new BackToFrontLayout();
  const entries = dispatchEntries(ir);

  let root: CodeNode;
  if (entries.length === 0) {
    layout.emit(reject);
    root = reject;
  } else {
    root =
      options.strategy === 'bst'
        ? searchTree(toRanges(resolveAliasedNumbers(entries)), accept, reject)
        : linearChain(toRanges(entries), accept, reject);
    // Filter blocks first, in the dispatch's post-order: the first one reached ends up last.
    layout.emitPostOrder(root, (node) => node.kind === 'block');
    layout.emit(reject);
    layout.emit(accept);
    layout.emitPostOrder(root);
  }

  // The arch check: a match hops over the kill return onto `LD nr`, which falls into the dispatch root.
  layout.prepend([
    loadAbsolute(SECCOMP_DATA_ARCH),
    instruction(OP_JEQ_K, ir.arch.auditArch, layout.distanceTo(root) + 1, 0),
    ret(ir.killAction.value),
    loadAbsolute(SECCOMP_DATA_NR),
  ]);
  return layout.instructions();
}

