// ExportersService with a real store and a real loopback receiver: the store is the
// durable buffer (a long outage loses nothing, memory stays bounded), the cursor survives
// a daemon restart, and start_at selects where a new exporter begins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePaths } from '../../core/paths.js';
import type { AwConfig } from '../../config/types.js';
import type { AwEvent } from '../../schema/index.js';
import { tempHome } from '../../testing/index.js';
import { openStore } from '../store/index.js';
import { HttpReceiver, until } from './testing/receivers.js';
import { ExportersService } from './service.js';

function ev(i: number): AwEvent {
  return { id: `s${i}`, time: `2026-12-03T15:43:41.${String(i).padStart(9, '0')}Z`, kind: 'file.open', source: { type: 'test' }, file: { path: `/w/f${i}` } };
}

/** Event ids the receiver got (the OCSF exporter posts arrays; metadata.uid is our id). */
function delivered(r: HttpReceiver): string[] {
  return r.requests.flatMap((q) => JSON.parse(q.body.toString('utf8')).map((o: any) => o.metadata.uid as string));
}

function append(home: string, from: number, to: number) {
  const store = openStore(resolvePaths(home));
  const items = [];
  for (let i = from; i <= to; i++) items.push({ event: ev(i) });
  store.appendBatch(items);
  store.close();
}

function config(url: string, extra: Record<string, unknown> = {}): AwConfig {
  return {
    exporters: [
      {
        type: 'ocsf',
        name: 'lake',
        url: `${url}/ingest`,
        buffer: { capacity: 50 },
        batch: { max_events: 20, flush_ms: 5 },
        retry: { max_attempts: 1, initial_backoff_ms: 5, max_backoff_ms: 40 },
        close_timeout_ms: 300,
        ...extra,
      },
    ],
  } as AwConfig;
}

function ctxFor(home: string, emitted: AwEvent[] = [], logs: string[] = []) {
  return { config: {}, paths: resolvePaths(home), emit: (e: AwEvent) => emitted.push(e), log: (m: string) => logs.push(m) };
}

test('a long outage loses nothing: the service stops reading instead of dropping', async () => {
  const home = tempHome();
  append(home, 1, 10); // history before the exporter existed
  const r = await new HttpReceiver().start();
  await r.stop();
  const svc = new ExportersService(config(r.url), { pollMs: 10 });
  await svc.start(ctxFor(home));
  append(home, 11, 510); // 500 new events while the receiver is down; buffer holds 50
  await until(() => svc.sinks[0].counters.state === 'retrying', 5000, 'retrying');
  await new Promise((res) => setTimeout(res, 300));
  assert.ok(svc.sinks[0].depth <= 50, 'memory bounded by the buffer');
  assert.equal(svc.sinks[0].droppedTotal, 0);
  await r.start();
  await svc.drain();
  const got = delivered(r);
  assert.deepEqual(
    [...new Set(got)],
    Array.from({ length: 500 }, (_, i) => `s${i + 11}`),
    'default start_at=end: only events after the start, all of them, in order',
  );
  assert.equal(svc.sinks[0].droppedTotal, 0);
  const st = svc.status().lake as Record<string, unknown>;
  assert.equal(st.cursor, 510);
  assert.equal(st.lag, 0);
  await svc.stop();
  assert.equal(JSON.parse(readFileSync(join(home, 'exporters', 'lake.cursor'), 'utf8')).seq, 510);
  await r.stop();
});

test('the cursor survives a restart; events the sink could not deliver at stop are sent next time', async () => {
  const home = tempHome();
  const r = await new HttpReceiver().start();
  const c = config(r.url, { start_at: 'beginning' });
  append(home, 1, 30);
  const svc1 = new ExportersService(c, { pollMs: 10 });
  await svc1.start(ctxFor(home));
  await svc1.drain();
  await r.stop(); // receiver goes away
  append(home, 31, 60);
  await until(() => svc1.sinks[0].counters.state === 'retrying', 5000, 'retrying');
  await svc1.stop(); // gives up after close_timeout_ms: counted as shutdown, not past the cursor
  assert.equal(JSON.parse(readFileSync(join(home, 'exporters', 'lake.cursor'), 'utf8')).seq, 30);

  await r.start();
  const svc2 = new ExportersService(c, { pollMs: 10 });
  await svc2.start(ctxFor(home));
  await svc2.drain();
  const uniq = [...new Set(delivered(r))];
  assert.deepEqual(uniq, Array.from({ length: 60 }, (_, i) => `s${i + 1}`));
  assert.equal((svc2.status().lake as { cursor: number }).cursor, 60);
  await svc2.stop();
  await r.stop();
});

test('drops are reported into the pipeline as sensor.drop events', async () => {
  const home = tempHome();
  const r = await new HttpReceiver().start();
  r.handler = (_q, res) => res.writeHead(400).end('no');
  const emitted: AwEvent[] = [];
  const svc = new ExportersService(config(r.url, { start_at: 'beginning' }), { pollMs: 10, reportMs: 20 });
  append(home, 1, 5);
  await svc.start(ctxFor(home, emitted));
  await svc.drain();
  await until(() => emitted.some((e) => e.kind === 'sensor.drop'), 5000, 'drop report');
  const d = emitted.find((e) => e.kind === 'sensor.drop')!;
  assert.equal(d.sensor?.name, 'exporter:lake');
  assert.equal(d.sensor?.drops?.rejected, 5);
  await svc.stop();
  await r.stop();
});

test('no service without exporters', () => {
  assert.equal(ExportersService.fromConfig({}), undefined);
  assert.ok(ExportersService.fromConfig(config('http://127.0.0.1:1')));
});

test('inside the real daemon: what the daemon records reaches the receiver', async () => {
  const { startDaemon } = await import('../../daemon/daemon.js');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const home = tempHome();
  const paths = resolvePaths(home);
  // A stale state file from a "killed" daemon makes the new one record an alert at start.
  mkdirSync(paths.runDir, { recursive: true });
  writeFileSync(join(paths.runDir, 'daemon.json'), JSON.stringify({ pid: 2 ** 22 + 12345, started: '2026-12-03T00:00:00Z' }));
  const r = await new HttpReceiver().start();
  const cfg = config(r.url, { start_at: 'beginning', filter: { kinds: ['alert'] } });
  let svc: ExportersService | undefined;
  const d = await startDaemon({
    config: cfg,
    paths,
    log: () => undefined,
    services: [{ name: 'exporters', create: (c) => (svc = ExportersService.fromConfig(c, { pollMs: 10 })) }],
  });
  await until(() => r.requests.length > 0, 10_000, 'the alert at the receiver');
  const got = JSON.parse(r.requests[0].body.toString('utf8'));
  assert.equal(got[0].class_uid, 2004);
  assert.equal(got[0].finding_info.analytic.uid, 'AW-DAEMON-UNCLEAN-STOP');
  // The receiver records the request before it answers: wait for the answer to be counted.
  await until(() => (svc!.status().lake as { sent: number }).sent === 1, 10_000, 'the delivery counted');
  await d.stop();
  await r.stop();
});

test('a cursor past the end of a recreated store restarts from its beginning', async () => {
  const home = tempHome();
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(join(home, 'exporters'), { recursive: true });
  writeFileSync(join(home, 'exporters', 'lake.cursor'), JSON.stringify({ seq: 9999 }));
  append(home, 1, 3);
  const r = await new HttpReceiver().start();
  const logs: string[] = [];
  const svc = new ExportersService(config(r.url), { pollMs: 10 });
  await svc.start(ctxFor(home, [], logs));
  await svc.drain();
  assert.deepEqual(delivered(r), ['s1', 's2', 's3']);
  assert.ok(logs.some((l) => /past the end of the store/.test(l)));
  await svc.stop();
  await r.stop();
});
