// End to end through the CLI: `agentwarden gateway` in its own process with a YAML config,
// `token issue`, psql through the gateway, `approvals list/approve`, events in the store,
// `replay`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { runCli, spawnCli, tempHome } from '../testing/index.js';
import { pgSkipReason, startCluster, type PgCluster } from './postgres/pgcluster.js';

const skip = pgSkipReason();

describe('gateway CLI end to end', { skip }, () => {
  let cluster: PgCluster;
  let home: string;
  let cfgFile: string;
  let gw: ChildProcess;
  let port = 0;

  const cli = (args: string[]) => runCli(['--store', home, '--config', cfgFile, ...args]);
  const psql = (sql: string, token: string) =>
    spawnSync(cluster.bins.psql, ['-X', '-A', '-t', `host=127.0.0.1 port=${port} dbname=app user=agent sslmode=require`, '-c', sql], { env: { ...process.env, PGPASSWORD: token }, encoding: 'utf8', timeout: 30_000 });

  before(async () => {
    cluster = await startCluster();
    const admin = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.superuser, password: cluster.password, database: 'postgres' });
    await admin.connect();
    await admin.query("CREATE ROLE gw LOGIN PASSWORD 'pw-cli'");
    await admin.query('CREATE DATABASE app OWNER gw');
    await admin.end();
    const owner = new pg.Client({ host: cluster.host, port: cluster.port, user: 'gw', password: 'pw-cli', database: 'app' });
    await owner.connect();
    await owner.query("CREATE TABLE users(id int, email text); INSERT INTO users VALUES (1, 'zoe@example.com'), (2, 'yan@example.com')");
    await owner.end();
    home = tempHome('aw-gwcli-');
    const keyFile = join(home, 'rec.key');
    writeFileSync(keyFile, randomBytes(32).toString('hex'));
    writeFileSync(join(home, 'pw'), 'pw-cli\n');
    cfgFile = join(home, 'agentwarden.yaml');
    writeFileSync(
      cfgFile,
      `gateway:
  postgres:
    listen: 127.0.0.1:0
    upstream: { host: 127.0.0.1, port: ${cluster.port}, user: gw, password_file: ${join(home, 'pw')}, database: app }
  groups: { ops: writers }
  policies:
    writers:
      default: allow
      rules:
        - { ops: [write], tables: [users], action: require_approval }
        - { ops: [admin, unknown], action: block }
  masking:
    columns: [{ column: users.email, strategy: partial, keep: 11 }]
  approvals: { hold_ms: 300 }
  recording: { key_file: ${keyFile} }
`,
    );
    gw = spawnCli(['--store', home, '--config', cfgFile, 'gateway', '--json']);
    let out = '';
    port = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 30_000);
      gw.stdout!.on('data', (d) => {
        out += d;
        const m = /"postgres":\{"host":"[^"]+","port":(\d+)/.exec(out);
        if (m) {
          clearTimeout(t);
          resolve(Number(m[1]));
        }
      });
      gw.stderr!.on('data', (d) => (out += d));
      gw.on('exit', (c) => reject(new Error(`gateway exited ${c}: ${out}`)));
    });
  });

  after(async () => {
    if (gw && gw.exitCode === null) {
      gw.kill('SIGTERM');
      await new Promise((r) => gw.once('exit', r));
    }
    cluster?.stop();
  });

  test('token, psql, approvals CLI, store events and replay', async () => {
    const bad = cli(['token', 'issue', '--agent', 'x', '--ttl', '99d']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /exceeds/);
    const t = cli(['token', 'issue', '--agent', 'ops-bot', '--groups', 'ops', '--ttl', '10m']);
    assert.equal(t.code, 0, t.stderr);
    const token = t.stdout.trim();
    const read = psql('SELECT id, email FROM users ORDER BY id', token);
    assert.equal(read.status, 0, read.stderr);
    assert.equal(read.stdout.trim().split('\n')[0], '1|****example.com');
    const upd = psql("UPDATE users SET email = 'new@example.com' WHERE id = 2", token);
    assert.notEqual(upd.status, 0);
    const id = /request (apr-[0-9a-f]+)/.exec(upd.stderr)?.[1];
    assert.ok(id, upd.stderr);
    const list = cli(['approvals', 'list', '--json']);
    assert.equal(JSON.parse(list.stdout.trim().split('\n')[0]).id, id);
    const self = cli(['approvals', 'approve', id, '--as', 'ops-bot']);
    assert.equal(self.code, 1);
    assert.match(self.stderr, /self-approval refused/);
    const ok = cli(['approvals', 'approve', id, '--as', 'alice']);
    assert.equal(ok.code, 0, ok.stderr);
    const upd2 = psql("UPDATE users SET email = 'new@example.com' WHERE id = 2", token);
    assert.equal(upd2.status, 0, upd2.stderr);
    const drop = psql('DROP TABLE users', token);
    assert.equal(drop.status, 0, drop.stderr);
    gw.kill('SIGTERM');
    await new Promise((r) => gw.once('exit', r));
    const ev = cli(['events', '--kind', 'gateway.approval', '--json']);
    const evs = ev.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(evs.some((e) => e.gateway.decision === 'approved' && /alice/.test(e.gateway.reason)));
    const stmts = cli(['events', '--kind', 'gateway.statement', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(stmts.some((e) => e.gateway.identity.subject === 'ops-bot' && e.session.agent.name === 'ops-bot'));
    const recs = cli(['replay', '--list', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(recs.length >= 3);
    const first = recs.find((r) => r.agent === 'ops-bot');
    const rp = cli(['replay', first.session]);
    assert.equal(rp.code, 0, rp.stderr);
    assert.match(rp.stdout, /\[allow\] SELECT id, email FROM users ORDER BY id/);
    assert.match(rp.stdout, /\*\*\*\*example\.com/);
    assert.doesNotMatch(rp.stdout, /zoe@example\.com/);
    // Without the key file: unreadable.
    const noKey = runCli(['--store', home, 'replay', first.session]);
    assert.notEqual(noKey.code, 0);
    assert.match(noKey.stderr, /not configured/);
  });
});
