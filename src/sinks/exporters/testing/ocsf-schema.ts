// A small OCSF validator over the schema sources in shared/data/sensors/schemas/ocsf
// (v1.8.0 dictionary, the classes and objects present there, the Windows extension and the
// 1.9.0-dev ai_agent object and ai_operation profile). For classes and objects present
// locally it checks membership, required attributes and enums; for the others (not in
// the shared subset) it checks that every attribute exists in the dictionary with a
// compatible type, and says so in `weak`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

type Attr = { type?: string; is_array?: boolean; requirement?: string; enum?: Record<string, unknown> };
interface Def {
  name: string;
  extends?: string;
  uid?: number;
  category?: string;
  attributes: Record<string, Attr>;
  includes: string[];
  extUid?: number;
}

const STRING_TYPES = /^(string_t|.*_name_t|file_path_t|hostname_t|ip_t|uuid_t|url_t|username_t|email_t|mac_t|subnet_t|file_hash_t|resource_uid_t|bytestring_t|datetime_t)$/;
const INT_TYPES = /^(integer_t|long_t|port_t|timestamp_t)$/;

function walk(dir: string, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (n.endsWith('.json')) out.push(p);
  }
  return out;
}

export class OcsfSchema {
  readonly dictionary: Record<string, Attr>;
  readonly classes = new Map<string, Def>();
  readonly objects = new Map<string, Def>();
  readonly profiles = new Map<string, Def>();
  readonly categories: Record<string, number> = {};
  /** class_uid -> class name, for the classes present locally. */
  readonly classByUid = new Map<number, string>();

  constructor(root: string) {
    const v18 = join(root, 'v1.8.0');
    this.dictionary = JSON.parse(readFileSync(join(v18, 'dictionary.json'), 'utf8')).attributes;
    const cats = JSON.parse(readFileSync(join(v18, 'categories.json'), 'utf8')).attributes as Record<string, { uid: number }>;
    for (const [k, v] of Object.entries(cats)) this.categories[k] = v.uid;
    const load = (file: string, extUid?: number): Def => {
      const j = JSON.parse(readFileSync(file, 'utf8'));
      const attrs = { ...(j.attributes ?? {}) } as Record<string, any>;
      const includes = (attrs.$include as string[] | undefined) ?? [];
      delete attrs.$include;
      return { name: j.name, extends: j.extends, uid: j.uid, category: j.category, attributes: attrs, includes, extUid };
    };
    for (const f of walk(join(v18, 'events'))) this.classes.set(load(f).name, load(f));
    for (const f of walk(join(v18, 'objects'))) this.objects.set(load(f).name, load(f));
    const win = join(v18, 'extensions', 'windows');
    const winUid = JSON.parse(readFileSync(join(win, 'extension.json'), 'utf8')).uid as number;
    for (const f of walk(join(win, 'events'))) this.classes.set(load(f).name, load(f, winUid));
    for (const f of walk(join(win, 'objects'))) this.objects.set(load(f).name, load(f));
    const dev = join(root, 'dev-1.9.0');
    this.objects.set('ai_agent', load(join(dev, 'objects', 'ai_agent.json')));
    this.profiles.set('ai_operation', load(join(dev, 'profiles', 'ai_operation.json')));
    for (const c of this.classes.values()) {
      if (c.uid === undefined) continue;
      const cat = this.categoryOf(c);
      this.classByUid.set((c.extUid ?? 0) * 100000 + cat * 1000 + c.uid, c.name);
    }
  }

  private categoryOf(c: Def): number {
    let d: Def | undefined = c;
    while (d) {
      if (d.category && this.categories[d.category] !== undefined) return this.categories[d.category];
      d = d.extends ? this.classes.get(d.extends) : undefined;
    }
    return 0;
  }

  private chain(map: Map<string, Def>, name: string): { defs: Def[]; complete: boolean } {
    const defs: Def[] = [];
    let d = map.get(name);
    let complete = true;
    while (d) {
      defs.push(d);
      if (!d.extends || d.extends === 'object') break;
      const next = map.get(d.extends);
      if (!next) complete = false;
      d = next;
    }
    return { defs, complete };
  }

  /** Validates one OCSF event; returns the problems found (empty = valid). */
  validate(ev: Record<string, any>): { problems: string[]; weak: string[] } {
    const problems: string[] = [];
    const weak: string[] = [];
    const className = this.classByUid.get(ev.class_uid);
    if (ev.type_uid !== ev.class_uid * 100 + ev.activity_id) problems.push(`type_uid ${ev.type_uid} != class_uid*100+activity_id`);
    if (Math.floor(ev.class_uid / 1000) % 100 !== ev.category_uid) problems.push(`category_uid ${ev.category_uid} does not match class_uid ${ev.class_uid}`);
    const base = this.chain(this.classes, 'base_event').defs[0];
    let allowed: Record<string, Attr>;
    let required: string[];
    if (className) {
      const { defs } = this.chain(this.classes, className);
      allowed = {};
      for (const d of [...defs].reverse()) Object.assign(allowed, d.attributes);
      // Profiles: host (actor, device) is included by base_event; ai_operation (1.9.0-dev) by
      // the system, network, application and IAM bases.
      allowed.device ??= this.dictionary.device;
      allowed.actor ??= this.dictionary.actor;
      for (const [k, v] of Object.entries(this.profiles.get('ai_operation')!.attributes)) allowed[k] ??= v;
      required = Object.entries(allowed)
        .filter(([, a]) => a?.requirement === 'required')
        .map(([k]) => k);
      const act = defs.map((d) => d.attributes.activity_id?.enum).filter(Boolean) as Array<Record<string, unknown>>;
      const ids = new Set(act.flatMap((e) => Object.keys(e)));
      ids.add('0');
      ids.add('99');
      if (!ids.has(String(ev.activity_id))) problems.push(`activity_id ${ev.activity_id} not in ${className} enum`);
    } else {
      weak.push(`class ${ev.class_uid} is not in the shared schema subset: attributes checked against the dictionary only`);
      allowed = {};
      required = Object.entries(base.attributes)
        .filter(([, a]) => a?.requirement === 'required')
        .map(([k]) => k);
    }
    for (const r of required) if (ev[r] === undefined) problems.push(`${className ?? ev.class_uid}: required attribute ${r} missing`);
    for (const [k, v] of Object.entries(ev)) {
      const local = allowed[k];
      const dict = this.dictionary[k] ?? (k === 'ai_agent' ? { type: 'ai_agent' } : undefined);
      if (className && !local) {
        problems.push(`${className}: attribute ${k} is not defined for the class`);
        continue;
      }
      if (!dict && !local) {
        problems.push(`attribute ${k} is not in the dictionary`);
        continue;
      }
      const attr: Attr = { ...dict, ...local, type: local?.type ?? dict?.type };
      // The schema compiler fills these enums from the class tree; they are checked above
      // by arithmetic (type_uid), by class lookup (class_uid/category_uid) and per class (activity_id).
      if (k === 'class_uid' || k === 'category_uid' || k === 'type_uid' || k === 'activity_id') attr.enum = undefined;
      this.checkValue(k, attr, v, problems, weak, !!className);
    }
    return { problems, weak };
  }

  private checkValue(path: string, attr: Attr, v: unknown, problems: string[], weak: string[], enumLocal: boolean): void {
    const name = path.split('.').pop()!.replace(/\[\]$/, '');
    const dict = this.dictionary[name];
    const isArray = attr.is_array ?? dict?.is_array ?? false;
    if (isArray) {
      if (!Array.isArray(v)) return void problems.push(`${path}: expected an array`);
      for (const x of v) this.checkScalarOrObject(`${path}[]`, attr, x, problems, weak, enumLocal);
      return;
    }
    if (Array.isArray(v)) return void problems.push(`${path}: unexpected array`);
    this.checkScalarOrObject(path, attr, v, problems, weak, enumLocal);
  }

  private checkScalarOrObject(path: string, attr: Attr, v: unknown, problems: string[], weak: string[], enumLocal: boolean): void {
    const t = attr.type ?? 'json_t';
    if (t === 'json_t' || t === 'object') return;
    if (STRING_TYPES.test(t)) {
      if (typeof v !== 'string') problems.push(`${path}: ${JSON.stringify(v)} is not a string (${t})`);
      return;
    }
    if (INT_TYPES.test(t)) {
      if (!Number.isInteger(v)) problems.push(`${path}: ${JSON.stringify(v)} is not an integer (${t})`);
      else if (attr.enum && enumLocal && !(String(v) in attr.enum)) problems.push(`${path}: ${v} not in enum`);
      return;
    }
    if (t === 'float_t') {
      if (typeof v !== 'number') problems.push(`${path}: not a number`);
      return;
    }
    if (t === 'boolean_t') {
      if (typeof v !== 'boolean') problems.push(`${path}: not a boolean`);
      return;
    }
    // An object type.
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return void problems.push(`${path}: expected object ${t}`);
    const { defs, complete } = this.chain(this.objects, t);
    const local: Record<string, Attr> = {};
    for (const d of [...defs].reverse()) Object.assign(local, d.attributes);
    if (!defs.length) weak.push(`object ${t} is not in the shared subset: checked against the dictionary`);
    for (const [k, a] of Object.entries(local)) if (a?.requirement === 'required' && (v as Record<string, unknown>)[k] === undefined) problems.push(`${path}: required ${t}.${k} missing`);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const la = local[k];
      const da = this.dictionary[k];
      if (!la && (!da || (defs.length && complete))) {
        problems.push(`${path}.${k}: not an attribute of ${t}`);
        continue;
      }
      // An enum is checked where this object is defined locally (object-specific enums such
      // as file.type_id live there); the dictionary's generic enum applies otherwise only
      // to locally defined objects.
      const attr2: Attr = { ...da, ...la, type: la?.type ?? da?.type, enum: la?.enum ?? (defs.length ? da?.enum : undefined) };
      this.checkValue(`${path}.${k}`, attr2, x, problems, weak, !!attr2.enum);
    }
  }
}
