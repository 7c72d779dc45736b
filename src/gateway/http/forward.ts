// Egress forward proxy for agents: CONNECT tunnels and plain-HTTP requests, allowed per
// agent (token subject) or group by host patterns; everything else gets a clear 403.
// Identity: `Proxy-Authorization: Bearer <jwt>`, or Basic with the token as the password
// (so `HTTPS_PROXY=http://agent:<jwt>@127.0.0.1:3128` works with curl, git, npm).
// CONNECT tunnels are not decrypted; the TLS ClientHello's SNI is read and logged, and a
// tunnel whose SNI names a host outside the allowlist is cut (domain fronting).
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { AwPaths } from '../../core/paths.js';
import { nowTime, type AwEvent } from '../../schema/index.js';
import { splitHostPort, type GatewayConfig } from '../config.js';
import { IdentityVerifier, type Identity } from '../identity/identity.js';
import { trackServer, type TrackedServer } from './listen.js';

export interface ProxyOptions {
  paths: AwPaths;
  config: GatewayConfig;
  emit: (ev: AwEvent) => void;
  log?: (m: string) => void;
}

/** `example.com`, `*.example.com` (subdomains only), `host:443`, `*`. */
export function hostAllowed(patterns: readonly string[], host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  for (const raw of patterns) {
    const p = raw.toLowerCase();
    const [ph, pp] = p.includes(':') && !p.startsWith('[') ? [p.slice(0, p.lastIndexOf(':')), p.slice(p.lastIndexOf(':') + 1)] : [p, undefined];
    if (pp !== undefined && Number(pp) !== port) continue;
    if (ph === '*') return true;
    if (ph.startsWith('*.')) {
      if (h.endsWith(ph.slice(1)) && h.length > ph.length - 1) return true;
    } else if (h === ph) return true;
  }
  return false;
}

/** Extracts the SNI host name from a TLS ClientHello, or undefined. */
export function parseSni(buf: Buffer): string | undefined {
  try {
    if (buf[0] !== 0x16 || buf.length < 43) return undefined;
    let p = 5;
    if (buf[p] !== 0x01) return undefined;
    p += 4 + 2 + 32;
    p += 1 + buf[p];
    p += 2 + buf.readUInt16BE(p);
    p += 1 + buf[p];
    const extEnd = p + 2 + buf.readUInt16BE(p);
    p += 2;
    while (p + 4 <= extEnd && p + 4 <= buf.length) {
      const type = buf.readUInt16BE(p);
      const len = buf.readUInt16BE(p + 2);
      if (type === 0) {
        const nameLen = buf.readUInt16BE(p + 7);
        return buf.toString('ascii', p + 9, p + 9 + nameLen);
      }
      p += 4 + len;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/** Token from Proxy-Authorization / Authorization (Bearer, or Basic with the token as password). */
export function tokenFromHeader(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const [scheme, rest] = value.split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return rest;
  if (/^basic$/i.test(scheme) && rest) {
    const dec = Buffer.from(rest, 'base64').toString('utf8');
    const i = dec.indexOf(':');
    return i >= 0 ? dec.slice(i + 1) : dec;
  }
  return undefined;
}

export class ForwardProxy {
  private server?: http.Server;
  private readonly verifier: IdentityVerifier;
  private tracked: TrackedServer | undefined;
  readonly counters = { requests: 0, tunnels: 0, blocked: 0, unauthenticated: 0 };

  constructor(private readonly opts: ProxyOptions) {
    this.verifier = new IdentityVerifier(opts.paths, opts.config.identity);
  }

  private allowList(id: Identity): string[] {
    const allow = this.opts.config.http?.forward?.allow ?? {};
    return [...(allow[id.subject] ?? []), ...id.groups.flatMap((g) => allow[g] ?? [])];
  }

  private emit(id: Identity | undefined, f: { method: string; url: string; host: string; port: number; status?: number; decision: 'allow' | 'block'; reason?: string; sni?: string; bytesOut?: number; bytesIn?: number; conn: string }): void {
    const ev: AwEvent = {
      time: nowTime(),
      kind: f.decision === 'block' ? 'gateway.block' : 'gateway.http',
      source: { type: 'gateway', name: 'http-forward' },
      gateway: {
        protocol: 'http',
        connection_id: f.conn,
        identity: id ? { subject: id.subject, groups: id.groups, issuer: id.issuer } : undefined,
        http: { method: f.method, url: f.url, host: f.host, status: f.status },
        decision: f.decision,
        reason: f.reason,
      },
      network: { transport: 'tcp', direction: 'outbound', dst_host: f.host, dst_port: f.port, bytes_out: f.bytesOut, bytes_in: f.bytesIn },
    };
    if (f.sni) ev.tls = { sni: f.sni };
    if (id) ev.session = { id: id.sessionId ?? `http-${id.subject}`, agent: { kind: 'unknown', name: id.subject }, attribution: 'identity' };
    this.opts.emit(ev);
  }

  private async identify(header: string | undefined): Promise<Identity | { error: string }> {
    try {
      return await this.verifier.verify(tokenFromHeader(header));
    } catch (err) {
      return { error: (err as Error).message };
    }
  }

  async start(): Promise<{ host: string; port: number }> {
    const { host, port } = splitHostPort(this.opts.config.http?.forward?.listen ?? '127.0.0.1:3128', 3128);
    let n = 0;
    this.server = http.createServer((req, res) => void this.onRequest(req, res, `fwd-${++n}`));
    this.server.on('connect', (req, sock, head) => void this.onConnect(req, sock, head, `fwd-${++n}`));
    this.tracked = trackServer(this.server);
    return this.tracked.listen(host, port);
  }

  async stop(): Promise<void> {
    await this.tracked?.close();
  }

  status(): Record<string, unknown> {
    return { ...this.counters };
  }

  private deny(sock: Duplex, code: number, text: string, extra = ''): void {
    const body = `${text}\n`;
    sock.end(`HTTP/1.1 ${code} ${code === 407 ? 'Proxy Authentication Required' : 'Forbidden'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-AgentWarden-Block: 1\r\nConnection: close\r\n${extra}\r\n${body}`);
  }

  private async onConnect(req: http.IncomingMessage, sock: Duplex, head: Buffer, conn: string): Promise<void> {
    this.counters.tunnels++;
    sock.on('error', () => {});
    const { host, port } = splitHostPort(req.url ?? '', 443);
    const id = await this.identify(req.headers['proxy-authorization']);
    if ('error' in id) {
      this.counters.unauthenticated++;
      this.emit(undefined, { method: 'CONNECT', url: req.url ?? '', host, port, status: 407, decision: 'block', reason: id.error, conn });
      return this.deny(sock, 407, `AgentWarden: proxy authentication required (${id.error})`, 'Proxy-Authenticate: Basic realm="agentwarden"\r\n');
    }
    if (!hostAllowed(this.allowList(id), host, port)) {
      this.counters.blocked++;
      this.emit(id, { method: 'CONNECT', url: req.url ?? '', host, port, status: 403, decision: 'block', reason: `host ${host}:${port} not allowed for ${id.subject}`, conn });
      return this.deny(sock, 403, `AgentWarden: ${host}:${port} is not in the egress allowlist for agent ${id.subject}`);
    }
    const up = net.connect({ host, port });
    let bytesOut = 0;
    let bytesIn = 0;
    let sni: string | undefined;
    let first = true;
    up.on('error', () => sock.destroy());
    up.once('connect', () => {
      sock.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      const onData = (c: Buffer) => {
        if (first) {
          first = false;
          sni = parseSni(c);
          if (sni && !hostAllowed(this.allowList(id), sni, port)) {
            this.counters.blocked++;
            this.emit(id, { method: 'CONNECT', url: req.url ?? '', host, port, decision: 'block', reason: `SNI ${sni} differs from ${host} and is not allowed`, sni, conn });
            sock.destroy();
            up.destroy();
            return;
          }
        }
        bytesOut += c.length;
        if (!up.write(c)) sock.pause();
      };
      up.on('drain', () => sock.resume());
      sock.on('data', onData);
      if (head.length) onData(head);
      up.on('data', (c: Buffer) => {
        bytesIn += c.length;
        if (!sock.write(c)) up.pause();
      });
      sock.on('drain', () => up.resume());
    });
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      up.destroy();
      sock.destroy();
      this.emit(id, { method: 'CONNECT', url: req.url ?? '', host, port, status: 200, decision: 'allow', sni, bytesOut, bytesIn, conn });
    };
    sock.on('close', finish);
    up.on('close', finish);
  }

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse, conn: string): Promise<void> {
    this.counters.requests++;
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('AgentWarden: a forward proxy request needs an absolute URL\n');
      return;
    }
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const id = await this.identify(req.headers['proxy-authorization']);
    if ('error' in id) {
      this.counters.unauthenticated++;
      this.emit(undefined, { method: req.method ?? 'GET', url: url.href, host: url.hostname, port, status: 407, decision: 'block', reason: id.error, conn });
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="agentwarden"', 'content-type': 'text/plain', 'x-agentwarden-block': '1' }).end(`AgentWarden: proxy authentication required (${id.error})\n`);
      return;
    }
    if (url.protocol !== 'http:' || !hostAllowed(this.allowList(id), url.hostname, port)) {
      this.counters.blocked++;
      this.emit(id, { method: req.method ?? 'GET', url: url.href, host: url.hostname, port, status: 403, decision: 'block', reason: `host ${url.hostname}:${port} not allowed for ${id.subject}`, conn });
      res.writeHead(403, { 'content-type': 'text/plain', 'x-agentwarden-block': '1' }).end(`AgentWarden: ${url.hostname}:${port} is not in the egress allowlist for agent ${id.subject}\n`);
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    delete headers['proxy-connection'];
    let bytesOut = 0;
    let bytesIn = 0;
    const up = http.request({ host: url.hostname, port, method: req.method, path: url.pathname + url.search, headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.on('data', (c: Buffer) => (bytesIn += c.length));
      ur.pipe(res);
      ur.on('end', () => this.emit(id, { method: req.method ?? 'GET', url: url.href, host: url.hostname, port, status: ur.statusCode, decision: 'allow', bytesOut, bytesIn, conn }));
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`AgentWarden: upstream error: ${e.message}\n`);
    });
    req.on('data', (c: Buffer) => (bytesOut += c.length));
    req.pipe(up);
  }
}
