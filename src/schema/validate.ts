// Validation of untrusted events (ingest, receivers). Compiled once at module load.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { AwEvent } from './event.js';
import { EVENT_JSON_SCHEMA } from './json-schema.js';
import { parseTimeNs } from './time.js';

const ajv = new Ajv2020({ allErrors: false, strict: false });
const check = ajv.compile(EVENT_JSON_SCHEMA as object);

/** Result of validating one candidate event. */
export type ValidationResult = { ok: true; event: AwEvent; timeNs: bigint } | { ok: false; reason: string };

/** Validates an already-parsed value against the event schema; the reason names the field. */
export function validateEvent(value: unknown): ValidationResult {
  if (!check(value)) {
    const e = check.errors?.[0];
    const where = e?.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'event';
    let msg = e?.message ?? 'invalid';
    if (e?.keyword === 'additionalProperties') msg = `unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`;
    if (e?.keyword === 'enum') msg = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).slice(0, 8).join(', ')}${((e.params as { allowedValues: unknown[] }).allowedValues?.length ?? 0) > 8 ? ', ...' : ''}`;
    return { ok: false, reason: `${where}: ${msg}` };
  }
  const ev = value as AwEvent;
  const timeNs = parseTimeNs(ev.time);
  if (timeNs === undefined) return { ok: false, reason: `time: not a valid RFC 3339 timestamp` };
  return { ok: true, event: ev, timeNs };
}

/** Parses and validates one JSON line. */
export function parseEventLine(line: string): ValidationResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: `not JSON: ${(err as Error).message}` };
  }
  return validateEvent(value);
}
