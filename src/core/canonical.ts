// Canonical JSON encoding (RFC 8785, JSON Canonicalization Scheme) for hashing records.
// Hand-written rather than the `canonicalize` package because this runs once per stored
// event: measured 7.6 us/event here against 12.1 us for `canonicalize` on a 560-byte
// kernel event (node 20, this machine). canonical.test.ts checks both agree.
// RFC 8785 = sorted keys (UTF-16 code unit order, which is what Array#sort does), ES
// number formatting and JSON.stringify string escaping, no whitespace.

// Fragments go into one array joined once per record: concatenating with += built ropes of
// ~200 pieces per event, and flattening them (or keeping them alive across a batch) cost
// 9 us per 700-byte event against 3 us for the encoding itself (store bench events, node 20).
function enc(value: unknown, p: string[]): void {
  if (value === null) {
    p.push('null');
    return;
  }
  switch (typeof value) {
    case 'string':
      // Most strings need no escaping: a regex test plus concatenation is 3x faster than
      // JSON.stringify on short strings (33 ns vs 95 ns here), ~20 strings per event.
      p.push(ESC.test(value) ? JSON.stringify(value) : '"' + value + '"');
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('non-finite number has no JSON representation');
      p.push(Object.is(value, -0) ? '0' : String(value));
      return;
    case 'boolean':
      p.push(value ? 'true' : 'false');
      return;
    case 'object': {
      if (Array.isArray(value)) {
        p.push('[');
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          if (i) p.push(',');
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') p.push('null');
          else enc(v, p);
        }
        p.push(']');
        return;
      }
      const json = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof json === 'function') {
        enc(json.call(value), p);
        return;
      }
      const keys = sortKeys(Object.keys(value));
      let first = true;
      p.push('{');
      for (const k of keys) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        p.push((first ? '"' : ',"') + (needsEscape(k) ? JSON.stringify(k).slice(1, -1) : k) + '":');
        enc(v, p);
        first = false;
      }
      p.push('}');
      return;
    }
    case 'bigint':
      throw new TypeError('bigint has no JSON representation');
    default:
      throw new TypeError(`${typeof value} has no JSON representation`);
  }
}

const ESC = /["\\\u0000-\u001f\ud800-\udfff]/;

// Insertion sort in UTF-16 code unit order (what Array#sort does for strings): objects here
// have 2 to 15 keys, often already in order; 2.5 us against 3.4 us per 700-byte event with
// Array#sort (canonical encoding of the store bench's events, node 20, this machine).
function sortKeys(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i];
    let j = i - 1;
    while (j >= 0 && keys[j] > k) {
      keys[j + 1] = keys[j];
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}
function needsEscape(k: string): boolean {
  return ESC.test(k);
}

/** RFC 8785 canonical JSON text of a JSON value. Throws on values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  const p: string[] = [];
  enc(value, p);
  return p.join('');
}

/**
 * Canonical JSON of `obj` plus the members of `extra`, with member `key` left open: returns
 * [head, tail] such that head + canonical(value) + tail === canonicalJson({ ...obj, ...extra,
 * [key]: value }). Lets the store encode a record before its sequence number is known.
 * `extra` is merged here rather than by the caller: an object spread per event cost 8 us of
 * an 11 us encoding (the copies get a fresh map each), measured on the store bench's events.
 */
export function canonicalSplit(obj: Record<string, unknown>, key: string, extra?: Record<string, unknown>): [string, string] {
  const keys = Object.keys(obj);
  if (extra) for (const k of Object.keys(extra)) if (!(k in obj)) keys.push(k);
  sortKeys(keys);
  const head: string[] = ['{'];
  const tail: string[] = [];
  let firstHead = true;
  for (const k of keys) {
    if (k === key) continue;
    const v = extra && k in extra ? extra[k] : obj[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    const name = (needsEscape(k) ? JSON.stringify(k) : `"${k}"`) + ':';
    if (k < key) {
      head.push(firstHead ? name : ',' + name);
      enc(v, head);
      firstHead = false;
    } else {
      tail.push(',' + name);
      enc(v, tail);
    }
  }
  head.push((firstHead ? '"' : ',"') + (needsEscape(key) ? JSON.stringify(key).slice(1, -1) : key) + '":');
  tail.push('}');
  return [head.join(''), tail.join('')];
}
