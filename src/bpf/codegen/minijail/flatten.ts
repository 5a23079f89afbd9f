/**
 * Back-to-front code layout (policy-language.md §7.5). Each emitted node's
 * instructions go in front of everything emitted so far, so a node's jump
 * distances are simply how far its already-emitted targets are from the
 * current front. Nodes are emitted at most once, by identity.
 */
import { loadAbsolute, ret, type Instruction } from '../../instruction.js';
import { encodeConditionalJump } from './jump-encoding.js';
import { visitPostOrder, type CodeNode } from './nodes.js';

export class BackToFrontLayout {
  /** The program so far, last instruction first (prepending is then a push). */
  private readonly reversed: Instruction[] = [];
  /** Program length right after each node was emitted: its first instruction's distance from the end. */
  private readonly lengthAfter = new Map<CodeNode, number>();

  get length(): number {
    return this.reversed.length;
  }

  isEmitted(node: CodeNode): boolean {
    return this.lengthAfter.has(node);
  }

  /** Instructions between the current front and `node`'s first instruction. */
  distanceTo(node: CodeNode): number {
    const after = this.lengthAfter.get(node);
    if (after === undefined) throw new Error(`internal error: jump to a ${node.kind} node that has not been laid out`);
    return this.reversed.length - after;
  }

  /** Puts instructions in front of the program. */
  prepend(instructions: readonly Instruction[]): void {
    for (let index = instructions.length - 1; index >= 0; index--) this.reversed.push(instructions[index]);
  }

  /** Lays out one node in front, unless it already is; its targets must already be laid out. */
  emit(node: CodeNode): void {
    if (this.isEmitted(node)) return;
    switch (node.kind) {
      case 'return':
        this.prepend([ret(node.value)]);
        break;
      case 'block':
        this.prepend(node.instructions);
        break;
      case 'test': {
        const jump = encodeConditionalJump(node.operation, node.value, this.distanceTo(node.whenTrue), this.distanceTo(node.whenFalse));
        this.prepend(node.load === null ? jump : [loadAbsolute(node.load), ...jump]);
        break;
      }
    }
    this.lengthAfter.set(node, this.reversed.length);
  }

  /** Emits every node reachable from `root` (or those `select` picks) in post-order, true branch first. */
  emitPostOrder(root: CodeNode, select: (node: CodeNode) => boolean = () => true): void {
    visitPostOrder(root, (node) => {
      if (select(node)) this.emit(node);
    });
  }

  instructions(): Instruction[] {
    return [...this.reversed].reverse();
  }
}

/** A self-contained instruction sequence for the graph under `root`. */
export function flattenGraph(root: CodeNode): Instruction[] {
  const layout = new BackToFrontLayout();
  layout.emitPostOrder(root);
  return layout.instructions();
}
