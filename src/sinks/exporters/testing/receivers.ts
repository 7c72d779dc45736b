// Real loopback receivers for exporter tests: an HTTP server that records every request
// and answers through a programmable handler, and can be stopped and restarted on the
// same port (receiver restart mid-stream); and syslog TCP/UDP listeners.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Handler = (req: RecordedRequest, res: ServerResponse, index: number) => unknown;

export class HttpReceiver {
  readonly requests: RecordedRequest[] = [];
  handler: Handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  };
  port = 0;
  private server: Server | undefined;
  private sockets = new Set<Socket>();

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
        const i = this.requests.push(rec) - 1;
        Promise.resolve(this.handler(rec, res, i)).catch(() => res.destroy());
      });
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and cuts open connections (a crashed receiver). */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    // Stop accepting first, then cut every connection: a client reconnecting in a loop must
    // not slip a connection in between (close() would then wait for it forever).
    const closed = new Promise<void>((r) => s.close(() => r()));
    s.closeAllConnections();
    for (const sock of this.sockets) sock.destroy();
    await closed;
  }
}

/** Syslog over TCP: collects the raw byte stream of every connection. */
export class TcpReceiver {
  port = 0;
  data = Buffer.alloc(0);
  connections = 0;
  private server: TcpServer | undefined;
  private sockets = new Set<Socket>();

  async start(): Promise<this> {
    const server = createTcpServer((s) => {
      this.connections++;
      this.sockets.add(s);
      s.on('data', (c: Buffer) => (this.data = Buffer.concat([this.data, c])));
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const sock of this.sockets) sock.destroy();
    await closed;
  }
}

/** Syslog over UDP: one message per datagram. */
export class UdpReceiver {
  port = 0;
  readonly messages: Buffer[] = [];
  private sock: UdpSocket | undefined;

  async start(): Promise<this> {
    const sock = createSocket('udp4');
    sock.on('message', (m) => this.messages.push(m));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    this.port = (sock.address() as AddressInfo).port;
    this.sock = sock;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.sock ? this.sock.close(() => r()) : r()));
  }
}

/** Waits until `cond` holds (polling), failing after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
