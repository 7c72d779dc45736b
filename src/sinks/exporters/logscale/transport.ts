// LogScale structured ingest: POST /api/v1/ingest/humio-structured, Bearer ingest token.
import { HttpTransport } from '../core/http.js';

export function structuredEndpoint(base: string): string {
  const u = new URL(base);
  if (!u.pathname.endsWith('/api/v1/ingest/humio-structured')) u.pathname = u.pathname.replace(/\/+$/, '') + '/api/v1/ingest/humio-structured';
  return u.toString();
}

export function logScaleTransport(o: { url: string; token: string; caFile?: string; gzip?: boolean }): HttpTransport {
  return new HttpTransport({ url: structuredEndpoint(o.url), contentType: 'application/json', headers: { authorization: `Bearer ${o.token}` }, caFile: o.caFile, gzip: o.gzip });
}
