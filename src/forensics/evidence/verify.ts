// Offline verification of an evidence bundle. Checks, and names exactly what failed:
//   - the DSSE envelope's signatures (against the keys given, or the ones in the bundle),
//   - that every file in the bundle is a subject of the signed statement with the right
//     sha256 (and no file is missing or added), byte for byte,
//   - the store checkpoint's signature and that the statement names the same checkpoint,
//   - every record's leaf hash and its RFC 9162 inclusion proof against the checkpoint root,
//   - that the signature-carrying files (envelope, keys, Sigstore bundles) are exactly the
//     bytes we would write for the verified content, so no byte anywhere can change.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { verifyCheckpoint } from '../../core/checkpoint.js';
import { verifyInclusion } from '../../core/merkle.js';
import { recordLeaf } from '../../sinks/store/index.js';
import { INTOTO_PAYLOAD_TYPE, decodeB64, serializeEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import { EVIDENCE_PREDICATE_TYPE, UNSIGNED_FILES, sigstoreBundleText, type Statement } from './seal.js';

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface BundleVerifyResult {
  ok: boolean;
  checks: VerifyCheck[];
  /** Failures only, one line each. */
  errors: string[];
  records: number;
  /** True when the signatures were checked against keys given by the caller. */
  pinned: boolean;
  statement?: Statement;
}

function listFiles(dir: string, base = dir, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) listFiles(p, base, out);
    else out.push(relative(base, p).split('\\').join('/'));
  }
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function verifyBundle(dir: string, opts: { keys?: KeyObject[]; storeKey?: KeyObject } = {}): BundleVerifyResult {
  const checks: VerifyCheck[] = [];
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const done = (records = 0, statement?: Statement): BundleVerifyResult => ({
    ok: checks.every((c) => c.ok),
    checks,
    errors: checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`),
    records,
    pinned: Boolean(opts.keys?.length),
    statement,
  });
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    check('bundle', false, `${dir} is not a directory`);
    return done();
  }
  const read = (name: string): Buffer | undefined => {
    const p = join(dir, name);
    return existsSync(p) ? readFileSync(p) : undefined;
  };

  // 1. Envelope: parse, exact bytes, signatures.
  const envBytes = read('envelope.dsse.json');
  if (!envBytes) {
    check('envelope.dsse.json', false, 'missing');
    return done();
  }
  let env: DsseEnvelope;
  try {
    env = JSON.parse(envBytes.toString('utf8')) as DsseEnvelope;
  } catch (err) {
    check('envelope.dsse.json', false, `not JSON: ${(err as Error).message}`);
    return done();
  }
  if (!Array.isArray(env?.signatures) || env.signatures.length === 0) {
    check('envelope.dsse.json', false, 'no signatures');
    return done();
  }
  let canonical = '';
  try {
    canonical = serializeEnvelope(env);
  } catch {
    canonical = '';
  }
  check('envelope.dsse.json', canonical === envBytes.toString('utf8') && decodeB64(env.payload)?.toString('base64') === env.payload, canonical === envBytes.toString('utf8') ? 'canonical form' : 'bytes differ from the canonical serialization of its content (edited)');
  check('envelope payloadType', env.payloadType === INTOTO_PAYLOAD_TYPE, `payloadType ${JSON.stringify(env.payloadType)}`);

  const bundleKeys: Array<{ file: string; key?: KeyObject }> = ['keys/signer.pub.pem', 'keys/cosigner.pub.pem']
    .filter((f) => read(f))
    .map((file) => {
      try {
        const text = read(file)!.toString('utf8');
        const key = createPublicKey(text);
        const same = key.asymmetricKeyType === 'ed25519' && key.export({ type: 'spki', format: 'pem' }).toString() === text;
        check(file, same, same ? 'Ed25519 public key' : 'not an Ed25519 public key in canonical PEM');
        return { file, key: same ? key : undefined };
      } catch (err) {
        check(file, false, `unreadable key: ${(err as Error).message}`);
        return { file };
      }
    });
  const trusted = opts.keys?.length ? opts.keys : bundleKeys.map((k) => k.key).filter((k): k is KeyObject => Boolean(k));
  const v = verifyEnvelope(env, trusted);
  if (v.error) check('signatures', false, v.error);
  for (const c of v.checks) {
    check(`signature ${c.index} (keyid ${c.keyid.slice(0, 16)})`, c.verifiedBy >= 0, c.verifiedBy >= 0 ? `verified by ${opts.keys?.length ? `--key #${c.verifiedBy + 1}` : 'the key shipped in the bundle (pass --key to pin)'}` : 'does not verify with any trusted key');
  }
  if (opts.keys?.length) {
    const used = new Set(v.checks.map((c) => c.verifiedBy).filter((i) => i >= 0));
    for (let i = 0; i < opts.keys.length; i++) check(`--key #${i + 1}`, used.has(i), used.has(i) ? 'signed the statement' : 'no signature by this key');
  } else {
    // Without pinned keys, each shipped key must be the one that made its signature.
    bundleKeys.forEach((bk, i) => {
      if (bk.key && v.checks[i]) check(`${bk.file} matches signature ${i}`, v.checks[i].verifiedBy === trusted.indexOf(bk.key), 'key file and signature order');
    });
  }
  if (bundleKeys.length !== env.signatures.length) check('keys/', false, `${bundleKeys.length} key file(s) for ${env.signatures.length} signature(s)`);
  // Sigstore single-signature bundles must be exactly derived from the envelope.
  ['sigstore/signer.sigstore.json', 'sigstore/cosigner.sigstore.json'].forEach((f, i) => {
    const b = read(f);
    if (!b && i >= env.signatures.length) return;
    check(f, Boolean(b) && i < env.signatures.length && b!.toString('utf8') === sigstoreBundleText(env, i), b ? 'derived from the envelope' : 'missing');
  });
  if (!v.payload) return done();

  // 2. Statement.
  let st: Statement;
  try {
    st = JSON.parse(v.payload.toString('utf8')) as Statement;
  } catch (err) {
    check('statement', false, `payload is not JSON: ${(err as Error).message}`);
    return done();
  }
  check('statement', st._type === 'https://in-toto.io/Statement/v1' && st.predicateType === EVIDENCE_PREDICATE_TYPE && Array.isArray(st.subject), `in-toto Statement v1, predicateType ${String(st.predicateType)}`);

  // 3. Every file is a subject with the right digest; nothing missing or extra.
  const subjects = new Map((st.subject ?? []).map((s) => [s.name, s.digest?.sha256]));
  const present = listFiles(dir);
  let fileErrors = 0;
  for (const f of present) {
    if (UNSIGNED_FILES.test(f)) continue;
    const want = subjects.get(f);
    if (!want) {
      check(f, false, 'not named in the signed statement (added file)');
      fileErrors++;
      continue;
    }
    const got = sha256(readFileSync(join(dir, f)));
    if (got !== want) {
      check(f, false, `sha256 ${got} != signed ${want}`);
      fileErrors++;
    }
  }
  const presentSet = new Set(present);
  for (const name of subjects.keys()) {
    if (!presentSet.has(name)) {
      check(name, false, 'named in the signed statement but missing');
      fileErrors++;
    }
  }
  check('file digests', fileErrors === 0, `${subjects.size} signed file(s), ${fileErrors} problem(s)`);

  // 4. Checkpoint.
  const pred = st.predicate as { checkpoint?: { note?: string; size?: number; root_sha256?: string }; records?: { count?: number } };
  const note = read('checkpoint.note')?.toString('utf8');
  const storePem = read('store-key.pub.pem')?.toString('utf8');
  let root: Buffer | undefined;
  let size = -1;
  if (!note || !storePem) check('checkpoint.note', false, 'checkpoint or store key missing');
  else {
    let storeKey: KeyObject | undefined = opts.storeKey;
    try {
      storeKey ??= createPublicKey(storePem);
    } catch (err) {
      check('store-key.pub.pem', false, `unreadable: ${(err as Error).message}`);
    }
    if (storeKey) {
      const names = [...note.matchAll(/^\u2014 (\S+) /gm)].map((m) => m[1]);
      const r = verifyCheckpoint(note, storeKey, names[0] ?? 'agentwarden');
      if (r.ok) {
        check('checkpoint signature', true, `${r.checkpoint.origin} size ${r.checkpoint.size}${opts.storeKey ? ' (pinned store key)' : ''}`);
        root = r.checkpoint.root;
        size = r.checkpoint.size;
        check('checkpoint in statement', pred.checkpoint?.note === note && pred.checkpoint?.size === size && pred.checkpoint?.root_sha256 === root.toString('hex'), 'the signed statement names this checkpoint');
      } else check('checkpoint signature', false, r.reason);
    }
  }

  // 5. Records and inclusion proofs.
  const recText = read('records.jsonl')?.toString('utf8');
  const proofText = read('proofs.jsonl')?.toString('utf8');
  let nrec = 0;
  if (recText === undefined || proofText === undefined) check('records', false, 'records.jsonl or proofs.jsonl missing');
  else if (root) {
    const recs = recText.split('\n');
    const proofs = proofText.split('\n');
    if (recs[recs.length - 1] === '') recs.pop();
    if (proofs[proofs.length - 1] === '') proofs.pop();
    let bad = 0;
    const badSeqs: string[] = [];
    const fail = (what: string) => {
      bad++;
      if (badSeqs.length < 10) badSeqs.push(what);
    };
    if (recs.length !== proofs.length) fail(`${recs.length} records but ${proofs.length} proofs`);
    for (let i = 0; i < recs.length; i++) {
      nrec++;
      let r: { seq: number; leaf: string; body: string };
      let p: { seq: number; index: number; tree_size: number; proof: string };
      try {
        r = JSON.parse(recs[i]);
        p = JSON.parse(proofs[i] ?? 'null');
      } catch {
        fail(`line ${i + 1}: not JSON`);
        continue;
      }
      if (!r || !p || typeof r.body !== 'string') {
        fail(`line ${i + 1}: malformed`);
        continue;
      }
      const leaf = recordLeaf(r.body);
      let bodySeq: unknown;
      try {
        bodySeq = (JSON.parse(r.body) as { seq?: unknown }).seq;
      } catch {
        bodySeq = undefined;
      }
      if (leaf.toString('hex') !== r.leaf || bodySeq !== r.seq) {
        fail(`seq ${r.seq}: body does not hash to its leaf`);
        continue;
      }
      if (p.seq !== r.seq || p.index !== r.seq - 1 || p.tree_size !== size || typeof p.proof !== 'string') {
        fail(`seq ${r.seq}: proof header does not match the record and checkpoint`);
        continue;
      }
      let ok = false;
      try {
        const packed = decodeB64(p.proof);
        if (packed && packed.length % 32 === 0) {
          const hashes: Buffer[] = [];
          for (let o = 0; o < packed.length; o += 32) hashes.push(packed.subarray(o, o + 32));
          ok = verifyInclusion(p.index, p.tree_size, leaf, hashes, root);
        }
      } catch {
        ok = false;
      }
      if (!ok) fail(`seq ${r.seq}: inclusion proof does not lead to the checkpoint root`);
    }
    if (pred.records?.count !== nrec) fail(`statement says ${String(pred.records?.count)} records, bundle has ${nrec}`);
    check('inclusion proofs', bad === 0, bad ? `${bad} failure(s): ${badSeqs.join('; ')}` : `${nrec} record(s) included in the checkpoint tree of size ${size}`);
  }
  return done(nrec, st);
}
