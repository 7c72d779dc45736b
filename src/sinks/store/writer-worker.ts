// Worker thread of a threaded StoreWriter: owns one database connection and commits the
// prepared batches it receives, in order, replying with the assigned sequence numbers.
import { createPrivateKey } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { signingKeyFrom } from '../../core/keys.js';
import { EventStore, type PreparedBatch } from './store.js';

export interface WriterWorkerData {
  dir: string;
  keyPem: string;
  keyName: string;
  checkpointDirs: string[];
  durability: 'normal' | 'fsync';
  origin: string;
}

const data = workerData as WriterWorkerData;
const store = EventStore.open({
  dir: data.dir,
  key: signingKeyFrom(createPrivateKey(data.keyPem), data.keyName),
  checkpointDirs: data.checkpointDirs,
  durability: data.durability,
  origin: data.origin,
});

parentPort!.on('message', (msg: { id: number; batch: PreparedBatch } | { close: true }) => {
  if ('close' in msg) {
    store.close();
    parentPort!.close();
    return;
  }
  try {
    const r = store.commitPrepared(msg.batch);
    parentPort!.postMessage({ id: msg.id, firstSeq: r.firstSeq, lastSeq: r.lastSeq });
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, error: err instanceof Error ? err.message : String(err) });
  }
});
