// Webhook signing (after Stripe's scheme): the receiver gets
//   X-AgentWarden-Timestamp: <unix seconds>
//   X-AgentWarden-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// Signing the timestamp with the body lets the receiver reject replays outside a window.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpTransport } from '../core/http.js';

export const SIGNATURE_HEADER = 'x-agentwarden-signature';
export const TIMESTAMP_HEADER = 'x-agentwarden-timestamp';

export function signWebhook(secret: string, body: Uint8Array, t = Math.floor(Date.now() / 1000)): Record<string, string> {
  const mac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return { [TIMESTAMP_HEADER]: String(t), [SIGNATURE_HEADER]: `t=${t},v1=${mac}` };
}

/** For receivers: checks a signature header against the raw body and a replay window. */
export function verifyWebhook(secret: string, header: string | undefined, body: Uint8Array, toleranceSec = 300, now = Math.floor(Date.now() / 1000)): boolean {
  if (!header) return false;
  const parts = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(now - t) > toleranceSec || !parts.v1) return false;
  const want = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const got = Buffer.from(parts.v1, 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

export function webhookTransport(url: string, secret: string, contentType: string, headers?: Record<string, string>, caFile?: string): HttpTransport {
  return new HttpTransport({ url, contentType, headers, caFile, sign: (body) => signWebhook(secret, body) });
}
