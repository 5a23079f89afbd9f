/**
 * The BPF layer's public surface: the instruction model, the two code
 * layouts, and the tools that work on any program (encode/decode, C header,
 * disassembly, simulation, the kernel's load-time checks and its action
 * cache).
 */
export * from './instruction.js';
export { encodeProgram, InstructionEncodingError, INSTRUCTION_SIZE } from './encode.js';
export { decodeProgram, BpfDecodeError } from './decode.js';
export { renderCHeader, CHeaderNameError } from './c-header.js';
export { disassemble, disassembleInstructions, seccompDataFieldName, type DisassembledInstruction, type DisassemblyOptions } from './disassemble.js';
export { describePolicyAction, describeReturnValue, errnoName, errnoNamesFromArch, seccompActionName } from './seccomp-action.js';
export { makeSeccompData, readSeccompDataWord, SECCOMP_DATA_ARGUMENT_COUNT, type SeccompData } from './seccomp-data.js';
export { simulate, SimulationError, type SimulationFailure, type SimulationResult } from './simulate.js';
export { findProgramProblems, verifyProgram, InvalidProgramError, type VerificationProblem, type VerificationRule } from './verify.js';
export { cachedSyscalls, isConstantAllow, CACHED_ARCHES_BY_KERNEL, type CacheOptions } from './kernel-cache.js';
export { checkProgramLength, ProgramTooLongError } from './program-length.js';
export * from './audit-arch.js';
export { generateMinijailProgram, type DispatchStrategy, type MinijailLayoutOptions } from './codegen/minijail/index.js';
export { generateOptimizedProgram, buildOptimizedGraph, type OptimizedLayoutOptions } from './codegen/optimized/index.js';
export { DispatchTooLargeError, MINIJAIL_BST_RANGE_LIMIT } from './codegen/minijail/dispatch-too-large.js';
