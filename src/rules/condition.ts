// The condition language (after Falco): boolean expressions over fields.
//   expr    := or
//   or      := and ('or' and)*
//   and     := unary ('and' unary)*
//   unary   := 'not' unary | '(' expr ')' | MACRO | field OP value | field 'exists'
//   value   := STRING | NUMBER | WORD | '(' item (',' item)* ')'   (an item naming a list expands to it)
// In a quoted STRING only a backslash before the quote is an escape (a doubled backslash is
// kept as two); other backslashes stay,
// so regexes and Windows paths are written as-is.
// Every node keeps its offset in the condition text so errors point at the token.

export type CmpOp =
  | '=' | '!=' | '<' | '<=' | '>' | '>='
  | 'in' | 'startswith' | 'endswith' | 'contains'
  | 'istartswith' | 'iendswith' | 'icontains' | 'iin'
  | 'glob' | 'iglob' | 'matches' | 'imatches' | 'cidr' | 'allowed' | 'pmatch';

export const OPERATORS: readonly CmpOp[] = [
  '=', '!=', '<', '<=', '>', '>=', 'in', 'startswith', 'endswith', 'contains', 'istartswith', 'iendswith', 'icontains', 'iin',
  'glob', 'iglob', 'matches', 'imatches', 'cidr', 'allowed', 'pmatch',
];

export type Lit = { kind: 'str'; value: string; quoted: boolean; at: number };

export type CondNode =
  | { t: 'and' | 'or'; items: CondNode[]; at: number }
  | { t: 'not'; item: CondNode; at: number }
  | { t: 'macro'; name: string; at: number }
  | { t: 'cmp'; field: string; op: CmpOp; values: Lit[]; list: boolean; at: number; opAt: number }
  | { t: 'exists'; field: string; at: number }
  | { t: 'const'; value: boolean; at: number };

type Tok =
  | { k: 'word'; v: string; at: number }
  | { k: 'str'; v: string; at: number }
  | { k: 'op'; v: string; at: number }
  | { k: '(' | ')' | ','; at: number }
  | { k: 'eof'; at: number };

export class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const WORD_CHAR = /[A-Za-z0-9_.\-/*:~@+[\]$%{}\\?]/;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      out.push({ k: c, at: i });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const start = i;
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new ConditionSyntaxError('unterminated string', start);
        const d = src[i];
        if (d === '\\' && src[i + 1] === '\\') {
          s += '\\\\';
          i += 2;
          continue;
        }
        if (d === '\\' && i + 1 < src.length && src[i + 1] === c) {
          s += src[i + 1];
          i += 2;
          continue;
        }
        if (d === c) {
          i++;
          break;
        }
        s += d;
        i++;
      }
      out.push({ k: 'str', v: s, at: start });
      continue;
    }
    if (c === '=' || c === '!' || c === '<' || c === '>') {
      const two = src.slice(i, i + 2);
      if (two === '==' || two === '!=' || two === '<=' || two === '>=') {
        out.push({ k: 'op', v: two === '==' ? '=' : two, at: i });
        i += 2;
      } else if (c === '!') {
        throw new ConditionSyntaxError("unexpected '!'", i);
      } else {
        out.push({ k: 'op', v: c, at: i });
        i++;
      }
      continue;
    }
    if (WORD_CHAR.test(c)) {
      const start = i;
      while (i < src.length && WORD_CHAR.test(src[i])) i++;
      out.push({ k: 'word', v: src.slice(start, i), at: start });
      continue;
    }
    throw new ConditionSyntaxError(`unexpected character '${c}'`, i);
  }
  out.push({ k: 'eof', at: src.length });
  return out;
}

const WORD_OPS = new Set<string>(OPERATORS.filter((o) => /^[a-z]/.test(o)));

/** Parses a condition; `isMacro` tells bare identifiers that are macros from fields. */
export function parseCondition(src: string, isMacro: (name: string) => boolean): CondNode {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const next = () => toks[p++];
  const isWord = (t: Tok, w: string) => t.k === 'word' && t.v === w;

  function parseOr(): CondNode {
    const first = parseAnd();
    const items = [first];
    while (isWord(peek(), 'or')) {
      next();
      items.push(parseAnd());
    }
    return items.length === 1 ? first : { t: 'or', items, at: first.at };
  }
  function parseAnd(): CondNode {
    const first = parseUnary();
    const items = [first];
    while (isWord(peek(), 'and')) {
      next();
      items.push(parseUnary());
    }
    return items.length === 1 ? first : { t: 'and', items, at: first.at };
  }
  function parseValue(): { values: Lit[]; list: boolean } {
    const t = peek();
    if (t.k === '(') {
      next();
      const values: Lit[] = [];
      if (peek().k === ')') {
        next();
        return { values, list: true };
      }
      for (;;) {
        const v = next();
        if (v.k !== 'str' && v.k !== 'word') throw new ConditionSyntaxError('expected a value in the list', v.at);
        values.push({ kind: 'str', value: v.v, quoted: v.k === 'str', at: v.at });
        const sep = next();
        if (sep.k === ')') break;
        if (sep.k !== ',') throw new ConditionSyntaxError("expected ',' or ')'", sep.at);
      }
      return { values, list: true };
    }
    if (t.k === 'str' || t.k === 'word') {
      next();
      return { values: [{ kind: 'str', value: t.v, quoted: t.k === 'str', at: t.at }], list: false };
    }
    throw new ConditionSyntaxError('expected a value', t.at);
  }
  function parseUnary(): CondNode {
    const t = peek();
    if (isWord(t, 'not')) {
      next();
      return { t: 'not', item: parseUnary(), at: t.at };
    }
    if (t.k === '(') {
      next();
      const e = parseOr();
      const c = next();
      if (c.k !== ')') throw new ConditionSyntaxError("expected ')'", c.at);
      return e;
    }
    if (t.k !== 'word') throw new ConditionSyntaxError(t.k === 'eof' ? 'unexpected end of condition' : 'expected a field, macro or (', t.at);
    next();
    if (t.v === 'true' || t.v === 'false') {
      const o = peek();
      if (!(o.k === 'op' || (o.k === 'word' && (WORD_OPS.has(o.v) || o.v === 'exists')))) return { t: 'const', value: t.v === 'true', at: t.at };
    }
    const o = peek();
    if (o.k === 'op') {
      next();
      return { t: 'cmp', field: t.v, op: o.v as CmpOp, ...parseValue(), at: t.at, opAt: o.at };
    }
    if (o.k === 'word' && o.v === 'exists') {
      next();
      return { t: 'exists', field: t.v, at: t.at };
    }
    if (o.k === 'word' && WORD_OPS.has(o.v)) {
      next();
      return { t: 'cmp', field: t.v, op: o.v as CmpOp, ...parseValue(), at: t.at, opAt: o.at };
    }
    if (isMacro(t.v)) return { t: 'macro', name: t.v, at: t.at };
    if (o.k === 'word' && o.v !== 'and' && o.v !== 'or') throw new ConditionSyntaxError(`unknown operator '${o.v}'`, o.at);
    throw new ConditionSyntaxError(`'${t.v}' is neither a macro nor followed by an operator`, t.at);
  }

  const root = parseOr();
  const end = peek();
  if (end.k !== 'eof') throw new ConditionSyntaxError(`unexpected '${end.k === 'word' || end.k === 'str' || end.k === 'op' ? end.v : end.k}'`, end.at);
  return root;
}
