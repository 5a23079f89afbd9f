/**
 * An argument comparison (`argN OP value`) as tests on 32-bit words.
 *
 * Every comparison is first reduced to one of three shapes, then each shape
 * to as few word tests as its constant allows:
 *   `== v`, `>= v` (with `>`, `<`, `<=` and `!=` as `>=`/`==` on v or v+1
 *   with the branches swapped), and `& m` (`in v` is "not & ~v").
 * On 64-bit arches a test of the high word is skipped whenever the constant
 * makes it pointless: `& m` with a zero high half, `>= v` with a zero low
 * half (only the high word matters), and so on. The high word is never
 * loaded twice: the accumulator tracking in the emitter sees to that.
 */
import { argHighOffset, argLowOffset } from '../../instruction.js';
import type { Atom } from '../../../policy/ir.js';
import type { DecisionGraph, NodeId } from './graph.js';

const WORD = 0xffffffffn;

const low = (value: bigint): number => Number(value & WORD);
const high = (value: bigint): number => Number((value >> 32n) & WORD);

/** The node that decides `atom` and continues at whenTrue / whenFalse. */
export function lowerAtom(graph: DecisionGraph, atom: Atom, bits: 32 | 64, whenTrue: NodeId, whenFalse: NodeId): NodeId {
  const max = bits === 64 ? (1n << 64n) - 1n : WORD;
  const value = BigInt.asUintN(bits, atom.value);
  const index = atom.argument;
  switch (atom.operator) {
    case '==':
      return equals(graph, index, value, bits, whenTrue, whenFalse);
    case '!=':
      return equals(graph, index, value, bits, whenFalse, whenTrue);
    case '>=':
      return atLeast(graph, index, value, bits, whenTrue, whenFalse);
    case '<':
      return atLeast(graph, index, value, bits, whenFalse, whenTrue);
    case '>':
      return value === max ? whenFalse : atLeast(graph, index, value + 1n, bits, whenTrue, whenFalse);
    case '<=':
      return value === max ? whenTrue : atLeast(graph, index, value + 1n, bits, whenFalse, whenTrue);
    case '&':
      return anyBitSet(graph, index, value, bits, whenTrue, whenFalse);
    case 'in':
      return anyBitSet(graph, index, ~value & max, bits, whenFalse, whenTrue);
  }
}

/** argument == value. */
export function equals(graph: DecisionGraph, index: number, value: bigint, bits: 32 | 64, whenTrue: NodeId, whenFalse: NodeId): NodeId {
  // The low word first: it is the one that tells most values apart, so a
  // mismatch usually costs one test, and consecutive equalities on the same
  // argument keep the low word in the accumulator.
  if (bits === 32) return graph.testNode(argLowOffset(index), 'jeq', low(value), whenTrue, whenFalse);
  const highTest = graph.testNode(argHighOffset(index), 'jeq', high(value), whenTrue, whenFalse);
  return graph.testNode(argLowOffset(index), 'jeq', low(value), highTest, whenFalse);
}

/** argument >= value (unsigned). */
export function atLeast(graph: DecisionGraph, index: number, value: bigint, bits: 32 | 64, whenTrue: NodeId, whenFalse: NodeId): NodeId {
  if (value === 0n) return whenTrue;
  if (bits === 32) return graph.testNode(argLowOffset(index), 'jge', low(value), whenTrue, whenFalse);
  const valueHigh = high(value);
  const valueLow = low(value);
  const highWord = argHighOffset(index);
  // A zero low half: the high word alone decides.
  if (valueLow === 0) return graph.testNode(highWord, 'jge', valueHigh, whenTrue, whenFalse);
  const lowTest = graph.testNode(argLowOffset(index), 'jge', valueLow, whenTrue, whenFalse);
  if (valueHigh === 0) return graph.testNode(highWord, 'jgt', 0, whenTrue, lowTest);
  // hi > vhi: true; hi == vhi: the low word decides; hi < vhi: false.
  return graph.testNode(highWord, 'jgt', valueHigh, whenTrue, graph.testNode(highWord, 'jeq', valueHigh, lowTest, whenFalse));
}

/** (argument & mask) != 0. */
export function anyBitSet(graph: DecisionGraph, index: number, mask: bigint, bits: 32 | 64, whenTrue: NodeId, whenFalse: NodeId): NodeId {
  const lowTest = graph.testNode(argLowOffset(index), 'jset', low(mask), whenTrue, whenFalse);
  if (bits === 32) return lowTest;
  return graph.testNode(argHighOffset(index), 'jset', high(mask), whenTrue, lowTest);
}
