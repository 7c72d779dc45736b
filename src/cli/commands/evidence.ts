// `agentwarden evidence seal|verify`: sealed, independently verifiable evidence bundles.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { ensureSigningKey, loadPublicKey, loadSigningKey, publicKeyPem } from '../../core/keys.js';
import { toolVersion } from '../../forensics/common/version.js';
import { sealIncident } from '../../forensics/evidence/seal.js';
import { verifyBundle } from '../../forensics/evidence/verify.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { paint, termSafe } from '../output.js';
import { requireStoreDir } from './incident.js';

export const evidenceCommand: Command = {
  summary: 'seal an incident into a signed evidence bundle, or verify one offline',
  usage: `Usage: agentwarden evidence seal INCIDENT [--out DIR] [--key FILE] [--cosign-key FILE] [--json]
       agentwarden evidence verify BUNDLE [--key PUB]... [--store-key PUB] [--json]

seal writes a content-addressed bundle: every record of the incident with its Merkle
inclusion proof against a signed store checkpoint, tool traces, gateway/MCP logs, the
diff of changed files, alerts and the incident log, all named with their sha256 in an
in-toto Statement inside a DSSE envelope signed with Ed25519 (--key, default the
evidence key in the keys dir; --cosign-key adds a second signature).
verify checks signatures, every digest, every inclusion proof and the checkpoint
signature offline, and names each failure. --key pins the signer key(s) (PEM public or
private); without it the keys shipped in the bundle are used and the output says so.
Exit status: 0 verified, 1 verification failed.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: { out: { type: 'string' }, key: { type: 'string', multiple: true }, 'cosign-key': { type: 'string' }, 'store-key': { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
    });
    const json = ctx.json || values.json;
    const [sub, target] = positionals;
    if (sub === 'seal') {
      if (!target) throw new AwError('USAGE', 'evidence seal INCIDENT');
      requireStoreDir(ctx);
      if ((values.key?.length ?? 0) > 1) throw new AwError('USAGE', 'seal takes one --key (and --cosign-key)');
      const key = values.key?.[0] ? loadSigningKey(values.key[0], 'agentwarden-evidence') : ensureSigningKey(ctx.paths.keysDir, 'evidence-ed25519.pem', 'agentwarden-evidence');
      const cosignKey = values['cosign-key'] ? loadSigningKey(values['cosign-key'], 'agentwarden-cosign') : undefined;
      const storePubFile = join(ctx.paths.keysDir, 'store-ed25519.pub.pem');
      const storePub = existsSync(storePubFile) ? readFileSync(storePubFile, 'utf8') : existsSync(join(ctx.paths.keysDir, 'store-ed25519.pem')) ? publicKeyPem(loadPublicKey(join(ctx.paths.keysDir, 'store-ed25519.pem'))) : undefined;
      if (!storePub) throw new AwError('KEY_MISSING', `no store public key in ${ctx.paths.keysDir}`);
      const store = openStoreReadonly(ctx.paths, ctx.config.store ?? {});
      try {
        const r = sealIncident(store, { incidentId: target, key, cosignKey, out: values.out, storePublicKeyPem: storePub, toolVersion: toolVersion() });
        if (json) ctx.out.write(`${JSON.stringify({ bundle: r.dir, bundle_id: `sha256:${r.bundleId}`, records: r.records, files: r.files, bytes: r.bytes, checkpoint_size: r.checkpointSize, ms: Math.round(r.ms) })}\n`);
        else ctx.out.write(`sealed ${target}: ${r.records} record(s), ${r.files} file(s), ${r.bytes} bytes in ${Math.round(r.ms)} ms\nbundle ${termSafe(r.dir)}\nbundle id sha256:${r.bundleId}\n`);
      } finally {
        store.close();
      }
      return 0;
    }
    if (sub === 'verify') {
      if (!target) throw new AwError('USAGE', 'evidence verify BUNDLE');
      const keys = (values.key ?? []).map((k) => loadPublicKey(k));
      const storeKey = values['store-key'] ? loadPublicKey(values['store-key']) : undefined;
      const r = verifyBundle(target, { keys, storeKey });
      if (json) ctx.out.write(`${JSON.stringify({ ok: r.ok, pinned: r.pinned, records: r.records, errors: r.errors, checks: r.checks })}\n`);
      else {
        for (const c of r.checks) if (!c.ok) ctx.err.write(`FAILED ${termSafe(c.name)}: ${termSafe(c.detail)}\n`);
        if (r.ok) {
          ctx.out.write(`${paint(ctx.out, 'green', 'OK')}: ${r.checks.length} check(s) passed; ${r.records} record(s) proven against the signed checkpoint\n`);
          if (!r.pinned) ctx.out.write('note: signatures were checked against the keys shipped in the bundle; pass --key PUB to pin the signer\n');
        } else ctx.out.write(`${paint(ctx.out, 'red', 'FAILED')}: ${r.errors.length} check(s) failed\n`);
      }
      return r.ok ? 0 : 1;
    }
    throw new AwError('USAGE', `unknown subcommand '${termSafe(sub ?? '')}' (seal, verify)`);
  },
};
