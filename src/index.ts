/**
 * jail-run's library API: the same capabilities as the CLI, as typed
 * functions. The CLI is a thin layer over these; nothing here depends on it.
 */

// Compiling policies.
export { compilePolicy, compilePolicyText, generateProgram, type CompileOptions, type CompiledPolicy, type CodeLayout } from './compile.js';

// The policy language.
export {
  parsePolicyFile,
  parsePolicyText,
  parsePolicySyntax,
  PolicyError,
  PolicyFileError,
  DEFAULT_INCLUDE_DEPTH_LIMIT,
  type ParseOptions,
  type PolicyIR,
  type SyscallRule,
  type Filter,
  type Action,
  type Atom,
  type PolicyStatement,
} from './policy/index.js';
export { evaluatePolicy, type Evaluation, type DecidedBy, type EvaluateOptions } from './policy/evaluate.js';

// Arch tables.
export { getShippedArch, resolveArch, hostArch, syscallName, loadArchJson, UnknownArchError } from './arch/index.js';
export { ArchFileError } from './arch/arch-json.js';
export type { ArchTable } from './arch/types.js';

// BPF programs: encode/decode, disassembly, simulation, verification, the kernel's action cache.
export {
  encodeProgram,
  decodeProgram,
  renderCHeader,
  generateMinijailProgram,
  generateOptimizedProgram,
  disassemble,
  simulate,
  makeSeccompData,
  verifyProgram,
  findProgramProblems,
  cachedSyscalls,
  ProgramTooLongError,
  DispatchTooLargeError,
  InvalidProgramError,
  BpfDecodeError,
  type Instruction,
  type SeccompData,
  type SimulationResult,
} from './bpf/index.js';

// Devices: the catalog read from the policies folder, linting, explanation, the compile cache.
export { listDevices, resolveDevicePolicy, DeviceCatalogError, type DeviceEntry } from './devices/catalog.js';
export { devicePolicyFor, type DeviceSelection, type DevicePolicy } from './devices/device-policy.js';
export { lintPolicyFolder, type LintFinding, type LintReport } from './devices/lint.js';
export { explainPolicyFile, explainDevice } from './devices/explain-policy.js';
export type { Explanation } from './devices/explain.js';
export { catalogArches, type CatalogOptions } from './devices/catalog.js';
export { policyDirectory } from './devices/policy-directory.js';
export { formatFinding, DANGEROUS_SYSCALLS } from './devices/lint.js';
export { formatExplanation } from './devices/explain-format.js';
export { compileWithCache, generateProgramWithCache, compileCacheDirectory } from './devices/compile-cache.js';
export { TRANSPORTS, type Transport } from './devices/naming.js';
export { spawnDevice, type SpawnDeviceOptions } from './devices/spawn-device.js';

// What a policy does with one syscall, and which line decides it (`jail-run check`).
export { checkSyscall, formatCheckReport, InternalMismatchError, type CheckReport, type SelectedSyscall } from './check/check-syscall.js';

// Launching: run a program under its policy (two stages, denial reports).
export * from './launch/index.js';
