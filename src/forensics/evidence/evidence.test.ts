import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { signingKeyFrom, publicKeyPem } from '../../core/keys.js';
import { recordLeaf } from '../../sinks/store/index.js';
import { repoRoot, runCli, sharedDir } from '../../testing/index.js';
import { openIncident } from '../incident/incidents.js';
import { buildStory } from '../testutil.js';
import { pae, serializeEnvelope, signEnvelope, verifyEnvelope, type DsseEnvelope } from './dsse.js';
import { sealIncident, sigstoreBundleText } from './seal.js';
import { verifyBundle } from './verify.js';

function newKey(name: string) {
  return signingKeyFrom(generateKeyPairSync('ed25519').privateKey, name);
}

function sealed(opts: { cosign?: boolean } = {}) {
  const story = buildStory();
  const inc = openIncident(story.store, { sessions: [story.s1, story.s2], alerts: [story.seq.alert], reason: 'test' });
  const key = newKey('evidence');
  const cosignKey = opts.cosign ? newKey('cosign') : undefined;
  const storePub = readFileSync(join(story.paths.keysDir, 'store-ed25519.pub.pem'), 'utf8');
  const out = join(mkdtempSync(join(tmpdir(), 'aw-bundle-')), 'bundle');
  const r = sealIncident(story.store, { incidentId: inc.id, key, cosignKey, out, storePublicKeyPem: storePub, toolVersion: '0.1.0-test' });
  return { story, inc, key, cosignKey, r, storePub };
}

function files(dir: string, base = dir, out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) files(p, base, out);
    else out.push(relative(base, p));
  }
  return out;
}

test('DSSE PAE and Ed25519 envelopes match the shared vectors', () => {
  const v = JSON.parse(readFileSync(sharedDir('data', 'dsse', 'pae-vectors.json'), 'utf8')) as { vectors: Array<Record<string, any>> };
  let checked = 0;
  for (const vec of v.vectors) {
    if (vec.pae_utf8 && vec.payload_utf8 !== undefined) {
      assert.equal(pae(vec.payloadType, Buffer.from(vec.payload_utf8, 'utf8')).toString('utf8'), vec.pae_utf8);
      checked++;
    }
  }
  const ed = v.vectors.find((x) => x.id === 'derived-dsse-hello-world-ed25519-rfc8032-test1')!;
  const pub = createPublicKey(ed.public_key_spki_pem);
  assert.ok(verifyEnvelope(ed.envelope as DsseEnvelope, [pub]).checks[0].verifiedBy === 0);
  // Same signature from our signer with the RFC 8032 TEST 1 seed (Ed25519 is deterministic).
  const t1 = v.vectors.find((x) => x.id === 'rfc8032-test1-ed25519-empty')!;
  const priv = createPrivateKey({ key: Buffer.from(`302e020100300506032b657004220420${t1.secret_seed_hex}`, 'hex'), format: 'der', type: 'pkcs8' });
  const env = signEnvelope(ed.payloadType, Buffer.from(ed.payload_b64, 'base64'), [signingKeyFrom(priv, 't1')]);
  assert.equal(env.signatures[0].sig, ed.envelope.signatures[0].sig);
  assert.equal(sign(null, Buffer.alloc(0), priv).toString('hex'), t1.signature_hex);
  // A changed payload does not verify.
  assert.equal(verifyEnvelope({ ...(ed.envelope as DsseEnvelope), payload: Buffer.from('hello worle').toString('base64') }, [pub]).checks[0].verifiedBy, -1);
  assert.ok(checked >= 2);
});

test('sealed bundle verifies; records recompute their leaves; proofs and checkpoint check', () => {
  const { story, key, r } = sealed();
  try {
    const res = verifyBundle(r.dir, { keys: [key.publicKey] });
    assert.deepEqual(res.errors, []);
    assert.ok(res.ok && res.pinned);
    assert.ok(res.records >= 14, `records ${res.records}`);
    // Each record line carries the stored canonical body: its leaf is the store's leaf.
    const leaves = story.store.leafHashes();
    for (const line of readFileSync(join(r.dir, 'records.jsonl'), 'utf8').trim().split('\n')) {
      const rec = JSON.parse(line) as { seq: number; leaf: string; body: string };
      assert.equal(recordLeaf(rec.body).toString('hex'), rec.leaf);
      assert.equal(leaves[rec.seq - 1].toString('hex'), rec.leaf);
    }
    // Contents: the credential read, the agent's tool call, the commit diff, the alert.
    const traces = readFileSync(join(r.dir, 'tool-traces.jsonl'), 'utf8');
    assert.match(traces, /toolu_01/);
    assert.match(readFileSync(join(r.dir, 'alerts.jsonl'), 'utf8'), /AW-IOC-CRED-001/);
    const patch = readFileSync(join(r.dir, 'fs-diff.patch'), 'utf8');
    assert.match(patch, /\+\+\+ b\/notes\.md/);
    assert.match(patch, /agent: add notes/);
    const snaps = JSON.parse(readFileSync(join(r.dir, 'snapshots.json'), 'utf8')) as Array<{ path: string; blob?: string; withheld?: string }>;
    const cred = snaps.find((s) => s.path === story.credPath)!;
    assert.ok(cred && !cred.blob && cred.withheld, 'credential snapshot listed by digest only');
    assert.ok(!files(r.dir).some((f) => readFileSync(join(r.dir, f), 'utf8').includes('not-a-real-secret')), 'no secret content in the bundle');
    const log = JSON.parse(readFileSync(join(r.dir, 'incident.json'), 'utf8')) as { log: Array<{ action: string }> };
    assert.deepEqual(log.log.map((l) => l.action).slice(0, 2), ['open', 'freeze']);
    // A different trusted key fails.
    const wrong = verifyBundle(r.dir, { keys: [newKey('x').publicKey] });
    assert.equal(wrong.ok, false);
    assert.ok(wrong.errors.some((e) => /does not verify/.test(e)));
  } finally {
    story.store.close();
  }
});

test('any single changed byte in any file of the bundle fails verification', () => {
  const { story, key, r } = sealed({ cosign: true });
  story.store.close();
  const all = files(r.dir);
  assert.ok(all.includes('envelope.dsse.json') && all.includes('proofs.jsonl') && all.includes('sigstore/cosigner.sigstore.json') && all.includes('keys/cosigner.pub.pem'));
  const scratch = mkdtempSync(join(tmpdir(), 'aw-tamper-'));
  let n = 0;
  for (const f of all) {
    const size = statSync(join(r.dir, f)).size;
    // Three positions per file: start, middle, last byte.
    for (const pos of [0, Math.floor(size / 2), size - 1]) {
      const copy = join(scratch, `t${n++}`);
      cpSync(r.dir, copy, { recursive: true });
      const buf = readFileSync(join(copy, f));
      buf[pos] = buf[pos] ^ 0x01;
      writeFileSync(join(copy, f), buf);
      const res = verifyBundle(copy, { keys: [key.publicKey] });
      assert.equal(res.ok, false, `flipping byte ${pos} of ${f} went unnoticed`);
    }
  }
  // Added and removed files fail too.
  const added = join(scratch, 'added');
  cpSync(r.dir, added, { recursive: true });
  writeFileSync(join(added, 'extra.txt'), 'x');
  assert.ok(verifyBundle(added).errors.some((e) => /extra\.txt: not named/.test(e)));
  const removed = join(scratch, 'removed');
  cpSync(r.dir, removed, { recursive: true });
  writeFileSync(join(removed, 'alerts.jsonl'), '');
  assert.equal(verifyBundle(removed).ok, false);
  assert.ok(n >= 3 * 14);
});

test('a re-signed bundle with an edited record still fails on its inclusion proof', () => {
  // An attacker holding the evidence key edits a record and re-signs every digest: the
  // store checkpoint (signed by the store key) still exposes the edit.
  const { story, key, r } = sealed();
  story.store.close();
  const copy = join(mkdtempSync(join(tmpdir(), 'aw-resign-')), 'b');
  cpSync(r.dir, copy, { recursive: true });
  const recFile = join(copy, 'records.jsonl');
  const lines = readFileSync(recFile, 'utf8').trim().split('\n');
  const target = lines.findIndex((l) => l.includes('credentials'));
  const rec = JSON.parse(lines[target]) as { seq: number; leaf: string; body: string };
  rec.body = rec.body.replace('credentials', 'credentialz');
  rec.leaf = recordLeaf(rec.body).toString('hex');
  lines[target] = JSON.stringify(rec);
  writeFileSync(recFile, `${lines.join('\n')}\n`);
  const env = JSON.parse(readFileSync(join(copy, 'envelope.dsse.json'), 'utf8')) as DsseEnvelope;
  const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as { subject: Array<{ name: string; digest: { sha256: string } }> };
  for (const s of st.subject) s.digest.sha256 = createHash('sha256').update(readFileSync(join(copy, s.name))).digest('hex');
  const env2 = signEnvelope(env.payloadType, Buffer.from(JSON.stringify(st)), [key]);
  writeFileSync(join(copy, 'envelope.dsse.json'), serializeEnvelope(env2));
  writeFileSync(join(copy, 'sigstore', 'signer.sigstore.json'), sigstoreBundleText(env2, 0));
  const res = verifyBundle(copy, { keys: [key.publicKey] });
  assert.equal(res.ok, false);
  assert.deepEqual(res.errors.map((e) => e.split(':')[0]), ['inclusion proofs']);
  assert.match(res.errors[0], new RegExp(`seq ${rec.seq}: inclusion proof`));
});


test('cosigned bundle: both keys verify, a bad cosignature fails', () => {
  const { story, key, cosignKey, r } = sealed({ cosign: true });
  story.store.close();
  assert.ok(verifyBundle(r.dir, { keys: [key.publicKey, cosignKey!.publicKey] }).ok);
  const other = newKey('o');
  const res = verifyBundle(r.dir, { keys: [key.publicKey, other.publicKey] });
  assert.equal(res.ok, false);
  assert.ok(res.errors.some((e) => /--key #2: no signature/.test(e)));
});

test('openssl alone verifies the bundle with the documented snippet (and rejects a changed payload)', (t) => {
  const ossl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  const jq = spawnSync('jq', ['--version'], { encoding: 'utf8' });
  if (ossl.status !== 0 || !/OpenSSL 3/.test(ossl.stdout) || jq.status !== 0) return t.skip('needs OpenSSL 3 and jq');
  const doc = readFileSync(join(repoRoot(), 'docs', 'forensics.md'), 'utf8');
  const m = /<!-- verify-openssl -->\n```sh\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/forensics.md has the openssl snippet');
  const script = join(mkdtempSync(join(tmpdir(), 'aw-ossl-')), 'verify.sh');
  writeFileSync(script, m[1]);
  const { story, key, r, storePub } = sealed();
  story.store.close();
  const keyFile = join(tmpdir(), `aw-signer-${process.pid}.pem`);
  writeFileSync(keyFile, publicKeyPem(key));
  const storeFile = join(tmpdir(), `aw-store-${process.pid}.pem`);
  writeFileSync(storeFile, storePub);
  const ok = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, BUNDLE: r.dir, SIGNER_PUB: keyFile, STORE_PUB: storeFile } });
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /Signature Verified Successfully[\s\S]*Signature Verified Successfully[\s\S]*verified/);
  // Tampered payload: the signature check fails.
  const copy = join(mkdtempSync(join(tmpdir(), 'aw-ossl-bad-')), 'b');
  cpSync(r.dir, copy, { recursive: true });
  const env = JSON.parse(readFileSync(join(copy, 'envelope.dsse.json'), 'utf8')) as DsseEnvelope;
  const p = Buffer.from(env.payload, 'base64');
  p[p.length - 3] ^= 1;
  env.payload = p.toString('base64');
  writeFileSync(join(copy, 'envelope.dsse.json'), serializeEnvelope(env));
  const bad = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, BUNDLE: copy, SIGNER_PUB: keyFile, STORE_PUB: storeFile } });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout + bad.stderr, /Signature Verification Failure/);
  // A changed file: the digest check fails.
  const copy2 = join(mkdtempSync(join(tmpdir(), 'aw-ossl-bad2-')), 'b');
  cpSync(r.dir, copy2, { recursive: true });
  writeFileSync(join(copy2, 'alerts.jsonl'), readFileSync(join(copy2, 'alerts.jsonl'), 'utf8').replace('critical', 'low'));
  assert.notEqual(spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, BUNDLE: copy2, SIGNER_PUB: keyFile, STORE_PUB: storeFile } }).status, 0);
});

test('@sigstore/verify verifies the envelope offline with the Ed25519 key', async () => {
  const { story, key, r } = sealed();
  story.store.close();
  const { bundleFromJSON } = await import('@sigstore/bundle');
  const { Verifier, toSignedEntity, toTrustMaterial } = await import('@sigstore/verify');
  const emptyRoot = { mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1', tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [] };
  const verifyWith = (file: string, pub: KeyObject) => {
    const bundle = bundleFromJSON(JSON.parse(readFileSync(file, 'utf8')));
    const trust = toTrustMaterial(emptyRoot as never, () => ({ publicKey: pub, validFor: () => true }));
    const v = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    return v.verify(toSignedEntity(bundle));
  };
  const signer = verifyWith(join(r.dir, 'sigstore', 'signer.sigstore.json'), key.publicKey);
  assert.equal((signer.key as KeyObject).asymmetricKeyType, 'ed25519');
  assert.throws(() => verifyWith(join(r.dir, 'sigstore', 'signer.sigstore.json'), newKey('z').publicKey), /signature verification failed|SIGNATURE/i);
  // The Sigstore copy carries exactly the payload of the canonical envelope.
  const env = JSON.parse(readFileSync(join(r.dir, 'envelope.dsse.json'), 'utf8')) as DsseEnvelope;
  const sb = JSON.parse(readFileSync(join(r.dir, 'sigstore', 'signer.sigstore.json'), 'utf8')) as { dsseEnvelope: DsseEnvelope };
  assert.equal(sb.dsseEnvelope.payload, env.payload);
  // A tampered payload in the Sigstore bundle is rejected by @sigstore/verify too.
  const bad = join(mkdtempSync(join(tmpdir(), 'aw-sig-')), 'b.json');
  const p = Buffer.from(sb.dsseEnvelope.payload, 'base64');
  p[10] ^= 1;
  sb.dsseEnvelope.payload = p.toString('base64');
  writeFileSync(bad, JSON.stringify(sb));
  assert.throws(() => verifyWith(bad, key.publicKey), /signature verification failed|SIGNATURE/i);
});

test('CLI: incident open, evidence seal, evidence verify (pinned), tamper exit 1', () => {
  const story = buildStory();
  story.store.close();
  const home = story.home;
  const open = runCli(['--store', home, 'incident', 'open', '--session', story.s1, '--reason', 'exfil', '--json']);
  assert.equal(open.code, 0, open.stderr);
  const inc = JSON.parse(open.stdout) as { id: string };
  const out = join(mkdtempSync(join(tmpdir(), 'aw-cli-')), 'b');
  const seal = runCli(['--store', home, 'evidence', 'seal', inc.id, '--out', out, '--json']);
  assert.equal(seal.code, 0, seal.stderr);
  assert.ok(existsSync(join(out, 'envelope.dsse.json')));
  const evPub = join(home, 'keys', 'evidence-ed25519.pub.pem');
  const v = runCli(['evidence', 'verify', out, '--key', evPub]);
  assert.equal(v.code, 0, v.stderr + v.stdout);
  assert.match(v.stdout, /^OK: /);
  writeFileSync(join(out, 'proofs.jsonl'), readFileSync(join(out, 'proofs.jsonl'), 'utf8').replace('"tree_size"', '"tree_size" '));
  const bad = runCli(['evidence', 'verify', out, '--key', evPub]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /FAILED proofs\.jsonl: sha256/);
});

test('ProofTree gives the reference MerkleTree roots and proofs at every size up to 70', async () => {
  const { MerkleTree, leafHash, verifyInclusion } = await import('../../core/merkle.js');
  const { ProofTree } = await import('./prooftree.js');
  for (let n = 1; n <= 70; n++) {
    const leaves = Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const ref = new MerkleTree(leaves);
    const fast = new ProofTree(Buffer.concat(leaves));
    assert.deepEqual(fast.root(), ref.root(), `root n=${n}`);
    for (let i = 0; i < n; i++) {
      const p = fast.inclusionProof(i);
      assert.equal(fast.inclusionProofPacked(i), Buffer.concat(p).toString('base64'));
      assert.deepEqual(p, ref.inclusionProof(i), `proof n=${n} i=${i}`);
      assert.ok(verifyInclusion(i, n, leaves[i], p, ref.root()));
    }
  }
});

test('values the store keeps as salted commitments stay committed in the bundle', () => {
  const story = buildStory();
  try {
    const secretPrompt = 'my password is hunter2-do-not-leak';
    story.store.appendBatch([{ event: { time: new Date().toISOString(), kind: 'agent.prompt', source: { type: 'hook' }, session: { id: story.s1, agent: { kind: 'claude-code' } }, agent: { prompt: { text: secretPrompt } } }, commit: ['agent.prompt.text'] }]);
    const inc = openIncident(story.store, { sessions: [story.s1] });
    const key = newKey('e');
    const out = join(mkdtempSync(join(tmpdir(), 'aw-commit-')), 'b');
    sealIncident(story.store, { incidentId: inc.id, key, out, storePublicKeyPem: readFileSync(join(story.paths.keysDir, 'store-ed25519.pub.pem'), 'utf8'), toolVersion: 't' });
    for (const f of files(out)) assert.ok(!readFileSync(join(out, f), 'utf8').includes('hunter2'), `${f} leaks a committed value`);
    assert.match(readFileSync(join(out, 'tool-traces.jsonl'), 'utf8'), /"\$commit":"sha256:[0-9a-f]{64}"/);
    assert.ok(verifyBundle(out, { keys: [key.publicKey] }).ok);
  } finally {
    story.store.close();
  }
});

test('the documented Python snippet verifies every inclusion proof and catches an edited record', (t) => {
  if (spawnSync('python3', ['--version']).status !== 0) return t.skip('needs python3');
  const doc = readFileSync(join(repoRoot(), 'docs', 'forensics.md'), 'utf8');
  const m = /<!-- verify-proofs -->\n```python\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/forensics.md has the proof snippet');
  const script = join(mkdtempSync(join(tmpdir(), 'aw-py-')), 'proofs.py');
  writeFileSync(script, m[1]);
  const { story, r } = sealed();
  story.store.close();
  const ok = spawnSync('python3', [script, r.dir], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  assert.match(ok.stdout, /all verified/);
  const copy = join(mkdtempSync(join(tmpdir(), 'aw-py-bad-')), 'b');
  cpSync(r.dir, copy, { recursive: true });
  writeFileSync(join(copy, 'records.jsonl'), readFileSync(join(copy, 'records.jsonl'), 'utf8').replace('credentials', 'credentialz'));
  const bad = spawnSync('python3', [script, copy], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /bad proof for seq \d+/);
});
