// Syslog transports.
// TCP (RFC 6587 octet counting): one persistent connection, reopened after any error or
// after the receiver closes it. A write counts as delivered once the kernel accepted it:
// syslog over TCP has no application acknowledgement, so bytes written just before the
// receiver dies can be lost in its socket buffer. We detect a closed peer before writing
// (the 'end'/'close' events) and reconnect; use an HTTP exporter where at-least-once matters.
// UDP (RFC 5426): one message per datagram; larger than 65,000 bytes is cut (counted in lastError).
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ExportResponse, Transport } from '../core/types.js';
import { unframe } from './serializer.js';

export class SyslogTcpTransport implements Transport {
  readonly target: string;
  lastError?: string;
  private sock: Socket | undefined;
  private alive = false;
  private readonly ca?: Buffer;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly tls?: { caFile?: string },
  ) {
    this.target = `syslog+${tls ? 'tls' : 'tcp'}://${host}:${port}`;
    if (tls?.caFile) this.ca = readFileSync(tls.caFile);
  }

  /** Whether a connection is open and the receiver has not closed its side. */
  get connected(): boolean {
    return this.alive;
  }

  private open(timeoutMs: number): Promise<Socket> {
    if (this.sock && this.alive) return Promise.resolve(this.sock);
    this.sock?.destroy();
    return new Promise((resolve, reject) => {
      // RFC 5425: the same octet-counted stream inside TLS; the server certificate is verified.
      const s = this.tls ? tlsConnect({ host: this.host, port: this.port, ca: this.ca, servername: isIP(this.host) ? undefined : this.host }) : connect({ host: this.host, port: this.port });
      const t = setTimeout(() => s.destroy(new Error(`connect timeout after ${timeoutMs} ms`)), timeoutMs);
      s.once(this.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(t);
        this.sock = s;
        this.alive = true;
        s.setNoDelay(true);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(t);
        this.alive = false;
        reject(err);
      });
      // The receiver closing its side means the next write would vanish: reconnect first.
      s.on('end', () => (this.alive = false));
      s.on('close', () => (this.alive = false));
      s.on('data', () => undefined);
    });
  }

  async send(data: Uint8Array, timeoutMs: number): Promise<ExportResponse> {
    try {
      const s = await this.open(timeoutMs);
      await new Promise<void>((resolve, reject) => {
        const onErr = (e: Error) => reject(e);
        s.once('error', onErr);
        s.write(data, (err) => {
          s.off('error', onErr);
          if (err) reject(err);
          else resolve();
        });
      });
      return 'success';
    } catch (err) {
      this.lastError = (err as Error).message;
      this.alive = false;
      this.sock?.destroy();
      this.sock = undefined;
      return { retryable: true, reason: this.lastError };
    }
  }

  async close(): Promise<void> {
    const s = this.sock;
    this.sock = undefined;
    if (s) await new Promise<void>((r) => s.end(() => r()));
  }
}

export const UDP_MAX = 65_000;

export class SyslogUdpTransport implements Transport {
  readonly target: string;
  lastError?: string;
  truncated = 0;
  private sock: UdpSocket;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.target = `syslog+udp://${host}:${port}`;
    this.sock = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    this.sock.unref();
    this.sock.on('error', (e) => (this.lastError = e.message));
  }

  async send(data: Uint8Array): Promise<ExportResponse> {
    try {
      for (const msg of unframe(data)) {
        let m = msg;
        if (m.byteLength > UDP_MAX) {
          m = m.subarray(0, UDP_MAX);
          this.truncated++;
          this.lastError = `${this.truncated} messages truncated to ${UDP_MAX} bytes`;
        }
        await new Promise<void>((resolve, reject) => this.sock.send(m, this.port, this.host, (err) => (err ? reject(err) : resolve())));
      }
      return 'success';
    } catch (err) {
      this.lastError = (err as Error).message;
      return { retryable: true, reason: this.lastError };
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.sock.close(() => r()));
  }
}
