// Logs Ingestion API transport with an Entra ID client-credentials token:
//   POST {endpoint}/dataCollectionRules/{dcr}/streams/{stream}?api-version=2023-01-01
//   Authorization: Bearer <token for https://monitor.azure.com//.default>
// The token is fetched from the (configurable) token endpoint, cached until shortly before
// it expires, and dropped on a 401 so the retry fetches a fresh one.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpTransport } from '../core/http.js';

export const LOGS_INGESTION_API_VERSION = '2023-01-01';

export function ingestionUrl(endpoint: string, dcr: string, stream: string): string {
  const u = new URL(endpoint);
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/dataCollectionRules/${encodeURIComponent(dcr)}/streams/${encodeURIComponent(stream)}`;
  u.searchParams.set('api-version', LOGS_INGESTION_API_VERSION);
  return u.toString();
}

export interface TokenProviderOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  timeoutMs?: number;
}

/** OAuth 2.0 client credentials (RFC 6749 section 4.4) against Entra ID, cached. */
export class ClientCredentialsToken {
  private token: string | undefined;
  private expiresAt = 0;
  private pending: Promise<string> | undefined;
  /** Tokens fetched so far (status, tests). */
  fetched = 0;

  constructor(private readonly o: TokenProviderOptions) {}

  invalidate(): void {
    this.token = undefined;
    this.expiresAt = 0;
  }

  async get(): Promise<string> {
    if (this.token && Date.now() < this.expiresAt) return this.token;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private fetch(): Promise<string> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: this.o.clientId, client_secret: this.o.clientSecret, scope: this.o.scope }).toString();
    const url = new URL(this.o.tokenUrl);
    const fn = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = fn(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) }, timeout: this.o.timeoutMs ?? 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let j: { access_token?: string; expires_in?: number | string; error?: string; error_description?: string } = {};
          try {
            j = JSON.parse(text);
          } catch {
            // reported below
          }
          if (res.statusCode !== 200 || !j.access_token) {
            // Never echo the secret; the error code and description are safe.
            reject(new Error(`token endpoint answered ${res.statusCode}: ${j.error ?? ''} ${(j.error_description ?? '').split('\n')[0]}`.trim()));
            return;
          }
          this.fetched++;
          this.token = j.access_token;
          // Refresh five minutes early (or halfway for short-lived tokens).
          const life = Number(j.expires_in ?? 3600) * 1000;
          this.expiresAt = Date.now() + Math.max(life - 300_000, life / 2);
          resolve(j.access_token);
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('token request timed out')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

export function sentinelTransport(o: { url: string; token: ClientCredentialsToken; caFile?: string; gzip?: boolean }): HttpTransport {
  return new HttpTransport({
    url: o.url,
    contentType: 'application/json',
    caFile: o.caFile,
    gzip: o.gzip,
    sign: async () => ({ authorization: `Bearer ${await o.token.get()}` }),
    onUnauthorized: () => o.token.invalidate(),
  });
}
