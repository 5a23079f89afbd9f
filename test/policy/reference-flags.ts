/**
 * The reference compiler's command-line flags (as cases.tsv records them)
 * turned into compile options, for conformance tests.
 */
import type { CompileOptions } from '../../src/compile.js';

/** POSIX shell words: whitespace-separated, with '…', "…" and backslash quoting. */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let current: string | null = null;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (/\s/.test(char)) {
      if (current !== null) words.push(current);
      current = null;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end < 0) throw new Error(`unterminated ' in ${text}`);
      current = (current ?? '') + text.slice(index + 1, end);
      index = end;
    } else if (char === '"') {
      let value = '';
      for (index++; index < text.length && text[index] !== '"'; index++) {
        if (text[index] === '\\' && '"\\$`'.includes(text[index + 1] ?? '')) index++;
        value += text[index];
      }
      if (index >= text.length) throw new Error(`unterminated " in ${text}`);
      current = (current ?? '') + value;
    } else if (char === '\\') {
      current = (current ?? '') + (text[++index] ?? '');
    } else {
      current = (current ?? '') + char;
    }
  }
  if (current !== null) words.push(current);
  return words;
}

/** compile_seccomp_policy.py's options as CompileOptions (arch and layout left to the caller). */
export function optionsFromReferenceFlags(flags: readonly string[]): CompileOptions {
  const options: { -readonly [K in keyof CompileOptions]: CompileOptions[K] } = {};
  for (let index = 0; index < flags.length; index++) {
    const flag = flags[index];
    const value = (): string => {
      const next = flags[++index];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--default-action':
        options.defaultAction = value();
        break;
      case '--use-kill-process':
        options.useKillProcess = true;
        break;
      case '--use-ret-log':
        options.useRetLog = true;
        break;
      case '--denylist':
        options.denylist = true;
        break;
      case '--optimization-strategy': {
        const strategy = value();
        if (strategy !== 'bst' && strategy !== 'linear') throw new Error(`bad strategy ${strategy}`);
        options.strategy = strategy;
        break;
      }
      case '--include-depth-limit':
        options.includeDepthLimit = Number.parseInt(value(), 10);
        break;
      default:
        throw new Error(`flag not handled by the conformance test: ${flag}`);
    }
  }
  return options;
}
