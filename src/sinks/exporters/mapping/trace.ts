// Derives the field mapping table from the mapper code itself: for every leaf field of the
// event JSON Schema, take the sample events that carry it, remove it and alter it, and
// record which output fields change. docs/schema-mapping.md is rendered from this, and a
// test keeps the file identical, so the table cannot drift from the code.
import type { AwEvent } from '../../../schema/index.js';
import { EVENT_JSON_SCHEMA } from '../../../schema/index.js';
import { ECS_CLASS, toEcs } from './ecs.js';
import { OCSF_CLASS, toOcsf } from './ocsf.js';
import { extraSamples, sampleEvents } from './samples.js';

/** Leaf paths of the event schema; array items as `a[].b`. */
export function schemaLeaves(): string[] {
  const out: string[] = [];
  const walk = (s: any, p: string) => {
    if (s.type === 'object' && s.properties && Object.keys(s.properties).length) {
      for (const [k, v] of Object.entries(s.properties)) walk(v, p ? `${p}.${k}` : k);
    } else if (s.type === 'array' && s.items?.type === 'object' && s.items.properties) {
      for (const [k, v] of Object.entries(s.items.properties)) walk(v, `${p}[].${k}`);
    } else out.push(p);
  };
  walk(EVENT_JSON_SCHEMA, '');
  return out;
}

/** Output leaves as path -> JSON value; arrays of objects become `a[].b` with all values. */
function flat(doc: unknown, prefix = '', out = new Map<string, string>()): Map<string, string> {
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    for (const [k, v] of Object.entries(doc)) flat(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (Array.isArray(doc) && doc.some((x) => x !== null && typeof x === 'object')) {
    const inner = new Map<string, string[]>();
    for (const x of doc) for (const [k, v] of flat(x, `${prefix}[]`)) inner.set(k, [...(inner.get(k) ?? []), v]);
    for (const [k, v] of inner) out.set(k, JSON.stringify(v));
  } else out.set(prefix, JSON.stringify(doc));
  return out;
}

type Edit = (holder: Record<string, unknown>, key: string) => void;

/** Applies `edit` to every occurrence of `path` in the event; false if the path is absent. */
function editPath(ev: AwEvent, path: string, edit: Edit): boolean {
  const parts = path.split('.');
  let found = false;
  const go = (o: any, i: number) => {
    if (o === null || typeof o !== 'object') return;
    let k = parts[i];
    const arr = k.endsWith('[]');
    if (arr) k = k.slice(0, -2);
    if (!(k in o) || o[k] === undefined) return;
    if (i === parts.length - 1) {
      found = true;
      edit(o, k);
    } else if (arr) {
      for (const x of o[k] as unknown[]) go(x, i + 1);
    } else go(o[k], i + 1);
  };
  go(ev, 0);
  return found;
}

const remove: Edit = (o, k) => {
  delete o[k];
};
const alter: Edit = (o, k) => {
  const v = o[k];
  if (typeof v === 'string') o[k] = v + 'Z9';
  else if (typeof v === 'number') o[k] = v + 7;
  else if (Array.isArray(v)) o[k] = [...v, typeof v[0] === 'number' ? 99 : 'extra9'];
  else if (v && typeof v === 'object') o[k] = { ...v, extra9: 'x' };
  else o[k] = 'altered9';
};

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const out = new Set<string>();
  for (const [k, v] of a) if (b.get(k) !== v) out.add(k);
  for (const k of b.keys()) if (!a.has(k)) out.add(k);
  return [...out];
}

export interface FieldMapping {
  field: string;
  ecs: string[];
  ocsf: string[];
}

/** Fields whose meaning is the whole classification, documented by the class tables. */
const CLASSIFIERS: Record<string, { ecs: string[]; ocsf: string[] }> = {
  kind: { ecs: ['event.action', 'event.kind', 'event.category', 'event.type'], ocsf: ['class_uid', 'category_uid', 'activity_id', 'type_uid', 'unmapped.kind'] },
};

export function traceMappings(): FieldMapping[] {
  const samples = [...sampleEvents(), ...extraSamples()];
  const base = samples.map((ev) => ({ ecs: flat(toEcs(ev)), ocsf: flat(toOcsf(ev)) }));
  const out: FieldMapping[] = [];
  for (const field of schemaLeaves()) {
    if (CLASSIFIERS[field]) {
      out.push({ field, ...CLASSIFIERS[field] });
      continue;
    }
    const ecs = new Set<string>();
    const ocsf = new Set<string>();
    samples.forEach((ev, i) => {
      for (const edit of [remove, alter]) {
        const copy = structuredClone(ev);
        if (!editPath(copy, field, edit)) return;
        let e: Map<string, string>;
        let o: Map<string, string>;
        try {
          e = flat(toEcs(copy));
          o = flat(toOcsf(copy));
        } catch {
          continue; // removing a required field may not map; the alteration still traces it
        }
        for (const p of diff(base[i].ecs, e)) ecs.add(p);
        for (const p of diff(base[i].ocsf, o)) ocsf.add(p);
      }
    });
    out.push({ field, ecs: [...ecs].sort(), ocsf: [...ocsf].sort() });
  }
  return out;
}

const code = (s: string) => '`' + s + '`';

/** Renders docs/schema-mapping.md. */
export function renderSchemaMapping(): string {
  const rows = traceMappings();
  const lines: string[] = [];
  lines.push('# Event schema mapping: AgentWarden -> ECS and OCSF');
  lines.push('');
  lines.push('<!-- Generated from src/sinks/exporters/mapping (trace.ts) by `AW_UPDATE_DOCS=1 node --test dist/sinks/exporters/mapping/trace.test.js`; a test keeps it identical. Do not edit by hand. -->');
  lines.push('');
  lines.push('Every field of the normalized event (`src/schema/event.ts`) and where the exporters put it:');
  lines.push('the Elastic Common Schema mapper (`mapping/ecs.ts`, used by the `elastic` exporter and by `format: ecs`)');
  lines.push('and the OCSF 1.8.0 mapper (`mapping/ocsf.ts`, used by the `ocsf` exporter and by `format: ocsf`).');
  lines.push('The table is derived from the mapper code: each field is removed and altered in sample events and');
  lines.push('the output fields that change are listed, so derived fields (names from paths, event.type from an');
  lines.push('operation) appear too. Fields ECS has no name for go under the custom `agentwarden.*` namespace;');
  lines.push('fields OCSF has no attribute for go under `unmapped.*`: nothing is dropped.');
  lines.push('');
  lines.push('Both mappings are tested against the schema sources in `shared/data/sensors/schemas/`: every ECS');
  lines.push('field outside `agentwarden.*` exists in `ecs_flat.yml` with a compatible type and allowed values;');
  lines.push('every OCSF attribute exists in its class or object (or, for classes not in the shared subset, in the');
  lines.push('dictionary), required attributes are present and enums are valid.');
  lines.push('');
  lines.push('## Fields');
  lines.push('');
  lines.push('| AgentWarden field | ECS | OCSF |');
  lines.push('|---|---|---|');
  for (const r of rows) lines.push(`| ${code(r.field)} | ${r.ecs.map(code).join('<br>') || '—'} | ${r.ocsf.map(code).join('<br>') || '—'} |`);
  lines.push('');
  lines.push('## Classification by event kind');
  lines.push('');
  lines.push('Registry events become Registry Key Activity (201001) when they name no value; DNS events with');
  lines.push('answers are activity 2 (Response); `gateway.http` activities follow the HTTP method; `sensor.status`');
  lines.push('is Start/Stop by state. Classes marked * are outside the shared schema subset (checked against the');
  lines.push('dictionary only).');
  lines.push('');
  lines.push('| kind | ECS event.kind | ECS event.category | ECS event.type | OCSF class (class_uid) | OCSF activity (activity_id) | type_uid |');
  lines.push('|---|---|---|---|---|---|---|');
  const local = new Set([1001, 1005, 1007, 4001, 4003, 201001, 201002]);
  for (const [k, e] of Object.entries(ECS_CLASS)) {
    const o = OCSF_CLASS[k as keyof typeof OCSF_CLASS];
    lines.push(`| ${code(k)} | ${e.kind} | ${e.category.join(', ')} | ${e.type.join(', ')} | ${o.class_name} (${o.class_uid})${local.has(o.class_uid) ? '' : ' *'} | ${o.activity_name} (${o.activity_id}) | ${o.class_uid * 100 + o.activity_id} |`);
  }
  lines.push('');
  return lines.join('\n');
}
