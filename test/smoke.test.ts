import { describe, expect, it } from 'vitest';
import { PolicyError } from '../src/policy/errors.js';
describe('smoke', () => { it('formats', () => { expect(new PolicyError('x', {file:'f',line:1,column:2}, 'ab', 1).format()).toBe('f(1:2): x\n    ab\n     ^'); }); });
