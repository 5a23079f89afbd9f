/**
 * Pass: lay the decision graph out as BPF instructions.
 *
 * - Order: reverse post-order of a depth-first walk (true branch first), a
 *   topological order, so every jump goes forward.
 * - Loads: a test node loads its word only when some path reaches it with
 *   another word in the accumulator (after a test the accumulator holds
 *   that test's word). When paths disagree the load is emitted, and the
 *   paths that already hold the word jump past it, straight to the test.
 * - Returns are graph nodes like any other, so each action's RET exists
 *   once.
 * - Jumps: jt/jf are 8 bits. A branch farther than 255 instructions goes
 *   through a JA placed right after the conditional jump (Minijail's four
 *   forms); lengths are recomputed until no branch is too far.
 */
import {
  OP_JA,
  OP_JEQ_K,
  OP_JGE_K,
  OP_JGT_K,
  OP_JSET_K,
  instruction,
  loadAbsolute,
  ret,
  type Instruction,
} from '../../../instruction.js';
import type { DecisionGraph, NodeId, TestOperator } from '../graph.js';

const JUMP_OPCODE: Readonly<Record<TestOperator, number>> = {
  jeq: OP_JEQ_K,
  jgt: OP_JGT_K,
  jge: OP_JGE_K,
  jset: OP_JSET_K,
};

const MAX_SHORT_JUMP = 255;

interface Placement {
  /** Index of the node's first instruction (its load when it has one). */
  entry: number;
  /** Index of the node's jump (tests) or RET (returns). */
  body: number;
}

/** For each test node: does any path reach it without its word in the accumulator? */
export function nodesNeedingLoad(graph: DecisionGraph, order: readonly NodeId[], root: NodeId): Set<NodeId> {
  const needsLoad = new Set<NodeId>([root]);
  for (const id of order) {
    const current = graph.node(id);
    if (current.kind !== 'test') continue;
    for (const successor of [current.whenTrue, current.whenFalse]) {
      const target = graph.node(successor);
      if (target.kind === 'test' && target.word !== current.word) needsLoad.add(successor);
    }
  }
  return needsLoad;
}

/** Pass entry point: the instructions for the graph under root. */
export function emitProgram(graph: DecisionGraph, root: NodeId): Instruction[] {
  const order = graph.topologicalOrder(root);
  const needsLoad = nodesNeedingLoad(graph, order, root);
  /** Extra JA instructions after each test's jump: 0, 1 or 2; only ever grows. */
  const extraJumps = new Map<NodeId, number>();

  for (;;) {
    const placement = new Map<NodeId, Placement>();
    let position = 0;
    for (const id of order) {
      const current = graph.node(id);
      const entry = position;
      if (current.kind === 'test' && needsLoad.has(id)) position++;
      const body = position++;
      if (current.kind === 'test') position += extraJumps.get(id) ?? 0;
      placement.set(id, { entry, body });
    }
    const target = (from: NodeId, to: NodeId): number => {
      const source = graph.node(from);
      const destination = graph.node(to);
      const place = placement.get(to)!;
      // A path that already holds the word skips the load.
      return source.kind === 'test' && destination.kind === 'test' && destination.word === source.word ? place.body : place.entry;
    };

    let grew = false;
    const program: Instruction[] = [];
    for (const id of order) {
      const current = graph.node(id);
      if (current.kind === 'return') {
        program.push(ret(current.value));
        continue;
      }
      if (needsLoad.has(id)) program.push(loadAbsolute(current.word));
      const jumpAt = placement.get(id)!.body;
      const trueTarget = target(id, current.whenTrue);
      const falseTarget = target(id, current.whenFalse);
      const extra = extraJumps.get(id) ?? 0;
      const code = JUMP_OPCODE[current.operator];
      const distanceTrue = trueTarget - (jumpAt + 1);
      const distanceFalse = falseTarget - (jumpAt + 1);
      if (extra === 0) {
        if (distanceTrue <= MAX_SHORT_JUMP && distanceFalse <= MAX_SHORT_JUMP) {
          program.push(instruction(code, current.operand, distanceTrue, distanceFalse));
        } else {
          const needed = distanceTrue + 1 <= MAX_SHORT_JUMP || distanceFalse + 1 <= MAX_SHORT_JUMP ? 1 : 2;
          extraJumps.set(id, needed);
          grew = true;
        }
        continue;
      }
      if (extra === 1) {
        // The JA sits at jumpAt + 1; one branch reaches it with distance 0.
        if (distanceTrue <= MAX_SHORT_JUMP && distanceTrue <= distanceFalse) {
          program.push(instruction(code, current.operand, distanceTrue, 0), instruction(OP_JA, falseTarget - (jumpAt + 2)));
        } else if (distanceFalse <= MAX_SHORT_JUMP) {
          program.push(instruction(code, current.operand, 0, distanceFalse), instruction(OP_JA, trueTarget - (jumpAt + 2)));
        } else if (distanceTrue <= MAX_SHORT_JUMP) {
          program.push(instruction(code, current.operand, distanceTrue, 0), instruction(OP_JA, falseTarget - (jumpAt + 2)));
        } else {
          extraJumps.set(id, 2);
          grew = true;
        }
        continue;
      }
      program.push(
        instruction(code, current.operand, 0, 1),
        instruction(OP_JA, trueTarget - (jumpAt + 2)),
        instruction(OP_JA, falseTarget - (jumpAt + 3)),
      );
    }
    if (!grew) return program;
  }
}
