// HEC over HTTP(S): `Authorization: Splunk <token>`. HEC answers 503 when busy (retryable,
// with Retry-After when it has one) and 400 for malformed data (permanent).
import { readFileSync } from 'node:fs';
import { HttpTransport, httpRequest, type HttpResponseInfo } from '../core/http.js';
import type { ExportResponse, Transport } from '../core/types.js';

export function hecEndpoint(base: string): string {
  const u = new URL(base);
  if (!/\/services\/collector(\/event)?(\/1\.0)?\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/+$/, '') + '/services/collector/event';
  return u.toString();
}

export interface HecTransportOptions {
  url: string;
  token: string;
  channel?: string;
  caFile?: string;
  gzip?: boolean;
  ack?: boolean;
  ackTimeoutMs?: number;
  ackPollMs?: number;
}

export function splunkHecTransport(o: HecTransportOptions): Transport {
  const headers: Record<string, string> = { authorization: `Splunk ${o.token}` };
  if (o.channel) headers['x-splunk-request-channel'] = o.channel;
  if (!o.ack) return new HttpTransport({ url: hecEndpoint(o.url), contentType: 'application/json', headers, caFile: o.caFile, gzip: o.gzip });
  return new HecAckTransport(o, headers);
}

/**
 * HEC with indexer acknowledgement: the send answers {"ackId": N}; the batch is delivered
 * once POST /services/collector/ack {"acks":[N]} answers {"acks":{"N":true}}. No answer
 * within ackTimeoutMs makes the batch retryable (it is sent again: at-least-once, so a
 * batch indexed late can appear twice).
 */
export class HecAckTransport implements Transport {
  readonly target: string;
  lastError?: string;
  private readonly inner: HttpTransport;
  private readonly ackUrl: URL;
  private readonly ca?: Buffer;
  private ackId: number | undefined;
  /** Acknowledgements confirmed (tests, status). */
  acked = 0;

  constructor(
    private readonly o: HecTransportOptions,
    private readonly headers: Record<string, string>,
  ) {
    const url = hecEndpoint(o.url);
    this.inner = new HttpTransport({
      url,
      contentType: 'application/json',
      headers,
      caFile: o.caFile,
      gzip: o.gzip,
      classify: (res) => this.capture(res),
    });
    this.target = this.inner.target;
    const u = new URL(url);
    u.pathname = u.pathname.replace(/\/services\/collector.*$/, '/services/collector/ack');
    this.ackUrl = u;
    if (o.caFile) this.ca = readFileSync(o.caFile);
  }

  private capture(res: HttpResponseInfo): ExportResponse | undefined {
    this.ackId = undefined;
    if (res.status !== 200) return undefined;
    try {
      const id = (JSON.parse(res.body) as { ackId?: unknown }).ackId;
      if (typeof id === 'number') this.ackId = id;
    } catch {
      // reported below: no ackId
    }
    return undefined;
  }

  async send(data: Uint8Array, timeoutMs: number): Promise<ExportResponse> {
    const res = await this.inner.send(data, timeoutMs);
    this.lastError = this.inner.lastError;
    if (res !== 'success') return res;
    const id = this.ackId;
    if (id === undefined) {
      this.lastError = 'HEC answered without an ackId: is indexer acknowledgement enabled on the token?';
      return 'failure';
    }
    const deadline = Date.now() + (this.o.ackTimeoutMs ?? 60_000);
    const body = JSON.stringify({ acks: [id] });
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, this.o.ackPollMs ?? 1000));
      try {
        const r = await httpRequest(this.ackUrl, { headers: { ...this.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }, body, timeoutMs, ca: this.ca });
        if (r.status === 200 && (JSON.parse(r.body) as { acks?: Record<string, boolean> }).acks?.[String(id)] === true) {
          this.acked++;
          return 'success';
        }
        if (r.status !== 200) this.lastError = `ack poll: HTTP ${r.status} ${r.body.slice(0, 200)}`;
      } catch (err) {
        this.lastError = `ack poll: ${(err as Error).message}`;
      }
    }
    this.lastError = `no indexer acknowledgement for ackId ${id} within ${this.o.ackTimeoutMs ?? 60_000} ms`;
    return { retryable: true, reason: this.lastError };
  }
}
