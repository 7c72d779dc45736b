// Secrets in exporter config: given inline (`token`), by environment variable
// (`token_env`) or by file (`token_file`). Resolved once when the exporter is created.
import { readFileSync } from 'node:fs';
import { AwError } from '../../../core/errors.js';

export function resolveSecret(cfg: Record<string, unknown>, key: string, exporter: string): string {
  const inline = cfg[key];
  if (typeof inline === 'string' && inline) return inline;
  const env = cfg[`${key}_env`];
  if (typeof env === 'string' && env) {
    const v = process.env[env];
    if (!v) throw new AwError('EXPORTER_SECRET', `exporter ${exporter}: environment variable ${env} (${key}_env) is not set`);
    return v;
  }
  const file = cfg[`${key}_file`];
  if (typeof file === 'string' && file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new AwError('EXPORTER_SECRET', `exporter ${exporter}: cannot read ${key}_file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new AwError('EXPORTER_SECRET', `exporter ${exporter}: one of ${key}, ${key}_env or ${key}_file is required`);
}

/** JSON Schema properties for a secret named `key`. */
export function secretProps(key: string): Record<string, object> {
  return { [key]: { type: 'string', minLength: 1 }, [`${key}_env`]: { type: 'string', minLength: 1 }, [`${key}_file`]: { type: 'string', minLength: 1 } };
}

/** JSON Schema clause: exactly one of the three forms present. */
export function secretRequired(key: string): object {
  return { oneOf: [{ required: [key] }, { required: [`${key}_env`] }, { required: [`${key}_file`] }] };
}
