// HTTP(S) transport on node:http / node:https (no client library: we need the raw status,
// Retry-After and a bounded response body, and nothing else).
// Classification: 2xx success; 401/403/408/429/5xx and network errors retryable (a bad
// credential is fixed by an operator, and the buffered events must survive until then;
// the bounded buffer counts what it cannot keep); other 4xx permanent failure.
import { request as httpRequest_, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseRetryAfter } from './retrying.js';
import type { ExportResponse, Transport } from './types.js';

export interface HttpResponseInfo {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface HttpTransportOptions {
  url: string;
  method?: 'POST' | 'PUT';
  contentType: string;
  headers?: Record<string, string>;
  /** Headers computed per request: body signatures, bearer tokens (may fetch one). */
  sign?: (body: Uint8Array) => Record<string, string> | Promise<Record<string, string>>;
  /** Overrides the default classification of a response (e.g. bulk APIs with per-item errors). */
  classify?: (res: HttpResponseInfo) => ExportResponse | undefined;
  /** Called on 401 so a token provider can drop its cached token before the retry. */
  onUnauthorized?: () => void;
  gzip?: boolean;
  /** PEM file of extra trusted CAs for https. */
  caFile?: string;
  /** Keep the response body up to this many bytes for classification (default 64 KiB). */
  maxResponseBytes?: number;
}

export function defaultClassify(status: number, headers: IncomingHttpHeaders): ExportResponse {
  if (status >= 200 && status < 300) return 'success';
  if (status === 413) return { tooLarge: true };
  if (status === 401 || status === 403 || status === 408 || status === 429 || status >= 500) {
    return { retryable: true, retryInMs: parseRetryAfter(headers['retry-after']), reason: `HTTP ${status}` };
  }
  return 'failure';
}

/** One HTTP(S) request with a bounded response body (shared by transports that need more than a status). */
export function httpRequest(url: URL, o: { method?: string; headers: Record<string, string>; body?: Uint8Array | string; timeoutMs: number; ca?: Buffer; maxResponseBytes?: number }): Promise<HttpResponseInfo> {
  const max = o.maxResponseBytes ?? 65536;
  const fn = url.protocol === 'https:' ? httpsRequest : httpRequest_;
  return new Promise((resolve, reject) => {
    const req = fn(url, { method: o.method ?? 'POST', headers: o.headers, ca: o.ca, timeout: o.timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < max) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, max) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

export class HttpTransport implements Transport {
  readonly target: string;
  lastError?: string;
  private readonly url: URL;
  private readonly ca?: Buffer;

  constructor(private readonly opts: HttpTransportOptions) {
    this.url = new URL(opts.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new TypeError(`unsupported URL scheme ${this.url.protocol}`);
    // Never print credentials embedded in a URL.
    this.target = `${this.url.protocol}//${this.url.host}${this.url.pathname}`;
    if (opts.caFile) this.ca = readFileSync(opts.caFile);
  }

  async send(data: Uint8Array, timeoutMs: number): Promise<ExportResponse> {
    let extra: Record<string, string> = {};
    try {
      if (this.opts.sign) extra = await this.opts.sign(data);
    } catch (err) {
      this.lastError = `cannot authenticate: ${(err as Error).message}`;
      return { retryable: true, reason: this.lastError };
    }
    const body = this.opts.gzip ? gzipSync(data) : data;
    const headers: Record<string, string> = {
      'content-type': this.opts.contentType,
      'content-length': String(body.byteLength),
      'user-agent': 'agentwarden-exporter',
      ...this.opts.headers,
      ...extra,
    };
    if (this.opts.gzip) headers['content-encoding'] = 'gzip';
    let res: HttpResponseInfo;
    try {
      res = await this.request(body, headers, timeoutMs);
    } catch (err) {
      this.lastError = (err as Error).message;
      return { retryable: true, reason: this.lastError };
    }
    if (res.status === 401) this.opts.onUnauthorized?.();
    const custom = this.opts.classify?.(res);
    const out = custom ?? defaultClassify(res.status, res.headers);
    if (out !== 'success') this.lastError = `HTTP ${res.status} ${res.body.slice(0, 200)}`.trim();
    return out;
  }

  private request(body: Uint8Array, headers: Record<string, string>, timeoutMs: number): Promise<HttpResponseInfo> {
    return httpRequest(this.url, { method: this.opts.method ?? 'POST', headers, body, timeoutMs, ca: this.ca, maxResponseBytes: this.opts.maxResponseBytes });
  }
}
