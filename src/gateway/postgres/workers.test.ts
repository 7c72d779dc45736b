// Worker-process mode against a real PostgreSQL: connections spread over two processes,
// events collected by the primary, cancel requests relayed to the worker that owns the key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { resolvePaths, type AwPaths } from '../../core/paths.js';
import type { AwEvent } from '../../schema/index.js';
import { tempHome } from '../../testing/index.js';
import { issueToken } from '../identity/identity.js';
import { GatewayService } from '../service.js';
import { pgSkipReason, startCluster, type PgCluster } from './pgcluster.js';

describe('postgres gateway with worker processes', { skip: pgSkipReason() }, () => {
  let cluster: PgCluster;
  let svc: GatewayService;
  let paths: AwPaths;
  let port = 0;
  const events: AwEvent[] = [];

  before(async () => {
    cluster = await startCluster();
    paths = resolvePaths(tempHome('aw-gww-'));
    svc = new GatewayService();
    const l = await svc.startWith(
      paths,
      {
        postgres: { listen: '127.0.0.1:0', workers: 2, upstream: { host: cluster.host, port: cluster.port, user: cluster.superuser, password: cluster.password, database: 'postgres' } },
        functions: { allow: ['pg_sleep'] },
      },
      (e) => events.push(e),
      () => {},
    );
    port = l.postgres!.port;
  });

  after(async () => {
    await svc?.stop();
    cluster?.stop();
  });

  test('several connections, policy in every worker, events reach the primary, cancel is relayed', async () => {
    const tok = (await issueToken(paths, undefined, { agent: 'w-agent', groups: [], ttl: '5m' })).token;
    const clients = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const c = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'postgres', password: tok, ssl: { rejectUnauthorized: false } });
        await c.connect();
        return c;
      }),
    );
    for (const c of clients) {
      assert.equal((await c.query('SELECT 2 AS two')).rows[0].two, 2);
      await assert.rejects(c.query('CREATE TABLE nope(a int)'), /blocked by policy/);
    }
    await Promise.all(clients.map((c) => c.end()));
    // A cancel opens a new connection, which the round-robin hands to another worker.
    const child = spawn(cluster.bins.psql, ['-X', `host=127.0.0.1 port=${port} dbname=postgres user=agent sslmode=require`, '-c', 'SELECT pg_sleep(20)'], { env: { ...process.env, PGPASSWORD: tok } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    for (let i = 0; i < 300 && !events.some((e) => e.kind === 'gateway.statement' && e.gateway?.statement?.text === 'SELECT pg_sleep(20)'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    assert.match(err, /canceling statement due to user request/);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(events.filter((e) => e.kind === 'gateway.block').length >= 4);
    const conns = new Set(events.filter((e) => e.kind === 'gateway.statement').map((e) => e.gateway?.connection_id));
    assert.ok(conns.size >= 4);
  });
});

describe('postgres gateway with one worker process', { skip: pgSkipReason() }, () => {
  let cluster: PgCluster;
  let svc: GatewayService;
  let paths: AwPaths;
  const events: AwEvent[] = [];

  before(async () => {
    cluster = await startCluster();
    paths = resolvePaths(tempHome('aw-gww1-'));
    svc = new GatewayService();
    await svc.startWith(
      paths,
      { postgres: { listen: '127.0.0.1:0', workers: 1, upstream: { host: cluster.host, port: cluster.port, user: cluster.superuser, password: cluster.password, database: 'postgres' } } },
      (e) => events.push(e),
      () => {},
    );
  });

  after(async () => {
    await svc?.stop();
    cluster?.stop();
  });

  test('workers: 1 runs the proxy out of this process; policy applies and events reach the primary', async () => {
    assert.ok(svc.pgWorkers, 'one worker process');
    assert.equal(svc.pg, undefined);
    const tok = (await issueToken(paths, undefined, { agent: 'w1-agent', groups: [], ttl: '5m' })).token;
    const c = new pg.Client({ host: '127.0.0.1', port: svc.listeners.postgres!.port, user: 'x', database: 'postgres', password: tok, ssl: { rejectUnauthorized: false } });
    await c.connect();
    assert.equal((await c.query('SELECT 3 AS three')).rows[0].three, 3);
    await assert.rejects(c.query('DROP TABLE IF EXISTS nope'), /blocked by policy/);
    await c.end();
    for (let i = 0; i < 100 && !events.some((e) => e.kind === 'gateway.block'); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.some((e) => e.kind === 'gateway.statement' && e.gateway?.statement?.text === 'SELECT 3 AS three' && e.gateway.identity?.subject === 'w1-agent'));
    assert.ok(events.some((e) => e.kind === 'gateway.block'));
  });
});
