/**
 * A syscall's own filter block (policy-language.md §7.4 a): its filter list
 * as a decision graph, lowered to 32-bit tests and flattened on its own.
 */
import type { Action, Filter } from '../../../policy/ir.js';
import type { Instruction } from '../../instruction.js';
import { flattenGraph } from './flatten.js';
import { lowerAtom } from './lower-atom.js';
import { returnNode, type CodeNode, type ReturnNode } from './nodes.js';

/**
 * Builds the graph back to front: the final action first, then the filters
 * before it from last to first. Within a filter every clause and every atom
 * is wrapped around what was built so far, which is why the reference tests
 * the last clause, and within a clause the last atom, first.
 */
export function filterGraph(filters: readonly Filter[], bits: 32 | 64): CodeNode {
  if (filters.length === 0) throw new Error('internal error: a syscall rule without filters');
  // One RET per action object: the reference shares returns by identity, not by value.
  const returns = new Map<Action, ReturnNode>();
  const returnFor = (action: Action): ReturnNode => {
    let node = returns.get(action);
    if (!node) {
      node = returnNode(action.value);
      returns.set(action, node);
    }
    return node;
  };

  let whenFalse: CodeNode = returnFor(filters[filters.length - 1].action);
  for (const filter of filters.slice(0, -1).reverse()) {
    if (filter.expression === null) throw new Error('internal error: an unconditional filter before the last one');
    for (const clause of filter.expression) {
      let whenTrue: CodeNode = returnFor(filter.action);
      for (const atom of clause) whenTrue = lowerAtom(atom, whenTrue, whenFalse, bits);
      whenFalse = whenTrue;
    }
  }
  return whenFalse;
}

export function compileFilterBlock(filters: readonly Filter[], bits: 32 | 64): Instruction[] {
  return flattenGraph(filterGraph(filters, bits));
}
