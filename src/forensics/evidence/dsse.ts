// DSSE v1 envelopes (secure-systems-lab/dsse protocol.md) signed with pure Ed25519 over
// the Pre-Authentication Encoding. Hand-written: PAE is five lines, and the npm DSSE
// implementations either pull in the whole sigstore client or do not do Ed25519.
import { sign, verify, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../../core/keys.js';

export const INTOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  keyid: string;
  sig: string;
}

export interface DsseEnvelope {
  payload: string;
  payloadType: string;
  signatures: DsseSignature[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, LEN in UTF-8 bytes. */
export function pae(payloadType: string, body: Uint8Array): Buffer {
  const t = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${t.length} `), t, Buffer.from(` ${body.length} `), body]);
}

export function signEnvelope(payloadType: string, body: Buffer, keys: SigningKey[]): DsseEnvelope {
  const msg = pae(payloadType, body);
  return {
    payload: body.toString('base64'),
    payloadType,
    signatures: keys.map((k) => ({ keyid: k.keyId, sig: sign(null, msg, k.privateKey).toString('base64') })),
  };
}

/** Decodes standard or URL-safe base64 strictly (DSSE verifiers must accept both). */
export function decodeB64(text: string): Buffer | undefined {
  if (typeof text !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return undefined;
  const std = text.replace(/-/g, '+').replace(/_/g, '/');
  const buf = Buffer.from(std, 'base64');
  // Reject non-canonical encodings (stray padding bits) so one text maps to one byte string.
  const back = buf.toString('base64');
  const norm = std.endsWith('=') ? std : std + '='.repeat((4 - (std.length % 4)) % 4);
  return back === norm ? buf : undefined;
}

/** The exact file text we write for an envelope (verification compares bytes with it). */
export function serializeEnvelope(env: DsseEnvelope): string {
  return `${JSON.stringify({ payload: env.payload, payloadType: env.payloadType, signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })) }, null, 2)}\n`;
}

export interface SignatureCheck {
  index: number;
  keyid: string;
  /** Index into the trusted key list of the key that verified it, or -1. */
  verifiedBy: number;
}

/**
 * Verifies each signature against every trusted key. Returns the payload bytes (the
 * exact verified bytes: callers must not re-read the envelope) and per-signature results.
 */
export function verifyEnvelope(env: DsseEnvelope, trusted: KeyObject[]): { payload?: Buffer; checks: SignatureCheck[]; error?: string } {
  if (!env || typeof env.payload !== 'string' || typeof env.payloadType !== 'string' || !Array.isArray(env.signatures)) {
    return { checks: [], error: 'envelope lacks payload, payloadType or signatures' };
  }
  const payload = decodeB64(env.payload);
  if (!payload) return { checks: [], error: 'payload is not valid base64' };
  const msg = pae(env.payloadType, payload);
  const checks = env.signatures.map((s, index) => {
    const sig = typeof s?.sig === 'string' ? decodeB64(s.sig) : undefined;
    let verifiedBy = -1;
    if (sig && sig.length === 64) {
      for (let i = 0; i < trusted.length; i++) {
        if (verify(null, msg, trusted[i], sig)) {
          verifiedBy = i;
          break;
        }
      }
    }
    return { index, keyid: String(s?.keyid ?? ''), verifiedBy };
  });
  return { payload, checks };
}
