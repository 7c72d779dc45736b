// Human output: tables and lines that are safe to print. Event content is attacker
// controlled, so every value goes through termSafe (no escape sequences or control
// characters reach the terminal). Colour only on a TTY and never under NO_COLOR.

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');

/** Replaces control characters (C0, DEL, C1, including ESC) and bidi overrides with visible escapes. */
export function termSafe(value: unknown): string {
  const s = typeof value === 'string' ? value : value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Most values are clean: a non-global test first skips building a new string.
  if (!UNSAFE.test(s)) return s;
  return s.replace(UNSAFE_ALL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export interface Out {
  write(text: string): void;
  isTTY: boolean;
  color: boolean;
}

export function makeOut(stream: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }): Out {
  const isTTY = Boolean(stream.isTTY);
  return {
    write: (t) => void stream.write(t),
    isTTY,
    color: isTTY && !process.env.NO_COLOR,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(out: Out, colour: Colour, text: string): string {
  return out.color ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

/** Renders rows as an aligned table; long cells are cut with an ellipsis. */
export function table(headers: string[], rows: unknown[][], maxWidth = 60): string {
  const cells = rows.map((r) => r.map((c) => {
    const s = termSafe(c);
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}\u2026` : s;
  }));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + '\n';
}
