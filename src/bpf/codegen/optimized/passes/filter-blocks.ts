/**
 * Pass: one syscall's argument filters as a decision graph.
 *
 * The filters are tried in order and the first expression that holds
 * decides, so the whole list is a sequence of guarded clauses
 * (clause → action) ending in the unconditional action. It is built back to
 * front: each clause's atoms lead on to the clause's action when they all
 * hold, and to the rest of the sequence as soon as one fails.
 *
 * A run of consecutive clauses that are each one `argN == value` on the same
 * argument (ioctl request lists, madvise advice lists) is a switch: the
 * values are mutually exclusive, so the run is compiled as a search tree over
 * the argument's low word (one per distinct high word), instead of a chain
 * of equality tests. Where a value appears twice, the first clause wins, as
 * in the sequence.
 */
import { SECCOMP_RET_ALLOW, argHighOffset, argLowOffset } from '../../../instruction.js';
import type { Atom, Clause, SyscallRule } from '../../../../policy/ir.js';
import type { DecisionGraph, NodeId } from '../graph.js';
import { equals, lowerAtom } from '../lower-atom.js';
import { buildRangeTree, type RangeCase } from './range-tree.js';

export interface GuardedClause {
  readonly clause: Clause;
  /** SECCOMP_RET_* value when the clause holds. */
  readonly action: number;
}

/** The rule's filters as guarded clauses plus the action when none holds. */
export function guardedClauses(rule: SyscallRule): { clauses: GuardedClause[]; otherwise: number } {
  const clauses: GuardedClause[] = [];
  for (const filter of rule.filters) {
    if (filter.expression === null) return { clauses, otherwise: filter.action.value >>> 0 };
    for (const clause of filter.expression) clauses.push({ clause, action: filter.action.value >>> 0 });
  }
  // The IR guarantees a final unconditional filter; without one nothing else could decide.
  throw new Error(`syscall ${rule.name} has no unconditional final filter`);
}

const singleEquality = (guarded: GuardedClause): Atom | undefined =>
  guarded.clause.length === 1 && guarded.clause[0].operator === '==' ? guarded.clause[0] : undefined;

/** A run of single-equality clauses on one argument as a search tree over its value. */
export function buildSwitch(
  graph: DecisionGraph,
  argument: number,
  entries: readonly { value: bigint; action: number }[],
  bits: 32 | 64,
  otherwise: NodeId,
): NodeId {
  // First occurrence of a value wins, as it would in the sequence.
  const byValue = new Map<bigint, number>();
  for (const entry of entries) {
    const value = BigInt.asUintN(bits, entry.value);
    if (!byValue.has(value)) byValue.set(value, entry.action);
  }
  const byHighWord = new Map<number, RangeCase[]>();
  for (const [value, action] of byValue) {
    const highWord = Number(value >> 32n);
    const lowWord = Number(value & 0xffffffffn);
    let cases = byHighWord.get(highWord);
    if (cases === undefined) byHighWord.set(highWord, (cases = []));
    cases.push({ start: lowWord, end: lowWord, outcome: graph.returnNode(action), weight: 1 });
  }
  const highCases: RangeCase[] = [];
  for (const [highWord, cases] of byHighWord) {
    const lowTree = buildRangeTree(graph, { word: argLowOffset(argument), cases, background: otherwise });
    highCases.push({ start: highWord, end: highWord, outcome: lowTree, weight: cases.length });
  }
  if (bits === 32) return highCases[0]?.outcome ?? otherwise;
  return buildRangeTree(graph, { word: argHighOffset(argument), cases: highCases, background: otherwise });
}

/** Pass entry point: the node deciding a syscall once its number is known. */
export function buildFilterBlock(graph: DecisionGraph, rule: SyscallRule, bits: 32 | 64, denylist: boolean): NodeId {
  if (rule.plainlyAllowed && !denylist) return graph.returnNode(SECCOMP_RET_ALLOW);
  const { clauses, otherwise } = guardedClauses(rule);
  let rest = graph.returnNode(otherwise);
  let index = clauses.length - 1;
  while (index >= 0) {
    const atom = singleEquality(clauses[index]);
    let runStart = index;
    if (atom !== undefined) {
      while (runStart > 0) {
        const previous = singleEquality(clauses[runStart - 1]);
        if (previous === undefined || previous.argument !== atom.argument) break;
        runStart--;
      }
    }
    if (atom !== undefined && runStart < index) {
      const entries = clauses
        .slice(runStart, index + 1)
        .map((guarded) => ({ value: guarded.clause[0].value, action: guarded.action }));
      rest = buildSwitch(graph, atom.argument, entries, bits, rest);
    } else if (atom !== undefined) {
      rest = equals(graph, atom.argument, BigInt.asUintN(bits, atom.value), bits, graph.returnNode(clauses[index].action), rest);
    } else {
      const { clause, action } = clauses[index];
      let whenAllHold = graph.returnNode(action);
      for (let atomIndex = clause.length - 1; atomIndex >= 0; atomIndex--) {
        whenAllHold = lowerAtom(graph, clause[atomIndex], bits, whenAllHold, rest);
      }
      rest = whenAllHold;
    }
    index = runStart - 1;
  }
  return rest;
}
