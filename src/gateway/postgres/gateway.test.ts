// Integration tests against a real PostgreSQL server (Debian packages), with real psql and
// node-postgres clients going through the gateway over TLS with AgentWarden tokens.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import tls from 'node:tls';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { SignJWT } from 'jose';
import { resolvePaths, type AwPaths } from '../../core/paths.js';
import { validateEvent, type AwEvent } from '../../schema/index.js';
import { tempHome } from '../../testing/index.js';
import { ApprovalStore } from '../approvals/approvals.js';
import type { GatewayConfig } from '../config.js';
import { issueToken } from '../identity/identity.js';
import { listRecordings, loadRecordingKeys, readRecording } from '../recording/recording.js';
import { pgSkipReason, startCluster, type PgCluster } from './pgcluster.js';
import { PgGateway } from './server.js';
import { FrameReader, SSL_REQUEST, int32, msg, parseErrorFields, startupMessage } from './wire.js';

const skip = pgSkipReason();

describe('postgres gateway (real PostgreSQL)', { skip }, () => {
  let cluster: PgCluster;
  let gw: PgGateway;
  let port = 0;
  let paths: AwPaths;
  const events: AwEvent[] = [];
  const recKey = randomBytes(32).toString('base64');

  const token = async (agent: string, groups: string[], ttl = '10m') => (await issueToken(paths, undefined, { agent, groups, ttl })).token;

  async function client(agent = 'reader-agent', groups = ['readers'], opts: { binary?: boolean; tok?: string } = {}): Promise<pg.Client> {
    const c = new pg.Client({ host: '127.0.0.1', port, user: agent, database: 'app', password: opts.tok ?? (await token(agent, groups)), ssl: { rejectUnauthorized: false }, ...(opts.binary ? { binary: true } : {}) } as pg.ClientConfig);
    await c.connect();
    return c;
  }

  function psql(sql: string, tok: string, extra: string[] = [], input?: string): Promise<{ code: number; out: string; err: string }> {
    // Asynchronous: the gateway runs in this process and must keep serving.
    return new Promise((resolve) => {
      const child = spawn(cluster.bins.psql, ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', `host=127.0.0.1 port=${port} dbname=app user=agent sslmode=require`, '-c', sql, ...extra], {
        env: { ...process.env, PGPASSWORD: tok, PGCONNECT_TIMEOUT: '10' },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
      child.stdin.end(input ?? '');
    });
  }

  before(async () => {
    cluster = await startCluster();
    const admin = new pg.Client({ host: cluster.host, port: cluster.port, user: cluster.superuser, password: cluster.password, database: 'postgres' });
    await admin.connect();
    await admin.query("CREATE ROLE gw LOGIN PASSWORD 'gw-upstream-secret'");
    await admin.query('CREATE DATABASE app OWNER gw');
    await admin.end();
    const owner = new pg.Client({ host: cluster.host, port: cluster.port, user: 'gw', password: 'gw-upstream-secret', database: 'app' });
    await owner.connect();
    await owner.query(`CREATE TABLE customers(id int PRIMARY KEY, name text, email text, card text, note text);
      INSERT INTO customers VALUES
        (1, 'Ada', 'ada@example.com', '4111 1111 1111 1111', 'key sk_live_abcdefghijklmnop1234'),
        (2, 'Bob', 'bob@example.org', '5500 0000 0000 0004', 'ssn 123-45-6789'),
        (3, 'Cy', 'cy@example.net', '3400 0000 0000 009', 'plain');
      CREATE TABLE staging(id int, v text);
      CREATE VIEW contacts AS SELECT id, email AS contact, upper(name) AS who FROM customers;`);
    await owner.end();
    const home = tempHome('aw-gw-');
    paths = resolvePaths(home);
    const cfg: GatewayConfig = {
      postgres: { listen: '127.0.0.1:0', upstream: { host: cluster.host, port: cluster.port, user: 'gw', password: 'gw-upstream-secret', database: 'app' } },
      groups: { readers: 'readonly', writers: 'writers' },
      policies: {
        writers: {
          default: 'allow',
          rules: [
            { tables: ['customers'], ops: ['write'], action: 'require_approval' },
            { ops: ['admin', 'unknown'], action: 'block' },
          ],
        },
      },
      functions: { allow: ['pg_sleep'] },
      masking: { columns: [{ column: 'customers.email' }, { column: 'customers.card', strategy: 'partial', keep: 4 }], detectors: ['email', 'card', 'api_key', 'national_id'] },
      approvals: { hold_ms: 400 },
      recording: { key: recKey },
    };
    gw = new PgGateway({ paths, config: cfg, emit: (e) => events.push(e) });
    ({ port } = await gw.start());
  });

  after(async () => {
    await gw?.stop();
    cluster?.stop();
  });

  test('identity: no TLS, wrong, expired, unknown-issuer and expiry-less tokens get a PostgreSQL error', async () => {
    // Plain TCP (no TLS): refused.
    const plain = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'app', password: await token('a', []), ssl: false });
    await assert.rejects(plain.connect(), /requires TLS/);
    const bad = new pg.Client({ host: '127.0.0.1', port, user: 'x', database: 'app', password: 'not-a-token', ssl: { rejectUnauthorized: false } });
    await assert.rejects(bad.connect(), (e: Error & { code?: string }) => e.code === '28P01' && /not a JWT/.test(e.message));
    const expired = await issueToken(paths, undefined, { agent: 'late', groups: [], ttl: '1s' });
    await new Promise((r) => setTimeout(r, 2100));
    const r1 = await psql('SELECT 1', expired.token);
    assert.notEqual(r1.code, 0);
    assert.match(r1.err, /token expired/);
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await new SignJWT({ groups: ['writers'] }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('mallory').setIssuer('agentwarden').setAudience('agentwarden-gateway').setExpirationTime('5m').sign(privateKey);
    const r2 = await psql('SELECT 1', forged);
    assert.notEqual(r2.code, 0);
    assert.match(r2.err, /token rejected/);
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: 'EdDSA' }).setSubject('x').setIssuer('agentwarden').sign(privateKey);
    assert.match((await psql('SELECT 1', noExp)).err, /no expiry/);
    assert.ok(events.some((e) => e.kind === 'gateway.connection' && e.gateway?.decision === 'denied'));
  });

  test('psql: allowed read, blocked write, session continues; masking of column, alias, computed, view', async () => {
    const tok = await token('reader-agent', ['readers']);
    const r = await psql("SELECT id, name, email, email AS e, lower(email) AS l, card FROM customers ORDER BY id", tok);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines[0], '1|Ada|****|****|****|****1111');
    assert.doesNotMatch(r.out, /ada@example\.com/);
    const v = await psql('SELECT contact, who FROM contacts ORDER BY id', tok);
    assert.equal(v.code, 0, v.err);
    assert.equal(v.out.trim().split('\n')[0], '****|ADA');
    const sub = await psql('SELECT x.m FROM (SELECT email AS m FROM customers) x LIMIT 1', tok);
    assert.equal(sub.out.trim(), '****');
    const star = await psql('SELECT * FROM customers WHERE id = 2', tok);
    assert.equal(star.out.trim(), '2|Bob|****|****0004|ssn ***-**-****');
    const multi1 = await psql('SELECT 1 AS a; SELECT email FROM customers WHERE id = 1', tok);
    assert.equal(multi1.code, 0, multi1.err);
    assert.doesNotMatch(multi1.out, /@example/);
    const union = await psql("SELECT name FROM customers WHERE id = 1 UNION ALL SELECT email FROM customers WHERE id = 2", tok);
    assert.doesNotMatch(union.out, /@example/);
    const whole = await psql('SELECT c FROM customers c WHERE id = 1', tok);
    assert.doesNotMatch(whole.out, /@example|4111/);
    const cteRead = await psql('WITH x AS (SELECT email AS m, id FROM customers) SELECT upper(m) FROM x WHERE id = 3', tok);
    assert.equal(cteRead.out.trim(), '****');
    const scalar = await psql('SELECT (SELECT email FROM customers WHERE id = 1) AS s', tok);
    assert.equal(scalar.out.trim(), '****');
    // Content detectors on a column without a rule.
    const note = await psql('SELECT note FROM customers WHERE id = 1', tok);
    assert.equal(note.out.trim(), 'key ****-key');
    const del = await psql('DELETE FROM customers', tok);
    assert.notEqual(del.code, 0);
    assert.match(del.err, /blocked by policy: write on customers/);
    const multi = await psql('SELECT 1; DELETE FROM customers WHERE id = 1', tok);
    assert.match(multi.err, /blocked by policy/);
    const cte = await psql('WITH x AS (DELETE FROM customers RETURNING *) SELECT 1', tok);
    assert.match(cte.err, /blocked by policy/);
    const admin = new pg.Client({ host: cluster.host, port: cluster.port, user: 'gw', password: 'gw-upstream-secret', database: 'app' });
    await admin.connect();
    assert.equal((await admin.query('SELECT count(*)::int AS n FROM customers')).rows[0].n, 3);
    await admin.end();
    assert.ok(events.some((e) => e.kind === 'gateway.block' && e.gateway?.statement?.text === 'DELETE FROM customers'));
    assert.ok(events.some((e) => e.kind === 'gateway.mask' && e.gateway?.masked?.some((m) => m.column === 'customers.email')));
  });

  test('psql COPY TO STDOUT is masked (text and CSV); binary COPY of masked columns is refused', () => {
    return token('reader-agent', ['readers']).then(async (tok) => {
      const r = await psql('COPY customers TO STDOUT', tok);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.split('\n')[0], '1\tAda\t****\t****1111\tkey ****-key');
      const csv = await psql('COPY (SELECT id, email AS e FROM customers ORDER BY id) TO STDOUT WITH (FORMAT csv)', tok);
      assert.equal(csv.out.split('\n')[0], '1,****');
      assert.doesNotMatch(csv.out, /@example/);
      const bin = await psql('COPY customers TO STDOUT WITH (FORMAT binary)', tok);
      assert.notEqual(bin.code, 0);
      assert.doesNotMatch(bin.out, /ada@example/);
    });
  });

  test('node-postgres: extended protocol, binary results, transactions after a block', async () => {
    const c = await client();
    const r = await c.query('SELECT id, email, email AS alias, length(email) AS n FROM customers WHERE id = $1', [1]);
    assert.deepEqual(r.rows[0], { id: 1, email: '****', alias: '****', n: null });
    await assert.rejects(c.query('DELETE FROM customers WHERE id = $1', [1]), (e: Error & { code?: string }) => e.code === '42501');
    // The session continues.
    assert.equal((await c.query('SELECT 41 + 1 AS x')).rows[0].x, 42);
    // Inside a transaction, a block aborts the server-side transaction too.
    await c.query('BEGIN');
    await assert.rejects(c.query('DROP TABLE staging'), /blocked by policy/);
    await assert.rejects(c.query('SELECT 1'), (e: Error & { code?: string }) => e.code === '25P02');
    await c.query('ROLLBACK');
    assert.equal((await c.query('SELECT 1 AS one')).rows[0].one, 1);
    await c.end();
    const b = await client('reader-agent', ['readers'], { binary: true });
    const br = await b.query('SELECT id, email, name FROM customers WHERE id = $1', [2]);
    assert.equal(br.rows[0].email, '****');
    assert.equal(br.rows[0].name, 'Bob');
    await b.end();
  });

  test('raw protocol: pipelined Parse/Bind/Execute with a blocked statement, and FunctionCall blocked', async () => {
    const tok = await token('raw-agent', ['readers']);
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write(Buffer.concat([int32(8), int32(SSL_REQUEST)]));
    await new Promise((r) => sock.once('data', r));
    const t = tls.connect({ socket: sock, rejectUnauthorized: false });
    await new Promise((r) => t.once('secureConnect', r));
    const reader = new FrameReader();
    const frames: Array<{ type: string; body: Buffer }> = [];
    let wake: (() => void) | undefined;
    t.on('data', (c: Buffer) => {
      reader.push(c);
      for (let f = reader.next(); f; f = reader.next()) frames.push({ type: String.fromCharCode(f.type), body: f.body });
      wake?.();
    });
    const until = async (type: string) => {
      for (;;) {
        const i = frames.findIndex((f) => f.type === type);
        if (i >= 0) return frames.splice(0, i + 1);
        await new Promise<void>((r) => (wake = r));
      }
    };
    t.write(startupMessage({ user: 'raw', database: 'app' }));
    await until('R');
    t.write(msg('p', tok));
    await until('Z');
    const pipeline = Buffer.concat([
      msg('P', '', 'DELETE FROM customers', Buffer.from([0, 0])), msg('B', '', '', Buffer.from([0, 0, 0, 0, 0, 0])), msg('E', '', int32(0)), msg('S'),
      msg('P', '', 'SELECT email FROM customers WHERE id = 3', Buffer.from([0, 0])), msg('B', '', '', Buffer.from([0, 0, 0, 0, 0, 0])), msg('E', '', int32(0)), msg('S'),
    ]);
    t.write(pipeline);
    const first = await until('Z');
    const err = first.find((f) => f.type === 'E');
    assert.ok(err);
    assert.match(parseErrorFields(err.body).M, /blocked by policy/);
    const second = await until('Z');
    const row = second.find((f) => f.type === 'D');
    assert.ok(row, `second pipeline segment returned ${second.map((f) => f.type).join('')}`);
    assert.equal(row.body.subarray(6).toString(), '****');
    // Legacy FunctionCall (oid of pg_terminate_backend is irrelevant: it is never sent).
    t.write(msg('F', int32(2096), Buffer.from([0, 0, 0, 0, 0, 0])));
    const fc = await until('Z');
    const fe = fc.find((f) => f.type === 'E');
    assert.ok(fe);
    assert.match(parseErrorFields(fe.body).M, /FunctionCall/);
    t.end(msg('X'));
  });

  test('direct TLS (ALPN postgresql, no SSLRequest) as PostgreSQL 17 clients do', async () => {
    const tok = await token('direct-agent', ['readers']);
    const t = tls.connect({ host: '127.0.0.1', port, ALPNProtocols: ['postgresql'], rejectUnauthorized: false });
    await new Promise((r) => t.once('secureConnect', r));
    assert.equal(t.alpnProtocol, 'postgresql');
    const reader = new FrameReader();
    const types: string[] = [];
    const got = new Promise<void>((resolve) => {
      t.on('data', (c: Buffer) => {
        reader.push(c);
        for (let f = reader.next(); f; f = reader.next()) {
          types.push(String.fromCharCode(f.type));
          if (f.type === 0x52 && f.body.readInt32BE(0) === 3) t.write(msg('p', tok));
          if (f.type === 0x5a) resolve();
        }
      });
    });
    t.write(startupMessage({ user: 'd', database: 'app' }));
    await got;
    assert.ok(types.includes('K'));
    t.end(msg('X'));
    // Direct TLS without the ALPN protocol is refused.
    const bad = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    const closed = await new Promise<string>((resolve) => {
      bad.on('error', () => resolve('error'));
      bad.on('close', () => resolve('closed'));
      bad.on('secureConnect', () => bad.write(startupMessage({ user: 'd', database: 'app' })));
      bad.on('data', () => resolve('data'));
    });
    assert.notEqual(closed, 'data');
  });

  test('cancel requests reach the real server', async () => {
    const tok = await token('reader-agent', ['readers']);
    const child = spawn(cluster.bins.psql, ['-X', `host=127.0.0.1 port=${port} dbname=app user=agent sslmode=require`, '-c', 'SELECT pg_sleep(20)'], { env: { ...process.env, PGPASSWORD: tok } });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    // Interrupt only once the statement is running (psql sends the cancel on SIGINT).
    for (let i = 0; i < 300 && !events.some((e) => e.kind === 'gateway.statement' && e.gateway?.statement?.text === 'SELECT pg_sleep(20)'); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    assert.match(err, /canceling statement due to user request/);
    assert.ok(Date.now() - started < 15_000);
  });

  test('approvals: hold then pending/retry, one-time, time-boxed, self-approval refused, approve during hold', async () => {
    const store = ApprovalStore.open(paths);
    const c = await client('writer-agent', ['writers']);
    await assert.rejects(c.query('UPDATE customers SET name = $1 WHERE id = 3', ['Cyd']), /pending approval, retry \(request (apr-[0-9a-f]+)\)/);
    const pending = store.list({ status: 'pending' });
    assert.equal(pending.length, 1);
    const id = pending[0].id;
    assert.equal(pending[0].agent, 'writer-agent');
    assert.throws(() => store.approve(id, 'writer-agent'), /self-approval refused/);
    // Same statement again while pending: same request, still pending.
    await assert.rejects(c.query('UPDATE customers SET name = $1 WHERE id = 3', ['Cyd']), new RegExp(id));
    store.approve(id, 'alice');
    await c.query('UPDATE customers SET name = $1 WHERE id = 3', ['Cyd']);
    // One-time: the next run needs a new approval.
    await assert.rejects(c.query('UPDATE customers SET name = $1 WHERE id = 3', ['Cyd']), /pending approval/);
    const ev = events.find((e) => e.kind === 'gateway.approval' && e.gateway?.decision === 'approved');
    assert.match(ev?.gateway?.reason ?? '', /by alice/);
    // Time-boxed: approve the shape for a minute; literals may differ.
    const id2 = store.list({ status: 'pending' })[0].id;
    store.approve(id2, 'bob', { forMs: 60_000 });
    await c.query('UPDATE customers SET name = $1 WHERE id = 2', ['Bo']);
    await c.query('UPDATE customers SET name = $1 WHERE id = 1', ['Ad']);
    // Approve while the statement is held: it goes through on the first try.
    const slow = new PgGateway({ paths, config: { ...(gw as unknown as { opts: { config: GatewayConfig } }).opts.config, postgres: { ...(gw as unknown as { opts: { config: GatewayConfig } }).opts.config.postgres!, listen: '127.0.0.1:0' }, approvals: { hold_ms: 5000 } }, emit: () => {} });
    const { port: p2 } = await slow.start();
    const c2 = new pg.Client({ host: '127.0.0.1', port: p2, user: 'w', database: 'app', password: await token('writer-agent', ['writers']), ssl: { rejectUnauthorized: false } });
    await c2.connect();
    const timer = setInterval(() => {
      for (const r of store.list({ status: 'pending' })) if (r.statement.includes('Held')) store.approve(r.id, 'carol');
    }, 100);
    const res = await c2.query("UPDATE customers SET name = 'Held' WHERE id = 1");
    clearInterval(timer);
    assert.equal(res.rowCount, 1);
    // Denied requests are reported as denied.
    await assert.rejects(c.query("DELETE FROM customers WHERE id = 99"), /pending approval/);
    const d = store.list({ status: 'pending' }).find((r) => r.statement.includes('99'))!;
    store.deny(d.id, 'alice');
    await assert.rejects(c.query("DELETE FROM customers WHERE id = 99"), /was denied/);
    await c2.end();
    await slow.stop();
    await c.end();
    store.close();
  });

  test('COPY FROM STDIN: decided as a write on the table, data streamed through', async () => {
    const w = await token('writer-agent', ['writers']);
    const ok = await psql('COPY staging FROM STDIN', w, [], '7\tseven\n8\teight\n\\.\n');
    assert.equal(ok.code, 0, ok.err);
    const r = await token('reader-agent', ['readers']);
    assert.equal((await psql('SELECT count(*) FROM staging', r)).out.trim(), '2');
    const refused = await psql('COPY staging FROM STDIN', r, [], '9\tnine\n\\.\n');
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /blocked by policy: write on staging/);
  });

  test('masking follows DDL made in the session (catalog refresh): new views over masked columns', async () => {
    const c = await client('writer-agent', ['writers']);
    await c.query('CREATE VIEW v_fresh AS SELECT id, email AS e, lower(name) AS n FROM customers');
    const r = await c.query('SELECT e, n FROM v_fresh WHERE id = 1');
    assert.equal(r.rows[0].e, '****');
    assert.ok(typeof r.rows[0].n === 'string' && r.rows[0].n !== '****' && r.rows[0].n === r.rows[0].n.toLowerCase());
    await c.query('BEGIN');
    await c.query('CREATE VIEW v_tx AS SELECT email FROM v_fresh JOIN customers USING (id)');
    assert.equal((await c.query('SELECT * FROM v_tx LIMIT 1')).rows[0].email, '****');
    await c.query('ROLLBACK');
    await c.end();
  });

  test('token expiry closes the connection', async () => {
    const short = await issueToken(paths, undefined, { agent: 'brief', groups: ['readers'], ttl: '4s' });
    const c = new pg.Client({ host: '127.0.0.1', port, user: 'b', database: 'app', password: short.token, ssl: { rejectUnauthorized: false } });
    const errors: Error[] = [];
    c.on('error', (e) => errors.push(e));
    await c.connect();
    assert.equal((await c.query('SELECT 1 AS x')).rows[0].x, 1);
    await new Promise((r) => setTimeout(r, Math.max(0, short.expiresAt - Date.now()) + 700));
    await assert.rejects(c.query('SELECT 1'));
    assert.ok(errors.some((e) => /token expired/.test(e.message)), errors.map((e) => e.message).join('; '));
    assert.ok(events.some((e) => e.kind === 'gateway.connection' && /token expired/.test(e.gateway?.reason ?? '')));
  });

  test('every emitted event matches the event schema', () => {
    assert.ok(events.length > 20);
    const bad = events.map((e) => validateEvent(JSON.parse(JSON.stringify(e)))).filter((r) => !r.ok);
    assert.deepEqual(bad, []);
    for (const k of ['gateway.connection', 'gateway.statement', 'gateway.block', 'gateway.mask', 'gateway.approval']) assert.ok(events.some((e) => e.kind === k), k);
  });

  test('recordings: statements and masked rows, encrypted, unreadable without the key', async () => {
    // Let sessions close and flush.
    await new Promise((r) => setTimeout(r, 300));
    const dir = join(paths.home, 'gateway', 'recordings');
    const recs = listRecordings(dir);
    assert.ok(recs.length >= 3);
    const keys = loadRecordingKeys(paths, { key: recKey }).all;
    let sawMaskedRow = false;
    let sawBlock = false;
    for (const r of recs) {
      const raw = readFileSync(r.file);
      assert.ok(!raw.includes(Buffer.from('ada@example.com')), 'plaintext in recording');
      assert.ok(!raw.includes(Buffer.from('FROM customers')), 'statement text in clear');
      const rec = readRecording(r.file, keys);
      for (const x of rec.records) {
        if (x.type === 'result' && JSON.stringify(x.data).includes('****')) sawMaskedRow = true;
        if (x.type === 'statement' && x.decision === 'block') sawBlock = true;
        assert.doesNotMatch(JSON.stringify(x), /ada@example\.com/);
      }
    }
    assert.ok(sawMaskedRow && sawBlock);
    const wrong = { id: loadRecordingKeys(paths, { key: recKey }).all[0].id, key: randomBytes(32) };
    assert.throws(() => readRecording(recs[0].file, [wrong]), /fails authentication/);
    assert.throws(() => readRecording(recs[0].file, []), /not configured/);
    // Tampering with one byte breaks authentication.
    const tampered = join(paths.home, 'tampered.awrec');
    const buf = readFileSync(recs[0].file);
    buf[buf.length - 20] ^= 1;
    writeFileSync(tampered, buf);
    assert.throws(() => readRecording(tampered, keys), /fails authentication/);
  });
});
