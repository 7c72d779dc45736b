// The bypass corpus (../shared/data/gateway/sql-policy-bypass-corpus.jsonl) decided by the
// real parser: zero bypasses under a read-only policy and under a read-write policy that
// protects one table, and no false positives on the traps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { sharedDir } from '../../testing/index.js';
import { analyze, loadParser } from './analyze.js';
import { BUILTIN_POLICIES, compilePolicy, combinePolicies } from './policy.js';

interface Example { sql: string; category: string; true_effect: string }
const corpus: Example[] = readFileSync(sharedDir('data', 'gateway', 'sql-policy-bypass-corpus.jsonl'), 'utf8')
  .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Example);

const isTrap = (e: Example) => e.category.includes('false-positive trap');

test('corpus is present and non-trivial', () => {
  assert.ok(corpus.length >= 38);
  assert.equal(corpus.filter(isTrap).length, 3);
});

test('read-only policy: every write/privileged example blocked, traps allowed', async () => {
  await loadParser();
  const p = compilePolicy('readonly', BUILTIN_POLICIES.readonly);
  const wrong: string[] = [];
  for (const ex of corpus) {
    const d = p.decide(analyze(ex.sql, { session: { prepared: new Map() } }));
    const want = isTrap(ex) ? 'allow' : 'block';
    if (d.action !== want) wrong.push(`${ex.sql} -> ${d.action} (${d.reason}), want ${want}`);
  }
  assert.deepEqual(wrong, []);
});

test('read-write policy protecting customers: every path to customers blocked, unrelated writes allowed', async () => {
  await loadParser();
  const p = compilePolicy('rw', {
    default: 'allow',
    rules: [{ tables: ['customers'], ops: ['write', 'ddl'], action: 'block' }, ...(BUILTIN_POLICIES.readwrite.rules ?? [])],
  });
  const allowed = new Set(['INSERT INTO staging SELECT * FROM customers']);
  const wrong: string[] = [];
  for (const ex of corpus) {
    const d = p.decide(analyze(ex.sql, { session: { prepared: new Map() } }));
    const want = isTrap(ex) || allowed.has(ex.sql) ? 'allow' : 'block';
    if (d.action !== want) wrong.push(`${ex.sql} -> ${d.action} (${d.reason}), want ${want}`);
    // Every example whose true effect deletes or drops customers must be blocked because of customers.
    if (/^(delete|drop|update\/delete) customers/.test(ex.true_effect) || /\+ delete customers/.test(ex.true_effect)) {
      assert.ok(d.effect?.table === 'customers', `${ex.sql}: blocked for ${d.reason}, not for customers`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('parse tree details: CTE, multi-statement, DO bodies, EXPLAIN, PREPARE/EXECUTE', async () => {
  await loadParser();
  const eff = (sql: string) => analyze(sql, { session: { prepared: new Map() } }).statements.flatMap((s) => s.effects.map((e) => `${e.op}:${e.table ?? e.what}`));
  assert.deepEqual(eff('WITH x AS (DELETE FROM customers RETURNING *) SELECT 1'), ['write:customers']);
  assert.deepEqual(eff('SELECT 1; DELETE FROM t'), ['write:t']);
  assert.ok(eff('DO $$ BEGIN DELETE FROM customers; END $$').includes('write:customers'));
  assert.ok(eff("DO $$ BEGIN EXECUTE 'x'; END $$").includes('unknown:plpgsql:EXECUTE'));
  assert.deepEqual(eff('EXPLAIN DELETE FROM t'), ['read:t', 'read:ExplainStmt']);
  assert.deepEqual(eff('EXPLAIN (ANALYZE) DELETE FROM t'), ['write:t']);
  assert.deepEqual(eff('EXPLAIN (ANALYZE false) DELETE FROM t'), ['read:t', 'read:ExplainStmt']);
  assert.deepEqual(eff('SET LOCAL ROLE x'), ['admin:VariableSetStmt']);
  assert.deepEqual(eff('RESET ROLE'), ['session:VariableSetStmt']);
  assert.deepEqual(eff("SELECT lower(email) FROM users u WHERE u.id = 1"), ['read:users']);
  const a = analyze('SELEC 1');
  assert.equal(a.ok, false);
  assert.equal(compilePolicy('admin', BUILTIN_POLICIES.admin).decide(a).action, 'block');
  // A group that grants more wins over one that grants less.
  const both = combinePolicies([compilePolicy('readonly', BUILTIN_POLICIES.readonly), compilePolicy('readwrite', BUILTIN_POLICIES.readwrite)]);
  assert.equal(both.decide(analyze('UPDATE t SET a = 1')).action, 'allow');
  assert.equal(both.decide(analyze("COPY t TO PROGRAM 'id'")).action, 'block');
});

test('template cache: hits only when every digit run is an integer constant', async () => {
  await loadParser();
  const { AnalysisCache } = await import('./analyze.js');
  const c = new AnalysisCache();
  const q = (sql: string) => {
    const hit = c.get(sql);
    if (hit) return { hit: true, a: hit };
    const a = analyze(sql);
    c.put(sql, a);
    return { hit: false, a };
  };
  assert.equal(q('SELECT abalance FROM pgbench_accounts WHERE aid = 5;').hit, false);
  const h = q('SELECT abalance FROM pgbench_accounts WHERE aid = 123456;');
  assert.equal(h.hit, true);
  assert.equal(h.a.statements[0].text, 'SELECT abalance FROM pgbench_accounts WHERE aid = 123456');
  assert.deepEqual(h.a.statements[0].effects.map((e) => e.table), ['pgbench_accounts']);
  // A digit inside a string, a comment or an identifier: never cached.
  q("SELECT 'x 5' FROM t WHERE a = 1");
  assert.equal(q("SELECT 'x 6' FROM t WHERE a = 1").hit, false);
  q('SELECT 1 /* 5 */ FROM t');
  assert.equal(q('SELECT 1 /* 6 */ FROM t').hit, false);
  q('SELECT * FROM t1 WHERE a = 1');
  assert.equal(q('SELECT * FROM t2 WHERE a = 1').hit, false);
  assert.equal(q('SELECT * FROM t1 WHERE a = 2').hit, true);
  // Multi-statement and PREPARE/EXECUTE are never cached.
  q('SELECT 1; DELETE FROM t WHERE a = 1');
  assert.equal(q('SELECT 2; DELETE FROM t WHERE a = 1').hit, false);
});
