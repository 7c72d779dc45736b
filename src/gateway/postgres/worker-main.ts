// Entry point of a gateway worker process (see workers.ts).
import { resolvePaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { PgGateway } from './server.js';
import type { WorkerMessage } from './workers.js';

let gw: PgGateway | undefined;
let batch: AwEvent[] = [];
let timer: NodeJS.Timeout | undefined;
const send = (m: WorkerMessage) => process.send?.(m);

function flush(): void {
  timer = undefined;
  if (!batch.length) return;
  send({ type: 'events', events: batch });
  batch = [];
}

process.on('message', (m: WorkerMessage) => {
  if (m.type === 'start') {
    gw = new PgGateway({
      paths: resolvePaths(m.home),
      config: m.config,
      // Events go to the primary in batches (one IPC message per 20 ms, not per statement).
      emit: (e) => {
        batch.push(e);
        timer ??= setTimeout(flush, 20);
      },
      log: (message) => send({ type: 'log', message }),
      onForeignCancel: (pid, secret) => send({ type: 'cancel', pid, secret }),
    });
    gw.start().then(
      (a) => send({ type: 'listening', host: a.host, port: a.port }),
      (err) => send({ type: 'error', message: (err as Error).message }),
    );
  } else if (m.type === 'cancel') {
    void gw?.cancelLocal(m.pid, m.secret);
  } else if (m.type === 'stop') {
    void (async () => {
      await gw?.stop();
      clearTimeout(timer);
      flush();
      setTimeout(() => process.exit(0), 50);
    })();
  }
});
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
