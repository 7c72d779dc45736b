// PII detectors: e-mail addresses, phone numbers, payment card numbers (Luhn), US SSNs,
// IBANs (mod 97). Regexes find candidates; checksums and shape checks reject most noise.
// Our own identifiers (UUIDs, hex digests, ISO timestamps, IP addresses) are not PII and
// are rejected explicitly.
import type { Finding } from './gitleaks.js';
import { luhnValid } from '../../core/luhn.js';

const EMAIL = /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])/g;
// Digit groups with separators, optional +country code, optional (area) and extension.
// Bare digit runs only as +CC..., a 10-digit number not starting with 0/1 (NANP; epoch
// seconds start with 1) or a national 0-prefixed 10/11-digit number.
const PHONE = /(?<![\w.+:/@-])(?:\+\d{1,3}[ .-]?)?(?:\(0?\d{1,4}\)[ .-]?)?(?:\(0\)[ .-]?)?\d{1,5}(?:[ .-]\d{1,8}){1,5}(?:\s?(?:x|ext\.?)\s?\d{1,5})?(?![\w-]|\.\d)|(?<![\w.+:/@-])(?:\+\d{8,14}|[2-9]\d{9}|0\d{9,10})(?![\w-]|\.\d)/g;
const CARD = /(?<![\w.+-])(?:\d[ -]?){11,18}\d(?![\w-]|\.\d)/g;
const SSN = /(?<![\w.-])(\d{3})-(\d{2})-(\d{4})(?![\w-]|\.\d)/g;
const IBAN = /(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![\w])/g;

// Countries that issue IBANs (ISO 13616 registry).
const IBAN_COUNTRIES = new Set('AD AE AL AT AZ BA BE BG BH BI BR BY CH CR CY CZ DE DJ DK DO EE EG ES FI FK FO FR GB GE GI GL GR GT HR HU IE IL IQ IS IT JO KW KZ LB LC LI LT LU LV LY MC MD ME MK MN MR MT MU NI NL NO OM PK PL PS PT QA RO RS RU SA SC SD SE SI SK SM SO ST SV TL TN TR UA VA VG XK YE'.split(' '));

function ibanValid(s: string): boolean {
  const raw = s.replace(/ /g, '');
  // One case throughout: mixed case is base64 or a token, not an IBAN.
  if (raw !== raw.toUpperCase() && raw !== raw.toLowerCase()) return false;
  const t = raw.toUpperCase();
  if (!IBAN_COUNTRIES.has(t.slice(0, 2))) return false;
  if (t.length < 15 || t.length > 34) return false;
  const r = t.slice(4) + t.slice(0, 4);
  let rem = 0;
  for (const ch of r) {
    const v = /[0-9]/.test(ch) ? ch : String(ch.charCodeAt(0) - 55);
    for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

function phoneOk(s: string): boolean {
  const digits = s.replace(/\D/g, '').length - (/(x|ext\.?)\s?\d+$/.exec(s)?.[0].replace(/\D/g, '').length ?? 0);
  if (digits < 7 || digits > 15) return false;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s) || /^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/.test(s)) return false; // dates
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(s)) return false; // IPv4
  if (/^\d+\.\d+$/.test(s)) return false; // decimals
  // Groups of a single digit are not how numbers are written ("1 2 3 4 5 6 7").
  const groups = s.replace(/^\+\d{1,3}[ .-]?/, '').replace('(0)', '').split(/[ .()-]+/).filter(Boolean);
  if (groups.filter((g) => g.length === 1).length > 1) return false;
  return true;
}

const CARD_PREFIX = /^(?:4|5|2[2-7]|3|6|1800|2131)/;

export function scanPii(text: string): Finding[] {
  const out: Finding[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (s: number, e: number): boolean => taken.some(([a, b]) => s < b && e > a);
  const push = (rule: string, s: number, e: number): void => {
    if (overlaps(s, e)) return;
    taken.push([s, e]);
    out.push({ rule, kind: 'pii', start: s, end: e });
  };
  let m: RegExpExecArray | null;
  for (EMAIL.lastIndex = 0; (m = EMAIL.exec(text)); ) push('pii-email', m.index, m.index + m[0].length);
  for (IBAN.lastIndex = 0; (m = IBAN.exec(text)); ) if (ibanValid(m[0])) push('pii-iban', m.index, m.index + m[0].length);
  for (CARD.lastIndex = 0; (m = CARD.exec(text)); ) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 12 && digits.length <= 19 && CARD_PREFIX.test(digits) && luhnValid(digits) && !/^(\d)\1+$/.test(digits)) push('pii-card', m.index, m.index + m[0].length);
  }
  for (SSN.lastIndex = 0; (m = SSN.exec(text)); ) {
    const [, a, g, s] = m;
    if (a === '000' || a === '666' || a[0] === '9' || g === '00' || s === '0000') continue;
    push('pii-us-ssn', m.index, m.index + m[0].length);
  }
  for (PHONE.lastIndex = 0; (m = PHONE.exec(text)); ) if (phoneOk(m[0])) push('pii-phone', m.index, m.index + m[0].length);
  return out;
}
