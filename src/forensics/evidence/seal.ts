// Seals an incident into a content-addressed evidence bundle (a directory):
//
//   manifest.json        format, incident, checkpoint, every file with its sha256 and size
//   incident.json        the incident record and its action log (who, when, what)
//   records.jsonl        every record of the incident window: {"seq", "leaf", "body"} where
//                        body is the stored canonical text, so SHA-256(0x00 || body) = leaf
//   proofs.jsonl         RFC 9162 inclusion proof of each record against the checkpoint
//                        ("proof": base64 of the concatenated 32-byte path hashes, leaf first)
//   checkpoint.note      the store's signed checkpoint (C2SP signed note) covering them
//   store-key.pub.pem    the store's public key (verifies checkpoint.note)
//   tool-traces.jsonl    agent-level traces: prompts, tool calls and results, sub-agents, decisions
//   gateway-logs.jsonl   gateway statements/requests and MCP tool calls (when present)
//   alerts.jsonl         the alerts of the window
//   fs-diff.patch        unified diff of files changed in the window
//   snapshots.json       index of the files frozen at incident open (content of non-secret
//   snapshots/<sha256>   files; credential files are listed by digest only)
//   envelope.dsse.json   DSSE envelope, payload = in-toto Statement v1 naming every file above
//                        as a subject with its sha256; Ed25519 signature (+ optional cosignature)
//   keys/*.pub.pem       the signers' public keys
//   sigstore/*.json      one single-signature Sigstore bundle per signer (for @sigstore/verify)
//
// The directory is named after the statement digest, so the name itself addresses the content.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { verifyCheckpoint } from '../../core/checkpoint.js';
import { AwError } from '../../core/errors.js';
import { loadPublicKey, publicKeyPem, type SigningKey } from '../../core/keys.js';
import { nowTime } from '../../schema/index.js';
import { BLOCK, type EventStore, type StoredEvent } from '../../sinks/store/index.js';
import { isCredentialPath } from '../common/classify.js';
import { scopeEvents, type Scope } from '../common/scope.js';
import { IncidentDb } from '../incident/db.js';
import { defaultActor, type SnapshotEntry } from '../incident/incidents.js';
import { windowDiff } from './diff.js';
import { ProofTree } from './prooftree.js';
import { INTOTO_PAYLOAD_TYPE, serializeEnvelope, signEnvelope, type DsseEnvelope } from './dsse.js';

export const EVIDENCE_PREDICATE_TYPE = 'https://agentwarden.dev/evidence/v1';
export const BUNDLE_FORMAT = 'agentwarden-evidence/v1';
/** Files that carry the signatures and therefore cannot be subjects of the signed statement. */
export const UNSIGNED_FILES = /^(envelope\.dsse\.json|keys\/[a-z]+\.pub\.pem|sigstore\/[a-z]+\.sigstore\.json)$/;

export interface SealOptions {
  incidentId: string;
  /** Evidence signing key (required) and optional cosigning key. */
  key: SigningKey;
  cosignKey?: SigningKey;
  /** Bundle directory to create; default <incident evidence dir>/bundle-<digest>. */
  out?: string;
  /** The store's public key PEM (verifies its checkpoints). */
  storePublicKeyPem: string;
  toolVersion: string;
  actor?: string;
}

export interface SealResult {
  dir: string;
  bundleId: string;
  records: number;
  bytes: number;
  files: number;
  checkpointSize: number;
  ms: number;
  /** Milliseconds per phase (for the benchmark). */
  phases: Record<string, number>;
}

export interface Statement {
  _type: 'https://in-toto.io/Statement/v1';
  subject: Array<{ name: string; digest: { sha256: string } }>;
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** The Sigstore bundle v0.3 wrapping of a single-signature envelope (exact bytes we write). */
export function sigstoreBundleText(env: DsseEnvelope, sigIndex: number): string {
  const sig = env.signatures[sigIndex];
  return `${JSON.stringify(
    {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: sig.keyid }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
      dsseEnvelope: { payload: env.payload, payloadType: env.payloadType, signatures: [{ sig: sig.sig, keyid: sig.keyid }] },
    },
    null,
    2,
  )}\n`;
}

const AGENT_TRACE_KINDS = new Set(['agent.prompt', 'agent.response', 'agent.tool.call', 'agent.tool.result', 'agent.subagent.spawn', 'agent.decision', 'agent.session.start', 'agent.session.end', 'agent.file.edit']);

export function sealIncident(store: EventStore, opts: SealOptions): SealResult {
  const t0 = performance.now();
  const phases: Record<string, number> = {};
  let tp = t0;
  const phase = (name: string) => {
    const now = performance.now();
    phases[name] = (phases[name] ?? 0) + now - tp;
    tp = now;
  };
  const db = IncidentDb.open(store.dir);
  let inc;
  let log;
  try {
    inc = db.require(opts.incidentId);
    log = db.logOf(inc.id);
  } finally {
    db.close();
  }
  const latest = store.latestCheckpoint();
  if (!latest) throw new AwError('NO_CHECKPOINT', 'the store has no signed checkpoint yet');
  const scope: Scope = { kind: 'incident', id: inc.id, sessions: inc.sessions, incident: inc };
  const timed = scopeEvents(store, scope, { maxSeq: latest.size });
  if (!timed.length) throw new AwError('EMPTY', `incident ${inc.id} has no records`);
  const events: StoredEvent[] = timed.map((t) => t.ev);
  const seqs = events.map((e) => e.seq).sort((a, b) => a - b);
  phase('load');
  const maxSeq = seqs[seqs.length - 1];
  const cp = store.checkpointCovering(maxSeq) ?? latest;
  const pub = opts.storePublicKeyPem;
  const parsedCp = verifyCheckpoint(cp.note, loadPublicKey(pub));
  if (!parsedCp.ok) throw new AwError('CHECKPOINT_INVALID', `the store checkpoint at size ${cp.size} does not verify with the store key: ${parsedCp.reason}`);
  let tree: ProofTree;
  try {
    // The root is checked against the signed checkpoint below, so stored nodes are trusted
    // only as far as they reproduce it.
    tree = new ProofTree(store.leafBuffer(1, cp.size), { block: BLOCK, trees: store.slotTrees(cp.size) });
  } catch (err) {
    throw new AwError('STORE_MISMATCH', `the store's records below its checkpoint of size ${cp.size} are incomplete: ${(err as Error).message}`, { cause: err });
  }
  phase('merkle tree');
  if (!tree.root().equals(parsedCp.checkpoint.root)) {
    throw new AwError('STORE_MISMATCH', `the store's records do not match its signed checkpoint at size ${cp.size}: run 'agentwarden verify' before sealing`);
  }

  const finalDir = resolve(opts.out ?? join(inc.evidence_dir, 'bundle'));
  if (existsSync(finalDir) && readdirSync(finalDir).length) throw new AwError('OUT_EXISTS', `${finalDir} exists and is not empty`);
  const tmp = join(dirname(finalDir), `.seal-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const files = new Map<string, Buffer>();
  const put = (name: string, data: string | Buffer) => {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    files.set(name, buf);
  };
  try {
    // Records with their stored canonical bodies, and one inclusion proof each.
    // Lines go to arrays joined once: a 100 MB string built with += is a rope whose
    // flattening, when the file is written, cost more than building it (forensics bench).
    const rec: string[] = [];
    const proofs: string[] = [];
    // Stored bodies in one pass per session (rawBody per record for the rest).
    const bodies = new Map<number, string>();
    // A cache by seq: a body that merely mentions the session id does no harm here, since
    // only the scope's own seqs are looked up, so the bodies need not be parsed again.
    for (const sid of inc.sessions) for (const [seq, body] of store.sessionBodies(sid, cp.size)) bodies.set(seq, body);
    // Proofs come from the same tree whose root matched the signed checkpoint.
    const leaves = tree;
    for (const seq of seqs) {
      const body = bodies.get(seq) ?? store.rawBody(seq)!;
      const leaf = leaves.leaf(seq - 1);
      rec.push(`{"seq":${seq},"leaf":"${leaf.toString('hex')}","body":${JSON.stringify(body)}}\n`);
      proofs.push(`{"seq":${seq},"index":${seq - 1},"tree_size":${cp.size},"proof":"${leaves.inclusionProofPacked(seq - 1)}"}\n`);
    }
    phase('records + proofs');
    put('records.jsonl', rec.join(''));
    put('proofs.jsonl', proofs.join(''));
    put('checkpoint.note', cp.note);
    put('store-key.pub.pem', pub);
    // Traces, gateway logs and alerts are the stored canonical bodies themselves: no
    // re-serialization, and values the store keeps as salted commitments (redaction) stay
    // committed in the bundle.
    const bodyOf = (e: StoredEvent): string => bodies.get(e.seq) ?? store.rawBody(e.seq)!;
    const lines = (list: StoredEvent[]) => {
      const out: string[] = [];
      for (const e of list) out.push(bodyOf(e), '\n');
      return out.join('');
    };
    put('tool-traces.jsonl', lines(events.filter((e) => AGENT_TRACE_KINDS.has(e.kind))));
    const gw = events.filter((e) => e.kind.startsWith('gateway.') || (e.agent?.tool && (e.agent.tool.mcp_server || e.agent.tool.category === 'mcp' || e.agent.tool.name.startsWith('mcp__'))));
    if (gw.length) put('gateway-logs.jsonl', lines(gw));
    put('alerts.jsonl', lines(events.filter((e) => e.kind === 'alert')));
    let snaps: SnapshotEntry[] = [];
    const snapIndex = join(inc.evidence_dir, 'snapshots.json');
    if (existsSync(snapIndex)) snaps = JSON.parse(readFileSync(snapIndex, 'utf8')) as SnapshotEntry[];
    phase('traces');
    put('fs-diff.patch', windowDiff(events, snaps, join(inc.evidence_dir, 'snapshots'), inc.window));
    const snapOut = snaps.map((s) => (s.blob && isCredentialPath(s.path) ? { ...s, blob: undefined, withheld: 'credential file: digest only' } : s));
    put('snapshots.json', `${JSON.stringify(snapOut, null, 1)}\n`);
    for (const s of snapOut) if (s.blob) put(`snapshots/${s.blob}`, readFileSync(join(inc.evidence_dir, 'snapshots', s.blob)));
    phase('diff + snapshots');
    const actor = opts.actor ?? defaultActor();
    const sealedAt = nowTime();
    put('incident.json', `${JSON.stringify({ incident: inc, log }, null, 1)}\n`);
    const predicateCore = {
      bundle_format: BUNDLE_FORMAT,
      incident: { id: inc.id, title: inc.title, severity: inc.severity, status: inc.status, sessions: inc.sessions, window: inc.window, alerts: inc.alerts, ioc_ids: inc.ioc_ids },
      tool: { name: 'agentwarden', version: opts.toolVersion },
      sealed_at: sealedAt,
      sealed_by: actor,
      checkpoint: { origin: parsedCp.checkpoint.origin, size: cp.size, root_sha256: parsedCp.checkpoint.root.toString('hex'), note: cp.note },
      records: { count: seqs.length, first_seq: seqs[0], last_seq: maxSeq },
    };
    const listed = [...files.keys()].sort();
    const manifest = {
      format: BUNDLE_FORMAT,
      incident_id: inc.id,
      sealed_at: sealedAt,
      tool: predicateCore.tool,
      checkpoint: { origin: predicateCore.checkpoint.origin, size: cp.size, root_sha256: predicateCore.checkpoint.root_sha256 },
      records: predicateCore.records,
      files: listed.map((name) => ({ path: name, sha256: sha256(files.get(name)!), size: files.get(name)!.length })),
    };
    put('manifest.json', `${JSON.stringify(manifest, null, 1)}\n`);
    const subjects = [...files.keys()].sort().map((name) => ({ name, digest: { sha256: sha256(files.get(name)!) } }));
    const statement: Statement = { _type: 'https://in-toto.io/Statement/v1', subject: subjects, predicateType: EVIDENCE_PREDICATE_TYPE, predicate: predicateCore };
    const payload = Buffer.from(JSON.stringify(statement), 'utf8');
    const signers = [opts.key, ...(opts.cosignKey ? [opts.cosignKey] : [])];
    const env = signEnvelope(INTOTO_PAYLOAD_TYPE, payload, signers);
    put('envelope.dsse.json', serializeEnvelope(env));
    put('keys/signer.pub.pem', publicKeyPem(opts.key));
    put('sigstore/signer.sigstore.json', sigstoreBundleText(env, 0));
    if (opts.cosignKey) {
      put('keys/cosigner.pub.pem', publicKeyPem(opts.cosignKey));
      put('sigstore/cosigner.sigstore.json', sigstoreBundleText(env, 1));
    }
    phase('digests + sign');
    let bytes = 0;
    for (const [name, data] of files) {
      const p = join(tmp, name);
      mkdirSync(dirname(p), { recursive: true, mode: 0o700 });
      writeFileSync(p, data, { mode: 0o600 });
      bytes += data.length;
    }
    phase('write');
    const bundleId = sha256(payload);
    const dir = opts.out ? finalDir : `${finalDir}-${bundleId.slice(0, 16)}`;
    if (existsSync(dir)) rmSync(dir, { recursive: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(tmp, dir);
    const dbw = IncidentDb.open(store.dir);
    try {
      dbw.log(inc.id, actor, 'seal', { bundle: dir, bundle_id: `sha256:${bundleId}`, records: seqs.length, checkpoint_size: cp.size, signers: signers.map((k) => k.keyId) });
    } finally {
      dbw.close();
    }
    return { dir, bundleId, records: seqs.length, bytes, files: files.size, checkpointSize: cp.size, ms: performance.now() - t0, phases };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
