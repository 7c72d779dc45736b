// OTLP/HTTP: POST <base>/v1/logs, application/json. A 200 may carry partialSuccess with
// rejectedLogRecords (counted as rejected); 429/502/503/504 are retryable per the OTLP spec
// (and every 5xx here), honouring Retry-After.
import { HttpTransport, type HttpResponseInfo } from '../core/http.js';
import type { ExportResponse } from '../core/types.js';

export function logsEndpoint(base: string): string {
  const u = new URL(base);
  if (!u.pathname.endsWith('/v1/logs')) u.pathname = u.pathname.replace(/\/+$/, '') + '/v1/logs';
  return u.toString();
}

export function classifyOtlp(res: HttpResponseInfo): ExportResponse | undefined {
  if (res.status !== 200 || !res.body) return undefined;
  try {
    const j = JSON.parse(res.body) as { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string } };
    const n = Number(j.partialSuccess?.rejectedLogRecords ?? 0);
    if (n > 0) return { partial: true, rejected: n, reason: j.partialSuccess?.errorMessage };
  } catch {
    // A 200 with a body we cannot read is still a success.
  }
  return 'success';
}

export function otlpLogsTransport(o: { url: string; headers?: Record<string, string>; caFile?: string; gzip?: boolean }): HttpTransport {
  return new HttpTransport({ url: logsEndpoint(o.url), contentType: 'application/json', headers: o.headers, caFile: o.caFile, gzip: o.gzip, classify: classifyOtlp });
}
