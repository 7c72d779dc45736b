// Bulk API transport: `Authorization: ApiKey <encoded>`. A 200 may still carry per-item
// errors: items refused with 429/5xx make the whole batch retryable (the resend is
// idempotent, see serializer.ts), 409 means already indexed, other 4xx are rejected.
import { HttpTransport, type HttpResponseInfo } from '../core/http.js';
import type { ExportResponse } from '../core/types.js';

export function bulkEndpoint(base: string): string {
  const u = new URL(base);
  if (!/\/_bulk\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/_bulk';
  // Keep the response small: only what classification needs.
  u.searchParams.set('filter_path', 'errors,items.*.status,items.*.error.type,items.*.error.reason');
  return u.toString();
}

export function classifyBulk(res: HttpResponseInfo): ExportResponse | undefined {
  if (res.status !== 200) return undefined;
  let body: { errors?: boolean; items?: Array<Record<string, { status?: number; error?: { type?: string; reason?: string } }>> };
  try {
    body = JSON.parse(res.body);
  } catch {
    return { retryable: true, reason: 'unparseable bulk response' };
  }
  if (!body.errors) return 'success';
  let retry = 0;
  let rejected = 0;
  let reason = '';
  for (const item of body.items ?? []) {
    const r = Object.values(item)[0];
    const st = r?.status ?? 0;
    if (st === 409 || (st >= 200 && st < 300)) continue;
    if (st === 429 || st >= 500) retry++;
    else {
      rejected++;
      reason ||= `${r?.error?.type ?? st}: ${r?.error?.reason ?? ''}`;
    }
  }
  if (retry) return { retryable: true, reason: `${retry} items refused temporarily` };
  if (rejected) return { partial: true, rejected, reason };
  return 'success';
}

export function elasticTransport(o: { url: string; apiKey: string; caFile?: string; gzip?: boolean }): HttpTransport {
  return new HttpTransport({
    url: bulkEndpoint(o.url),
    contentType: 'application/x-ndjson',
    headers: { authorization: `ApiKey ${o.apiKey}` },
    caFile: o.caFile,
    gzip: o.gzip,
    classify: classifyBulk,
    maxResponseBytes: 4 * 1024 * 1024,
  });
}
