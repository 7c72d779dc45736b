// Translates the Go RE2 regular expressions of gitleaks rules into JavaScript ones.
// Why hand-written: RE2 scoped flags (`(?i)` mid-pattern, `(?i:...)`, `(?-i:...)`) have no
// JavaScript equivalent in Node 20 (no inline modifiers), and making the whole pattern
// case-insensitive over-matches. So letters in case-insensitive regions are expanded to
// both cases (`a` -> `[aA]`, `[a-f]` -> `[a-fA-F]`), which is exact. Also: `(?P<n>` ->
// `(?<n>`, `\z` -> `$`, POSIX classes `[[:alnum:]]`, `\x{HH}`, `(?s)` -> the `s` flag.

const POSIX: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  digit: '0-9',
  lower: 'a-z',
  upper: 'A-Z',
  space: '\\s',
  xdigit: '0-9a-fA-F',
  word: '\\w',
  punct: '!-\\/:-@\\[-`{-~',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  print: '\\x20-\\x7e',
  graph: '\\x21-\\x7e',
};

const isLetter = (c: string): boolean => /^[a-zA-Z]$/.test(c);
const swap = (c: string): string => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());

export interface JsRegex {
  source: string;
  flags: string;
}

/** Converts an RE2 pattern; throws on constructs it cannot translate. */
export function re2ToJs(re2: string): JsRegex {
  let flags = '';
  let i = 0;
  let out = '';
  // Case-insensitivity per open group: a mid-group `(?i)` lasts to the end of that group.
  const stack: boolean[] = [];
  let ci = false;
  const n = re2.length;
  while (i < n) {
    const c = re2[i];
    if (c === '\\') {
      const d = re2[i + 1];
      if (d === 'z') {
        out += '$';
        i += 2;
      } else if (d === 'x' && re2[i + 2] === '{') {
        const end = re2.indexOf('}', i);
        const hex = re2.slice(i + 3, end);
        out += hex.length <= 2 ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
        i = end + 1;
      } else if (d === 'Q') {
        const end = re2.indexOf('\\E', i);
        const lit = re2.slice(i + 2, end < 0 ? n : end);
        out += lit.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        i = end < 0 ? n : end + 2;
      } else if (d === 'A') {
        out += '^';
        i += 2;
      } else {
        out += c + d;
        i += 2;
      }
      continue;
    }
    if (c === '[') {
      const [cls, next] = readClass(re2, i, ci);
      out += cls;
      i = next;
      continue;
    }
    if (c === '(') {
      if (re2[i + 1] === '?') {
        // Flag groups: (?i) (?s) (?-i) (?is) (?i:...) (?-i:...)
        const m = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])/.exec(re2.slice(i));
        if (m && (m[1] || m[2] !== undefined)) {
          const on = m[1] ?? '';
          const off = m[2] ?? '';
          for (const f of on + off) if (!'ims U'.includes(f)) throw new Error(`unsupported flag ${f}`);
          if (on.includes('s')) flags = flags.includes('s') ? flags : flags + 's';
          if (on.includes('m')) flags = flags.includes('m') ? flags : flags + 'm';
          const newCi: boolean = on.includes('i') ? true : off.includes('i') ? false : ci;
          if (m[3] === ')') {
            ci = newCi;
            out += '';
          } else {
            stack.push(ci);
            ci = newCi;
            out += '(?:';
          }
          i += m[0].length;
          continue;
        }
        if (re2.startsWith('(?P<', i)) {
          stack.push(ci);
          out += '(?<';
          i += 4;
          continue;
        }
        // (?: (?<name> (?= (?! (?<= (?<!
        stack.push(ci);
        const m2 = /^\(\?(?::|<[A-Za-z_][A-Za-z0-9_]*>|=|!|<=|<!)/.exec(re2.slice(i));
        if (!m2) throw new Error(`unsupported group at ${i}`);
        out += m2[0];
        i += m2[0].length;
        continue;
      }
      stack.push(ci);
      out += '(';
      i++;
      continue;
    }
    if (c === ')') {
      ci = stack.pop() ?? false;
      out += ')';
      i++;
      continue;
    }
    if (c === '{') {
      // A counted repetition stays; a literal brace is escaped.
      const m = /^\{\d+(?:,\d*)?\}/.exec(re2.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length;
      } else {
        out += '\\{';
        i++;
      }
      continue;
    }
    if (c === '}') {
      out += '\\}';
      i++;
      continue;
    }
    if (ci && isLetter(c)) out += `[${c}${swap(c)}]`;
    else out += c === '/' ? '\\/' : c;
    i++;
  }
  return { source: out, flags };
}

/** Reads a bracket expression starting at re2[i] === '['; returns [js, next index]. */
function readClass(re2: string, i: number, ci: boolean): [string, number] {
  let j = i + 1;
  let negate = false;
  if (re2[j] === '^') {
    negate = true;
    j++;
  }
  const items: string[] = [];
  const extra: string[] = [];
  let first = true;
  while (j < re2.length && (re2[j] !== ']' || first)) {
    first = false;
    const c = re2[j];
    if (c === '[' && re2[j + 1] === ':') {
      const end = re2.indexOf(':]', j);
      const name = re2.slice(j + 2, end);
      const neg = name.startsWith('^');
      const cls = POSIX[neg ? name.slice(1) : name];
      if (!cls || neg) throw new Error(`unsupported POSIX class ${name}`);
      items.push(cls);
      j = end + 2;
      continue;
    }
    let atom: string;
    let lit: string | undefined;
    if (c === '\\') {
      const d = re2[j + 1];
      if (d === 'x' && re2[j + 2] === '{') {
        const end = re2.indexOf('}', j);
        const hex = re2.slice(j + 3, end);
        atom = hex.length <= 2 ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
        j = end + 1;
      } else {
        atom = c + d;
        if (!/[a-zA-Z0-9]/.test(d)) lit = d;
        j += 2;
      }
    } else {
      atom = c === '[' ? '\\[' : c === ']' ? '\\]' : c;
      lit = c;
      j++;
    }
    // Range?
    if (re2[j] === '-' && re2[j + 1] !== ']' && j + 1 < re2.length && lit !== undefined) {
      let hiAtom: string;
      let hi: string | undefined;
      if (re2[j + 1] === '\\') {
        hiAtom = re2.slice(j + 1, j + 3);
        hi = /[a-zA-Z0-9]/.test(re2[j + 2]) ? undefined : re2[j + 2];
        j += 3;
      } else {
        hiAtom = re2[j + 1];
        hi = re2[j + 1];
        j += 2;
      }
      items.push(`${atom}-${hiAtom}`);
      if (ci && hi && isLetter(lit) && isLetter(hi) && (lit === lit.toLowerCase()) === (hi === hi.toLowerCase())) extra.push(`${swap(lit)}-${swap(hi)}`);
      continue;
    }
    items.push(atom);
    if (ci && lit && isLetter(lit)) extra.push(swap(lit));
  }
  if (re2[j] !== ']') throw new Error('unterminated character class');
  // Extra cases go first: a trailing literal '-' must stay last.
  return [`[${negate ? '^' : ''}${extra.join('')}${items.join('')}]`, j + 1];
}

/** Compiles an RE2 pattern to a JavaScript RegExp (extra flags added, e.g. 'gd'). */
export function compileRe2(re2: string, extraFlags = ''): RegExp {
  const { source, flags } = re2ToJs(re2);
  return new RegExp(source, [...new Set(flags + extraFlags)].join(''));
}
