// Errors carry a string-union code and keep their cause (after sigstore-js). Configure-time
// code throws these; per-event code counts and carries on instead.

export class AwError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'AwError';
  }
}

/** A configuration or rule-file error located at file:line:col. */
export class LocatedError extends AwError<'CONFIG_INVALID' | 'CONFIG_PARSE' | 'CONFIG_READ' | (string & {})> {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(code: string, file: string, line: number, column: number, message: string, options?: { cause?: unknown }) {
    super(code, `${file}:${line}:${column}: ${code}: ${message}`, options);
    this.file = file;
    this.line = line;
    this.column = column;
    this.name = 'LocatedError';
  }
}

/** Extracts a readable message from anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
