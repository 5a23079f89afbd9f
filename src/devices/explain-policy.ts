/**
 * Compile-and-explain for a policy file or a catalog device: the library
 * functions behind `jail-run explain`.
 */
import { resolve } from 'node:path';
import { compilePolicy, type CompileOptions } from '../compile.js';
import { readInputText } from '../util/read-input-file.js';
import { devicePolicyFor, type DevicePolicy, type DeviceSelection } from './device-policy.js';
import { explainCompiledPolicy, type Explanation } from './explain.js';

export type ExplainOptions = Omit<CompileOptions, 'readFile'>;

export function explainPolicyFile(file: string, options: ExplainOptions = {}): Explanation {
  const read: string[] = [];
  const readFile = (path: string): string => {
    const text = readInputText(path);
    if (!read.includes(resolve(path))) read.push(resolve(path));
    return text;
  };
  const compiled = compilePolicy(file, { ...options, readFile });
  const top = resolve(file);
  return explainCompiledPolicy({
    file,
    ir: compiled.ir,
    program: compiled.program,
    layout: compiled.layout,
    files: [top, ...read.filter((path) => path !== top)],
    defaultFromCommandLine: options.defaultAction !== undefined,
  });
}

export function explainDevice(selection: DeviceSelection, options: Omit<ExplainOptions, 'arch'> = {}): { device: DevicePolicy; explanation: Explanation } {
  const device = devicePolicyFor(selection);
  return { device, explanation: explainPolicyFile(device.path, { ...options, arch: device.arch }) };
}
