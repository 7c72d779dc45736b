// Signed tree checkpoints in the C2SP checkpoint / signed-note text format:
//   <origin>\n<tree size>\n<base64 root hash>\n[extension lines]\n\n— <key name> <base64(key hash[4] || signature)>\n
// Signatures are Ed25519 over the note body; the key hash is SHA-256(name || "\n" || 0x01 || pubkey)[:4].
import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { rawPublicKey, type SigningKey } from './keys.js';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
  /** Extra body lines (we record the hash-chain head so the chain is bound to the signature). */
  extensions: string[];
  /** The full note text including signature lines. */
  text: string;
}

function keyHash(name: string, pubRaw: Buffer): Buffer {
  return createHash('sha256').update(name).update('\n').update(Buffer.from([1])).update(pubRaw).digest().subarray(0, 4);
}

export function checkpointBody(origin: string, size: number, root: Buffer, extensions: string[] = []): string {
  return `${origin}\n${size}\n${root.toString('base64')}\n${extensions.map((e) => `${e}\n`).join('')}`;
}

/** Signs a checkpoint note. */
export function signCheckpoint(key: SigningKey, origin: string, size: number, root: Buffer, extensions: string[] = []): Checkpoint {
  const body = checkpointBody(origin, size, root, extensions);
  const sig = sign(null, Buffer.from(body), key.privateKey);
  const line = `\u2014 ${key.name} ${Buffer.concat([keyHash(key.name, key.publicRaw), sig]).toString('base64')}\n`;
  return { origin, size, root, extensions, text: `${body}\n${line}` };
}

export type CheckpointParse = { ok: true; checkpoint: Checkpoint } | { ok: false; reason: string };

/** Parses a note and verifies that one signature line is by `publicKey` under `name`. */
export function verifyCheckpoint(text: string, publicKey: KeyObject, name = 'agentwarden'): CheckpointParse {
  const split = text.indexOf('\n\n');
  if (split < 0) return { ok: false, reason: 'no signature block' };
  const body = text.slice(0, split + 1);
  const lines = body.split('\n');
  lines.pop();
  if (lines.length < 3) return { ok: false, reason: 'body must have origin, size and root' };
  const [origin, sizeText, rootText, ...extensions] = lines;
  if (!/^\d+$/.test(sizeText)) return { ok: false, reason: 'bad tree size' };
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32) return { ok: false, reason: 'bad root hash' };
  const pubRaw = rawPublicKey(publicKey);
  const want = keyHash(name, pubRaw);
  for (const sl of text.slice(split + 2).split('\n')) {
    const m = /^\u2014 (\S+) (\S+)$/.exec(sl);
    if (!m || m[1] !== name) continue;
    const blob = Buffer.from(m[2], 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(want)) continue;
    if (verify(null, Buffer.from(body), publicKey, blob.subarray(4))) {
      return { ok: true, checkpoint: { origin, size: Number(sizeText), root, extensions, text } };
    }
    return { ok: false, reason: 'signature does not verify' };
  }
  return { ok: false, reason: `no signature by key '${name}'` };
}
