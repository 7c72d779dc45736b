// Listening and stopping for the HTTP proxies: a stop must not wait for keep-alive and
// CONNECT tunnels held open by agents, so every socket is tracked and destroyed.
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

export interface TrackedServer {
  /** Listens and resolves with the bound address. */
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  /** Destroys every open socket, then closes the server. */
  close(): Promise<void>;
}

export function trackServer(server: http.Server): TrackedServer {
  const sockets = new Set<Duplex>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    async listen(host, port) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
      const a = server.address() as net.AddressInfo;
      return { host: a.address, port: a.port };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
