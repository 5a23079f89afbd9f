/** Where something was written: 1-based line, 1-based column, as the reference reports them. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The name the reference gives the `--default-action` text in its errors: a
 * one-line pseudo file. A location in it is the command line, not a place in
 * a policy to point at.
 */
export const COMMAND_LINE_FILE = '<memory>';

/** The location, or null when there is none or it is the command line's pseudo file. */
export const locationInPolicy = (location: SourceLocation | null): SourceLocation | null =>
  location === null || location.file === COMMAND_LINE_FILE ? null : location;

export const formatLocation = (location: SourceLocation): string =>
  `${location.file}:${location.line}:${location.column}`;
