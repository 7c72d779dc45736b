// The IoC catalog (rules/ioc-catalog.yaml): stable ids AW-IOC-<CLASS>-<nnn>, each naming the
// rules that detect it, with severity, false-positive notes and ATT&CK/ATLAS mappings.
// Pure: parses the text it is given; problems are located like rule-file problems.
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode, type YAMLMap } from 'yaml';
import { LocatedError } from '../core/errors.js';
import type { Severity } from '../schema/index.js';
import { SEVERITIES } from './types.js';

export interface IocEntry {
  id: string;
  class: string;
  title: string;
  description?: string;
  detection: string[];
  severity: Severity;
  false_positives: string[];
  attack: string[];
  atlas: string[];
  next_step?: string;
  retired?: boolean;
  line: number;
}

const KEYS = new Set(['id', 'class', 'title', 'description', 'detection', 'severity', 'false_positives', 'attack', 'atlas', 'next_step', 'retired']);

export function parseIocCatalog(text: string, file = 'ioc-catalog.yaml'): IocEntry[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true });
  const fail = (code: string, offset: number, msg: string): never => {
    const p = lc.linePos(offset);
    throw new LocatedError(code, file, p.line, p.col, msg);
  };
  if (doc.errors.length) fail('RULE_PARSE', doc.errors[0].pos[0], doc.errors[0].message.split('\n')[0]);
  const root = doc.contents as YamlNode | null;
  if (!root || !isSeq(root)) return fail('RULE_SHAPE', 0, 'the catalog is a YAML list of entries');
  const seen = new Set<string>();
  return root.items.map((n) => {
    const node = n as YamlNode;
    const at = node.range?.[0] ?? 0;
    if (!isMap(node)) fail('RULE_SHAPE', at, 'each entry is a mapping');
    const o = (node as YAMLMap).toJSON() as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!KEYS.has(k)) fail('RULE_KEY_UNKNOWN', at, `unknown key '${k}'`);
    const id = String(o.id ?? '');
    if (!/^AW-IOC-[A-Z]+-\d{3}$/.test(id)) fail('RULE_VALUE', at, `id '${id}' must look like AW-IOC-<CLASS>-<nnn>`);
    if (seen.has(id)) fail('RULE_DUPLICATE', at, `duplicate id ${id}`);
    seen.add(id);
    const list = (k: string) => (Array.isArray(o[k]) ? (o[k] as unknown[]).map(String) : o[k] === undefined ? [] : [String(o[k])]);
    const severity = String(o.severity ?? '') as Severity;
    if (!SEVERITIES.includes(severity)) fail('RULE_VALUE', at, `${id}: severity must be one of ${SEVERITIES.join(', ')}`);
    const detection = list('detection');
    if (!detection.length && !o.retired) fail('RULE_SHAPE', at, `${id}: 'detection' names at least one rule`);
    return {
      id,
      class: String(o.class ?? ''),
      title: String(o.title ?? id),
      description: o.description === undefined ? undefined : String(o.description),
      detection,
      severity,
      false_positives: list('false_positives'),
      attack: list('attack'),
      atlas: list('atlas'),
      next_step: o.next_step === undefined ? undefined : String(o.next_step),
      retired: o.retired === true,
      line: lc.linePos(at).line,
    };
  });
}
