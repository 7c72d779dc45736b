// HEC over HTTP(S): `Authorization: Splunk <token>`. HEC answers 503 when busy (retryable,
// with Retry-After when it has one) and 400 for malformed data (permanent).
import { HttpTransport } from '../core/http.js';

export function hecEndpoint(base: string): string {
  const u = new URL(base);
  if (!/\/services\/collector(\/event)?(\/1\.0)?\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/services/collector/event';
  return u.toString();
}

export function splunkHecTransport(o: { url: string; token: string; channel?: string; caFile?: string; gzip?: boolean }): HttpTransport {
  const headers: Record<string, string> = { authorization: `Splunk ${o.token}` };
  if (o.channel) headers['x-splunk-request-channel'] = o.channel;
  return new HttpTransport({ url: hecEndpoint(o.url), contentType: 'application/json', headers, caFile: o.caFile, gzip: o.gzip });
}
