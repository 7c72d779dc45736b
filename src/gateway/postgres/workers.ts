// Gateway worker processes behind one listener (node:cluster). The proxy work (TLS,
// framing, policy, masking, recording) runs in the workers and the events/store work in the
// primary, so the two never share a thread; more workers add throughput when CPUs are free
// (on a 2-CPU host shared with the database, one worker was best). The primary accepts
// connections and hands them to workers, collects their events (batched over IPC) into its
// sink, and relays cancel requests, which arrive on a fresh connection that may land on any
// worker.
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { AwPaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { ApprovalStore } from '../approvals/approvals.js';
import type { GatewayConfig } from '../config.js';
import { issuerKey } from '../identity/identity.js';
import { loadRecordingKeys } from '../recording/recording.js';
import { loadOrCreateTls } from './tls.js';

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'start'; home: string; config: GatewayConfig }
  | { type: 'listening'; host: string; port: number }
  | { type: 'events'; events: AwEvent[] }
  | { type: 'cancel'; pid: number; secret: number }
  | { type: 'log'; message: string }
  | { type: 'error'; message: string }
  | { type: 'stop' };

export class PgWorkers {
  private readonly workers: Worker[] = [];
  tlsFingerprint = '';
  certFile = '';
  generated = false;

  constructor(private readonly opts: { paths: AwPaths; config: GatewayConfig; emit: (ev: AwEvent) => void; log?: (m: string) => void; count: number }) {}

  async start(): Promise<{ host: string; port: number }> {
    // Create shared files once, before workers race for them.
    const tls = loadOrCreateTls(this.opts.paths, this.opts.config.postgres?.tls);
    this.tlsFingerprint = tls.fingerprint;
    this.certFile = tls.certFile;
    this.generated = tls.generated;
    issuerKey(this.opts.paths);
    if (this.opts.config.recording?.enabled !== false) loadRecordingKeys(this.opts.paths, this.opts.config.recording);
    ApprovalStore.open(this.opts.paths).close();
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), args: [], silent: false });
    const ready: Array<Promise<{ host: string; port: number }>> = [];
    for (let i = 0; i < this.opts.count; i++) {
      const w = cluster.fork();
      this.workers.push(w);
      ready.push(
        new Promise((resolve, reject) => {
          w.on('message', (m: WorkerMessage) => {
            // The worker announces itself once its message handler exists (ESM loads async).
            if (m.type === 'ready') w.send({ type: 'start', home: this.opts.paths.home, config: this.opts.config } satisfies WorkerMessage);
            else if (m.type === 'listening') resolve({ host: m.host, port: m.port });
            else if (m.type === 'error') reject(new Error(m.message));
            else if (m.type === 'events') for (const e of m.events) this.opts.emit(e);
            else if (m.type === 'cancel') {
              for (const o of this.workers) if (o !== w) o.send({ type: 'cancel', pid: m.pid, secret: m.secret });
            } else if (m.type === 'log') this.opts.log?.(m.message);
          });
          w.once('exit', (code) => reject(new Error(`gateway worker exited (${code})`)));
        }),
      );
      // Start workers one after the other; with port 0 node:cluster hands every worker the
      // same port (the primary keys shared handles by the requested address).
      await ready[i];
    }
    const all = await Promise.all(ready);
    if (all.some((a) => a.port !== all[0].port)) throw new Error('gateway workers did not share one port');
    return all[0];
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.isDead()) return resolve();
            w.once('exit', () => resolve());
            w.send({ type: 'stop' } satisfies WorkerMessage);
            setTimeout(() => w.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }

  status(): Record<string, unknown> {
    return { workers: this.workers.filter((w) => !w.isDead()).length, tls_fingerprint: this.tlsFingerprint };
  }
}
