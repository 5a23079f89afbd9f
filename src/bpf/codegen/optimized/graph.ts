/**
 * The optimized layout's intermediate form: a decision graph whose inner
 * nodes test one 32-bit word of seccomp_data against a constant and whose
 * leaves return an action. Jumps only go forward in BPF, so the graph is
 * acyclic.
 *
 * Nodes are hash-consed: asking for a node that already exists returns the
 * existing one. Equal filter blocks of different syscalls, equal tails of
 * argument filters and every RET of the same value are therefore shared by
 * construction, and a test whose two branches agree disappears.
 */

export type NodeId = number;

/** The conditional jumps seccomp accepts with a constant operand. */
export type TestOperator = 'jeq' | 'jgt' | 'jge' | 'jset';

export interface TestNode {
  readonly kind: 'test';
  readonly id: NodeId;
  /** Byte offset into seccomp_data of the 32-bit word tested. */
  readonly word: number;
  readonly operator: TestOperator;
  /** Unsigned 32-bit constant. */
  readonly operand: number;
  readonly whenTrue: NodeId;
  readonly whenFalse: NodeId;
}

export interface ReturnNode {
  readonly kind: 'return';
  readonly id: NodeId;
  /** SECCOMP_RET_* value. */
  readonly value: number;
}

export type DecisionNode = TestNode | ReturnNode;

export const WORD_MAX = 0xffffffff;

/** The outcome of a test on a known word value. */
export function testHolds(operator: TestOperator, operand: number, word: number): boolean {
  switch (operator) {
    case 'jeq':
      return word >>> 0 === operand >>> 0;
    case 'jgt':
      return word >>> 0 > operand >>> 0;
    case 'jge':
      return word >>> 0 >= operand >>> 0;
    case 'jset':
      return (word & operand) !== 0;
  }
}

export class DecisionGraph {
  private readonly table: DecisionNode[] = [];
  private readonly index = new Map<string, NodeId>();

  get size(): number {
    return this.table.length;
  }

  node(id: NodeId): DecisionNode {
    const found = this.table[id];
    if (found === undefined) throw new RangeError(`no decision node ${id}`);
    return found;
  }

  returnNode(value: number): NodeId {
    const normalized = value >>> 0;
    const key = `r${normalized}`;
    const existing = this.index.get(key);
    if (existing !== undefined) return existing;
    const id = this.table.length;
    this.table.push({ kind: 'return', id, value: normalized });
    this.index.set(key, id);
    return id;
  }

  /**
   * A test node; tests whose outcome does not depend on the word
   * (jge 0, jgt 0xffffffff, jset 0) and tests whose branches agree are
   * folded away.
   */
  testNode(word: number, operator: TestOperator, operand: number, whenTrue: NodeId, whenFalse: NodeId): NodeId {
    const k = operand >>> 0;
    if (whenTrue === whenFalse) return whenTrue;
    if (operator === 'jge' && k === 0) return whenTrue;
    if (operator === 'jgt' && k === WORD_MAX) return whenFalse;
    if (operator === 'jset' && k === 0) return whenFalse;
    this.node(whenTrue);
    this.node(whenFalse);
    const key = `t${word},${operator},${k},${whenTrue},${whenFalse}`;
    const existing = this.index.get(key);
    if (existing !== undefined) return existing;
    const id = this.table.length;
    this.table.push({ kind: 'test', id, word, operator, operand: k, whenTrue, whenFalse });
    this.index.set(key, id);
    return id;
  }

  /** Nodes reachable from root, each once, in an order where every node precedes its successors. */
  topologicalOrder(root: NodeId): NodeId[] {
    const visited = new Set<NodeId>();
    const postOrder: NodeId[] = [];
    // Iterative DFS: argument filters with hundreds of clauses would overflow recursion.
    const stack: { id: NodeId; expanded: boolean }[] = [{ id: root, expanded: false }];
    while (stack.length > 0) {
      const top = stack.pop()!;
      if (top.expanded) {
        postOrder.push(top.id);
        continue;
      }
      if (visited.has(top.id)) continue;
      visited.add(top.id);
      stack.push({ id: top.id, expanded: true });
      const current = this.node(top.id);
      if (current.kind === 'test') {
        // Pushed false first so the true branch is explored first.
        if (!visited.has(current.whenFalse)) stack.push({ id: current.whenFalse, expanded: false });
        if (!visited.has(current.whenTrue)) stack.push({ id: current.whenTrue, expanded: false });
      }
    }
    return postOrder.reverse();
  }
}

/** Runs the graph on a word reader; used by tests and by passes that check their own output. */
export function runGraph(graph: DecisionGraph, root: NodeId, readWord: (offset: number) => number): { value: number; testsExecuted: number } {
  let current = graph.node(root);
  let testsExecuted = 0;
  while (current.kind === 'test') {
    testsExecuted++;
    current = graph.node(testHolds(current.operator, current.operand, readWord(current.word)) ? current.whenTrue : current.whenFalse);
  }
  return { value: current.value, testsExecuted };
}
