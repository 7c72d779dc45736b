// Loads the one YAML configuration file and validates it at load time. Every error names
// file:line:col (YAML positions via the `yaml` package's LineCounter) and a code.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { LocatedError } from '../core/errors.js';
import { configJsonSchema } from './schema.js';
import type { AwConfig } from './types.js';

let validator: ((v: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; keyword: string; params: any }> | null };

function getValidator() {
  if (!validator) validator = new Ajv2020({ allErrors: true, strict: false, useDefaults: false }).compile(configJsonSchema()) as typeof validator;
  return validator;
}

/** Loads and validates a config file; with no file, returns the defaults ({}). */
export function loadConfig(file?: string): AwConfig {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocatedError('CONFIG_READ', file, 1, 1, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  return parseConfigText(text, file);
}

/** Parses and validates config text; `file` is used in error locations. */
export function parseConfigText(text: string, file = '<config>'): AwConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new LocatedError('CONFIG_PARSE', file, pos.line, pos.col, e.message.split('\n')[0]);
  }
  const value = (doc.toJS() ?? {}) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LocatedError('CONFIG_INVALID', file, 1, 1, 'the configuration must be a mapping');
  }
  const validate = getValidator();
  if (!validate(value)) {
    const e = validate.errors![0];
    const path = e.instancePath.split('/').slice(1).map(decodePointer);
    let msg = `${e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(root)'}: ${e.message ?? 'invalid'}`;
    let keyNode = false;
    if (e.keyword === 'additionalProperties') {
      const extra = String(e.params.additionalProperty);
      path.push(extra);
      keyNode = true;
      msg = `${e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') + '.' : ''}${extra}: unknown key`;
    } else if (e.keyword === 'enum') {
      msg += `: ${(e.params.allowedValues as unknown[]).join(', ')}`;
    }
    const { line, col } = locate(doc, lc, path, keyNode);
    throw new LocatedError('CONFIG_INVALID', file, line, col, msg);
  }
  return value as AwConfig;
}

function decodePointer(s: string): string | number {
  const t = s.replace(/~1/g, '/').replace(/~0/g, '~');
  return /^\d+$/.test(t) ? Number(t) : t;
}

function locate(doc: Document, lc: LineCounter, path: Array<string | number>, keyNode: boolean): { line: number; col: number } {
  // Walk down as far as the path exists; point at the key for unknown keys.
  let node: unknown = doc.contents;
  let best: { line: number; col: number } = { line: 1, col: 1 };
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const items = (node as { items?: unknown[] })?.items;
    if (!items) break;
    let next: unknown;
    for (let j = 0; j < items.length; j++) {
      const it = items[j] as { key?: unknown; value?: unknown };
      if (it && typeof it === 'object' && 'key' in it) {
        const k = isNode(it.key) ? (it.key as { value: unknown }).value : it.key;
        if (String(k) === String(seg)) {
          const target = keyNode && i === path.length - 1 ? it.key : it.value ?? it.key;
          next = target;
          break;
        }
      } else if (typeof seg === 'number' && j === seg) {
        next = it;
        break;
      }
    }
    if (next === undefined) break;
    node = next;
    const range = (node as { range?: [number, number] })?.range;
    if (range) {
      const p = lc.linePos(range[0]);
      best = { line: p.line, col: p.col };
    }
  }
  return best;
}
