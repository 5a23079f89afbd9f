import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArchFileError, loadArchJson, parseArchJson } from '../src/arch/arch-json.js';

const corpus = new URL('../../shared/corpus/crosvm-2023/', import.meta.url).pathname;
const haveCorpus = existsSync(corpus);

describe('Minijail arch files', () => {
  it.skipIf(!haveCorpus)('loads the corpus x86_64 file with exact 64-bit constants (needs ../shared/corpus)', () => {
    const arch = loadArchJson(`${corpus}x86_64/constants.json`);
    expect(arch.auditArch).toBe(0xc000003e);
    expect(arch.bits).toBe(64);
    expect(arch.name).toBe('x86_64');
    expect(arch.syscalls.get('read')).toBe(0);
    expect(arch.constants.get('MAP_HUGE_16GB')).toBe(-2013265920n);
  });

  it('keeps integers above 2^53 exact', () => {
    const arch = parseArchJson(
      '{"arch_nr": 3221225534, "arch_name": "x86_64", "bits": 64, "syscalls": {"read": 0}, "constants": {"BIG": 18446744073709551615}}',
      'big.json',
    );
    expect(arch.constants.get('BIG')).toBe(0xffffffffffffffffn);
  });

  it('rejects malformed files with the file name', () => {
    expect(() => parseArchJson('{"arch_nr": 1}', 'bad.json')).toThrow(ArchFileError);
    expect(() => parseArchJson('{"arch_nr": 1}', 'bad.json')).toThrow(/bad\.json: "arch_name"/);
    expect(() => parseArchJson('nope', 'bad.json')).toThrow(/not valid JSON/);
    expect(() => loadArchJson('/nonexistent/constants.json')).toThrow(/cannot read arch file \(ENOENT\)/);
  });
});
