// The OTLP/HTTP receiver (a DaemonService): POST /v1/logs, /v1/traces, /v1/metrics with
// application/json or application/x-protobuf bodies (gzip accepted), bound to loopback
// by default. Each log record, span and metric data point becomes one event. A request
// that cannot be decoded is answered 400 and nothing of it is emitted; records that fail
// to map are counted and reported as partial success, the rest are kept.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';
import { hostname } from 'node:os';
import type { DaemonContext, DaemonService } from '../../daemon/service.js';
import { nowTime, type AwEvent } from '../../schema/index.js';
import { OTLP_DEFAULTS, type OtlpConfig } from './config.js';
import { decodeJson, decodeProtobuf, encodeResponse, encodeStatus, type Decoded, type Signal } from './decode.js';
import { mapLog, mapPoint, mapSpan } from './map.js';

export interface OtlpCounters {
  requests: number;
  rejected_requests: number;
  logs: number;
  spans: number;
  points: number;
  map_errors: number;
}

const ROUTES: Record<string, Signal> = { '/v1/logs': 'logs', '/v1/traces': 'traces', '/v1/metrics': 'metrics' };

export class OtlpReceiver implements DaemonService {
  readonly name = 'otlp';
  readonly counters: OtlpCounters = { requests: 0, rejected_requests: 0, logs: 0, spans: 0, points: 0, map_errors: 0 };
  private server: Server | undefined;
  private ctx: DaemonContext | undefined;
  private maxBody = OTLP_DEFAULTS.max_body_bytes;
  private host = hostname();
  private seqNo = 0;
  /** The bound URL (http://host:port), after start. */
  url = '';

  constructor(private readonly overrides: OtlpConfig = {}) {}

  async start(ctx: DaemonContext): Promise<void> {
    const cfg = { ...OTLP_DEFAULTS, ...((ctx.config.otlp ?? {}) as OtlpConfig), ...this.overrides };
    this.ctx = ctx;
    this.maxBody = cfg.max_body_bytes;
    if (ctx.config.host?.name) this.host = ctx.config.host.name;
    const server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.port, cfg.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => ctx.log(`otlp: ${err.message}`));
    this.server = server;
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
    this.url = `http://${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${port}`;
    this.emit({ time: nowTime(), kind: 'sensor.status', source: { type: 'otlp', name: 'otlp-receiver' }, host: { name: this.host }, sensor: { name: 'otlp', state: 'started', message: `listening on ${this.url}` } });
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      await new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
      });
    }
    this.emit({ time: nowTime(), kind: 'sensor.status', source: { type: 'otlp', name: 'otlp-receiver' }, host: { name: this.host }, sensor: { name: 'otlp', state: 'stopped', message: JSON.stringify(this.counters) } });
  }

  status(): Record<string, unknown> {
    return { url: this.url, listening: Boolean(this.server), ...this.counters };
  }

  private emit(ev: AwEvent): void {
    try {
      this.ctx?.emit(ev);
    } catch (err) {
      this.ctx?.log(`otlp: emit failed: ${(err as Error).message}`);
    }
  }

  private reply(res: ServerResponse, status: number, json: boolean, body: Buffer): void {
    res.writeHead(status, { 'content-type': json ? 'application/json' : 'application/x-protobuf', 'content-length': body.length });
    res.end(body);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const signal = ROUTES[path];
    const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const json = ctype === 'application/json';
    if (!signal) return this.reply(res, 404, true, encodeStatus(true, 5, `no such endpoint: ${path}`));
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return this.reply(res, 405, json, encodeStatus(json, 12, 'use POST'));
    }
    if (!json && ctype !== 'application/x-protobuf' && ctype !== 'application/protobuf') {
      return this.reply(res, 415, true, encodeStatus(true, 3, `unsupported content type ${ctype || '(none)'}: use application/json or application/x-protobuf`));
    }
    this.counters.requests++;
    let body: Buffer;
    try {
      body = await readBody(req, this.maxBody);
      const enc = (req.headers['content-encoding'] ?? '').toLowerCase();
      if (enc === 'gzip') body = gunzipSync(body, { maxOutputLength: this.maxBody });
      else if (enc === 'deflate') body = inflateSync(body, { maxOutputLength: this.maxBody });
      else if (enc && enc !== 'identity') throw new HttpError(415, `unsupported content encoding ${enc}`);
    } catch (err) {
      this.counters.rejected_requests++;
      const status = err instanceof HttpError ? err.status : 400;
      return this.reply(res, status, json, encodeStatus(json, 3, (err as Error).message));
    }
    let decoded: Decoded;
    try {
      decoded = json ? decodeJson(signal, body) : decodeProtobuf(signal, body);
    } catch (err) {
      this.counters.rejected_requests++;
      this.ctx?.log(`otlp: bad ${signal} request: ${(err as Error).message}`);
      return this.reply(res, 400, json, encodeStatus(json, 3, `cannot decode the ${signal} request: ${(err as Error).message}`));
    }
    const reqNo = ++this.seqNo;
    let rejected = 0;
    let lastError = '';
    decoded.items.forEach((item, i) => {
      const ref = `${signal}:${reqNo}:${i}`;
      try {
        const ev = decoded.signal === 'logs' ? mapLog(item as never, { host: this.host, ref }) : decoded.signal === 'traces' ? mapSpan(item as never, { host: this.host, ref }) : mapPoint(item as never, { host: this.host, ref });
        this.emit(ev);
        if (signal === 'logs') this.counters.logs++;
        else if (signal === 'traces') this.counters.spans++;
        else this.counters.points++;
      } catch (err) {
        rejected++;
        this.counters.map_errors++;
        lastError = (err as Error).message;
      }
    });
    this.reply(res, 200, json, encodeResponse(signal, json, rejected, lastError));
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new HttpError(413, `request body larger than ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
