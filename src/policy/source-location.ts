/** Where something was written: 1-based line, 1-based column, as the reference reports them. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export const formatLocation = (location: SourceLocation): string =>
  `${location.file}:${location.line}:${location.column}`;
