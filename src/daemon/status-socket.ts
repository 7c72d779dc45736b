// The daemon's status socket: a Unix socket in the run directory (mode 0600) answering one
// JSON request per line: {"op":"status"} or {"op":"sessions"}; one JSON line back.
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { AwPaths } from '../core/paths.js';

export function socketPath(paths: AwPaths): string {
  return join(paths.runDir, 'daemon.sock');
}

type Handlers = Record<string, () => unknown>;

export class StatusServer {
  private server: Server | undefined;
  constructor(
    private readonly path: string,
    private readonly handlers: Handlers,
  ) {}

  async listen(): Promise<void> {
    if (existsSync(this.path)) rmSync(this.path, { force: true });
    this.server = createServer((sock) => {
      let buf = '';
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        buf += d;
        if (buf.length > 65536) return sock.destroy();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let reply: unknown;
          try {
            const req = JSON.parse(line) as { op?: string };
            const h = req.op ? this.handlers[req.op] : undefined;
            reply = h ? { ok: true, result: h() } : { ok: false, error: `unknown op ${JSON.stringify(req.op)}` };
          } catch (err) {
            reply = { ok: false, error: (err as Error).message };
          }
          sock.write(`${JSON.stringify(reply)}\n`);
        }
      });
      sock.on('error', () => undefined);
    });
    await new Promise<void>((res, rej) => {
      this.server!.once('error', rej);
      this.server!.listen(this.path, () => res());
    });
    chmodSync(this.path, 0o600);
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    rmSync(this.path, { force: true });
  }
}

/** Sends one request to the daemon; rejects when no daemon answers. */
export function askDaemon(paths: AwPaths, op: string, timeoutMs = 5000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socketPath(paths));
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('the daemon did not answer'));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${JSON.stringify({ op })}\n`));
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      try {
        const r = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string };
        if (r.ok) resolve(r.result);
        else reject(new Error(r.error));
      } catch (err) {
        reject(err);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
