// Reverse proxy in front of an internal HTTP API: the agent points its base URL at the
// gateway and authenticates with its AgentWarden token (`Authorization: Bearer <jwt>`);
// the gateway applies method+path rules (allow / block / require approval), injects the
// real upstream credential, masks JSON fields and detected values in responses, and
// records each exchange (encrypted). No MITM CA is needed (hoop's pattern for APIs).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { nowTime, type AwEvent } from '../../schema/index.js';
import { ApprovalStore } from '../approvals/approvals.js';
import { ApprovalGate } from '../approvals/gate.js';
import { splitHostPort, type GatewayConfig, type GatewayHttpConfig } from '../config.js';
import { IdentityVerifier, type Identity } from '../identity/identity.js';
import { contentScanner, type ContentScanner } from '../masking/detectors.js';
import { loadRecordingKeys, recordingDir, startRecording, type RecordingKey, type SessionRecorder } from '../recording/recording.js';
import type { ProxyOptions } from './forward.js';
import { tokenFromHeader } from './forward.js';
import { trackServer, type TrackedServer } from './listen.js';

type Route = NonNullable<GatewayHttpConfig['reverse']>[number];
const MAX_BODY = 10 * 1024 * 1024;

/** Path pattern: exact, `/prefix/*` (any depth) or with `*` segments. */
export function pathMatches(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === '/*') return true;
  if (pattern.endsWith('/*') && !pattern.slice(0, -2).includes('*')) {
    const base = pattern.slice(0, -2);
    return path === base || path.startsWith(base + '/');
  }
  const re = new RegExp('^' + pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
  return re.test(path);
}

/** Replaces values of the named fields (any depth; `a.b` paths too) and detected values. */
export function maskJson(value: unknown, fields: Set<string>, scanner: ContentScanner | undefined, counts: Map<string, number>, path = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => maskJson(v, fields, scanner, counts, path));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      if (fields.has(k) || fields.has(p)) {
        counts.set(`field:${k}`, (counts.get(`field:${k}`) ?? 0) + 1);
        out[k] = v === null ? null : '****';
      } else out[k] = maskJson(v, fields, scanner, counts, p);
    }
    return out;
  }
  if (typeof value === 'string' && scanner) return scanner(value, counts);
  return value;
}

export class ReverseProxy {
  private server?: http.Server;
  private readonly verifier: IdentityVerifier;
  private readonly gate: ApprovalGate;
  private readonly store: ApprovalStore;
  private readonly upstream: URL;
  private readonly maskFields: Set<string>;
  private readonly scanner: ContentScanner | undefined;
  private readonly injected?: { name: string; value: string };
  private readonly recKey?: RecordingKey;
  private readonly recorders = new Map<string, SessionRecorder>();
  private tracked: TrackedServer | undefined;
  readonly counters = { requests: 0, blocked: 0, pending: 0, masked: 0 };

  constructor(private readonly opts: ProxyOptions & { route: Route }) {
    const cfg: GatewayConfig = opts.config;
    this.verifier = new IdentityVerifier(opts.paths, cfg.identity);
    this.store = ApprovalStore.open(opts.paths);
    this.gate = new ApprovalGate(this.store, cfg.approvals, opts.log);
    this.upstream = new URL(opts.route.upstream);
    this.maskFields = new Set(opts.route.mask_fields ?? []);
    this.scanner = contentScanner(cfg.masking?.detectors ?? []);
    const ih = opts.route.inject_header;
    if (ih) this.injected = { name: ih.name, value: ih.value ?? (ih.value_file ? readFileSync(ih.value_file, 'utf8').trim() : '') };
    this.recKey = cfg.recording?.enabled === false ? undefined : loadRecordingKeys(opts.paths, cfg.recording).active;
  }

  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = splitHostPort(this.opts.route.listen, 8080);
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `AgentWarden: ${(err as Error).message}` }));
      });
    });
    this.tracked = trackServer(this.server);
    return this.tracked.listen(host, port);
  }

  async stop(): Promise<void> {
    await this.tracked?.close();
    await Promise.all([...this.recorders.values()].map((r) => r.close()));
    this.store.close();
  }

  status(): Record<string, unknown> {
    return { name: this.opts.route.name, ...this.counters };
  }

  private decide(method: string, path: string, id: Identity): { action: 'allow' | 'block' | 'require_approval'; rule: string } {
    const rules = this.opts.route.rules ?? [];
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i];
      if (r.methods && !r.methods.map((m) => m.toUpperCase()).includes(method)) continue;
      if (r.groups && !r.groups.some((g) => id.groups.includes(g))) continue;
      if (!pathMatches(r.path, path)) continue;
      return { action: r.action, rule: `${this.opts.route.name}#${i}` };
    }
    return { action: this.opts.route.default ?? 'block', rule: `${this.opts.route.name}#default` };
  }

  private emit(kind: AwEvent['kind'], id: Identity | undefined, g: { method: string; url: string; status?: number; decision?: 'allow' | 'block' | 'approval_required' | 'approved' | 'denied'; reason?: string; masked?: Array<{ column?: string; detector?: string; count: number }>; duration_us?: number }): void {
    const ev: AwEvent = {
      time: nowTime(),
      kind,
      source: { type: 'gateway', name: `http-reverse:${this.opts.route.name}` },
      gateway: {
        protocol: 'http',
        connection_id: `rev-${this.opts.route.name}`,
        identity: id ? { subject: id.subject, groups: id.groups, issuer: id.issuer } : undefined,
        upstream: this.upstream.origin,
        http: { method: g.method, url: g.url, host: this.upstream.host, status: g.status },
        decision: g.decision,
        reason: g.reason,
        masked: g.masked,
        duration_us: g.duration_us,
      },
    };
    if (id) ev.session = { id: id.sessionId ?? `http-${id.subject}`, agent: { kind: 'unknown', name: id.subject }, attribution: 'identity' };
    this.opts.emit(ev);
  }

  private recorder(id: Identity): SessionRecorder | undefined {
    if (!this.recKey) return undefined;
    let r = this.recorders.get(id.subject);
    if (!r || r.closed) {
      const session = `http-${this.opts.route.name}-${id.subject}-${Date.now().toString(36)}`;
      r = startRecording(recordingDir(this.opts.paths, this.opts.config.recording), this.recKey, { session, started: new Date().toISOString(), protocol: 'http', agent: id.subject, groups: id.groups });
      this.recorders.set(id.subject, r);
    }
    return r;
  }

  private async readBody(req: http.IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req) {
      n += (c as Buffer).length;
      if (n > MAX_BODY) throw new Error('request body too large for the gateway');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.counters.requests++;
    const t0 = process.hrtime.bigint();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://gateway');
    const path = decodeURIComponent(url.pathname).replace(/\/{2,}/g, '/');
    if (path.split('/').includes('..')) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'AgentWarden: path traversal refused' }));
      return;
    }
    let id: Identity;
    try {
      id = await this.verifier.verify(tokenFromHeader(req.headers.authorization));
    } catch (err) {
      this.emit('gateway.block', undefined, { method, url: path, status: 401, decision: 'block', reason: (err as Error).message });
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="agentwarden"' }).end(JSON.stringify({ error: `AgentWarden: ${(err as Error).message}` }));
      return;
    }
    const body = await this.readBody(req);
    const d = this.decide(method, path, id);
    const rec = this.recorder(id);
    if (d.action === 'block') {
      this.counters.blocked++;
      this.emit('gateway.block', id, { method, url: path, status: 403, decision: 'block', reason: `rule ${d.rule}` });
      rec?.write({ type: 'http', method, path, status: 403, decision: 'block', rule: d.rule });
      res.writeHead(403, { 'content-type': 'application/json', 'x-agentwarden-block': '1' }).end(JSON.stringify({ error: `AgentWarden: ${method} ${path} blocked by policy (rule ${d.rule})` }));
      return;
    }
    if (d.action === 'require_approval') {
      const statement = `${method} ${path}${url.search}${body.length ? ` sha256:${createHash('sha256').update(body).digest('hex').slice(0, 16)}` : ''}`;
      const r = await this.gate.request({ session: { id: `rev-${this.opts.route.name}` }, identity: id, sql: statement, decision: { action: 'require_approval', reason: `rule ${d.rule}`, rule: d.rule }, resource: `http:${this.opts.route.name}` });
      if (!r.approved) {
        this.counters.pending++;
        const denied = r.status === 'denied';
        this.emit(denied ? 'gateway.block' : 'gateway.approval', id, { method, url: path, status: denied ? 403 : 428, decision: denied ? 'denied' : 'approval_required', reason: `request ${r.id}` });
        rec?.write({ type: 'http', method, path, decision: denied ? 'denied' : 'approval_required', approval: r.id });
        res
          .writeHead(denied ? 403 : 428, { 'content-type': 'application/json', 'retry-after': '30', 'x-agentwarden-approval': r.id })
          .end(JSON.stringify({ error: denied ? `AgentWarden: approval request ${r.id} was denied` : `AgentWarden: pending approval, retry (request ${r.id})`, approval: r.id, status: r.status }));
        return;
      }
      this.emit('gateway.approval', id, { method, url: path, decision: 'approved', reason: `approval ${r.id} by ${r.approver ?? '?'}` });
    }
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    delete headers.authorization;
    delete headers['proxy-authorization'];
    headers.host = this.upstream.host;
    headers['accept-encoding'] = 'identity';
    headers['content-length'] = String(body.length);
    if (this.injected) headers[this.injected.name.toLowerCase()] = this.injected.value;
    const mod = this.upstream.protocol === 'https:' ? https : http;
    const basePath = this.upstream.pathname.replace(/\/$/, '');
    const upRes = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const u = mod.request({ protocol: this.upstream.protocol, hostname: this.upstream.hostname, port: this.upstream.port || undefined, method, path: basePath + path + url.search, headers }, resolve);
      u.on('error', reject);
      u.end(body);
    });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of upRes) {
      n += (c as Buffer).length;
      if (n > MAX_BODY) throw new Error('upstream response too large to inspect');
      chunks.push(c as Buffer);
    }
    let out = Buffer.concat(chunks);
    const counts = new Map<string, number>();
    const ctype = String(upRes.headers['content-type'] ?? '');
    if (/json/i.test(ctype) && out.length) {
      try {
        const masked = maskJson(JSON.parse(out.toString('utf8')), this.maskFields, this.scanner, counts);
        if (counts.size) out = Buffer.from(JSON.stringify(masked));
      } catch {
        // not JSON after all: content detectors only
        if (this.scanner) out = Buffer.from(this.scanner(out.toString('utf8'), counts));
      }
    } else if (/^text\//i.test(ctype) && this.scanner) {
      out = Buffer.from(this.scanner(out.toString('utf8'), counts));
    }
    const resHeaders = { ...upRes.headers };
    delete resHeaders['content-length'];
    delete resHeaders['transfer-encoding'];
    res.writeHead(upRes.statusCode ?? 502, { ...resHeaders, 'content-length': String(out.length) });
    res.end(out);
    const masked = [...counts].map(([k, count]) => (k.startsWith('detector:') ? { detector: k.slice(9), count } : { column: k.replace(/^field:/, ''), count }));
    if (masked.length) this.counters.masked++;
    const dur = Number((process.hrtime.bigint() - t0) / 1000n);
    this.emit('gateway.http', id, { method, url: path, status: upRes.statusCode, decision: d.action === 'require_approval' ? 'approved' : 'allow', masked: masked.length ? masked : undefined, duration_us: dur });
    rec?.write({ type: 'http', method, path, query: url.search, status: upRes.statusCode, decision: 'allow', request_bytes: body.length, response: out.subarray(0, 65536).toString('utf8'), masked, duration_us: dur });
  }
}
