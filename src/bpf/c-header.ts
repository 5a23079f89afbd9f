import { encodeProgram } from './encode.js';
import type { Instruction } from './instruction.js';

/** The header's variables are named after the output, so it must be a C identifier. */
export class CHeaderNameError extends Error {
  constructor(readonly headerName: string) {
    super(`"${headerName}" cannot name a C header's variables: use letters, digits and underscores, not starting with a digit`);
    this.name = 'CHeaderNameError';
  }
}

const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The C header that Minijail's `compile_seccomp_policy.py --output-header-file
 * NAME` writes to `NAME.h` (policy-language.md §5): the encoded program as a
 * decimal byte array `NAME_binary_seccomp_policy`, plus a
 * `NAME_seccomp_bpf_program` struct holding its instruction count and address.
 * The text matches the reference character for character so that builds
 * which include it keep working.
 */
export function renderCHeader(program: readonly Instruction[], name: string): string {
  if (!C_IDENTIFIER.test(name)) throw new CHeaderNameError(name);
  const bytes = Array.from(encodeProgram(program), (byte) => String(byte)).join(', ');
  const guard = `MJ_SECCOMP_${name.toUpperCase()}_H`;
  const policyArray = `${name}_binary_seccomp_policy`;
  return [
    '/* DO NOT EDIT GENERATED FILE */',
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '#include <stdint.h>',
    '',
    `static const unsigned char ${policyArray}[] __attribute__((__aligned__(4))) = {`,
    `    ${bytes}`,
    '};',
    '',
    'static const struct {',
    '    uint16_t cnt;',
    '    const void *bpf;',
    `} ${name}_seccomp_bpf_program = {`,
    `    .cnt = sizeof(${policyArray}) / 8,`,
    `    .bpf = ${policyArray},`,
    '};',
    '',
    '#endif',
    '',
  ].join('\n');
}
