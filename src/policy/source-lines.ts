/**
 * The text a location points into, for showing the policy as its author wrote
 * it (constant names, not the values the IR holds). Each file is read once;
 * a file that can no longer be read gives undefined, and the caller falls
 * back to what the IR knows.
 */
import { readInputText } from '../util/read-input-file.js';
import type { SourceLocation } from './source-location.js';

export class SourceLines {
  private readonly files = new Map<string, readonly string[] | undefined>();

  line(location: SourceLocation): string | undefined {
    if (!this.files.has(location.file)) {
      let lines: string[] | undefined;
      try {
        lines = readInputText(location.file).split(/\r?\n/);
      } catch {
        lines = undefined;
      }
      this.files.set(location.file, lines);
    }
    return this.files.get(location.file)?.[location.line - 1];
  }
}
