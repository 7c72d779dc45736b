import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { nowTime } from '../../schema/index.js';
import { runCli } from '../../testing/index.js';
import { openIncidentsForAlerts } from '../response.js';
import { buildStory } from '../testutil.js';
import { IncidentDb } from './db.js';
import { closeIncident, openIncident } from './incidents.js';

test('opening an incident freezes the sessions: freeze event in the store, files snapshotted, action log', () => {
  const story = buildStory();
  try {
    const before = story.store.size;
    const inc = openIncident(story.store, { sessions: [story.s1], reason: 'suspicious', actor: 'alice@test' });
    assert.match(inc.id, /^INC-\d{8}-[0-9a-f]{8}$/);
    assert.equal(inc.freeze_seq, before + 1);
    const freeze = story.store.get(inc.freeze_seq!)!;
    assert.equal(freeze.kind, 'incident.action');
    assert.equal(freeze.attributes?.action, 'freeze');
    assert.deepEqual(freeze.attributes?.sessions, [story.s1]);
    const frozen = freeze.attributes?.frozen as Array<{ session: string; last_seq: number }>;
    assert.equal(frozen[0].session, story.s1);
    // The credential file the session read still exists: its content is preserved byte for byte.
    const snaps = JSON.parse(readFileSync(join(inc.evidence_dir, 'snapshots.json'), 'utf8')) as Array<{ path: string; sha256: string; blob: string }>;
    const cred = snaps.find((s) => s.path === story.credPath)!;
    assert.ok(cred, 'credential file snapshotted');
    const copy = readFileSync(join(inc.evidence_dir, 'snapshots', cred.blob));
    assert.deepEqual(copy, readFileSync(story.credPath));
    assert.equal(createHash('sha256').update(copy).digest('hex'), cred.sha256);
    const db = IncidentDb.open(story.store.dir);
    try {
      assert.deepEqual(db.logOf(inc.id).map((l) => [l.actor, l.action]), [['alice@test', 'open'], ['alice@test', 'freeze']]);
      assert.throws(() => db.db.prepare('DELETE FROM incident_log').run(), /append-only/);
    } finally {
      db.close();
    }
    const closed = closeIncident(story.store, inc.id, 'credentials rotated', { actor: 'bob@test' });
    assert.equal(closed.status, 'closed');
    assert.throws(() => closeIncident(story.store, inc.id, 'again'), /already closed/);
    assert.throws(() => openIncident(story.store, { sessions: ['nope'] }), /no session 'nope'/);
  } finally {
    story.store.close();
  }
});

test('proactive tier opens one incident per alert sessions and attaches later alerts; reactive does nothing', () => {
  const story = buildStory();
  try {
    assert.equal(openIncidentsForAlerts(story.store, { tier: 'reactive' }).opened.length, 0);
    const r = openIncidentsForAlerts(story.store, { tier: 'proactive', min_severity: 'high' });
    assert.equal(r.opened.length, 1);
    const inc = r.opened[0];
    assert.deepEqual(inc.alerts, [story.seq.alert]);
    assert.deepEqual(inc.ioc_ids, ['AW-IOC-CRED-001']);
    assert.equal(inc.severity, 'critical');
    assert.match(inc.opened_by, /proactive/);
    // A second alert (no session of its own, attributed through its trigger record) joins it;
    // a low one is ignored; a re-scan does not reopen.
    story.store.appendBatch([
      { event: { time: nowTime(), kind: 'alert', source: { type: 'rules' }, alert: { rule_id: 'r2', title: 'second', severity: 'high', trigger_seqs: [story.seq.curl] } } },
      { event: { time: nowTime(), kind: 'alert', source: { type: 'rules' }, alert: { rule_id: 'r3', title: 'low', severity: 'low', trigger_seqs: [story.seq.curl] } } },
    ]);
    const r2 = openIncidentsForAlerts(story.store, { tier: 'proactive' });
    assert.equal(r2.opened.length, 0);
    assert.equal(r2.attached.length, 1);
    assert.equal(r2.attached[0].incident, inc.id);
    assert.equal(openIncidentsForAlerts(story.store, { tier: 'proactive' }).scanned, 0);
    const db = IncidentDb.open(story.store.dir);
    try {
      assert.equal(db.require(inc.id).alerts.length, 2);
    } finally {
      db.close();
    }
  } finally {
    story.store.close();
  }
});

test('CLI: incident open/list/show/close, scan with a config file, hostile text escaped', () => {
  const story = buildStory({ hostile: true });
  story.store.close();
  const h = ['--store', story.home];
  const bad = runCli([...h, 'incident', 'open']);
  assert.equal(bad.code, 2);
  const open = runCli([...h, 'incident', 'open', '--session', story.s1, '--session', story.s2, '--reason', 'x\u001b[2Jy']);
  assert.equal(open.code, 0, open.stderr);
  const id = /opened (INC-\S+)/.exec(open.stdout)![1];
  const list = runCli([...h, 'incident', 'list']);
  assert.match(list.stdout, new RegExp(id));
  const show = runCli([...h, 'incident', 'show', id]);
  assert.equal(show.code, 0);
  assert.match(show.stdout, /freeze/);
  assert.ok(!show.stdout.includes('\u001b'), 'no raw escape sequence reaches the terminal');
  const close = runCli([...h, 'incident', 'close', id, '--resolution', 'done']);
  assert.equal(close.code, 0, close.stderr);
  assert.match(runCli([...h, 'incident', 'list', '--status', 'closed', '--json']).stdout, new RegExp(`"id":"${id}"`));
  const cfg = join(story.home, 'aw.yaml');
  writeFileSync(cfg, 'response:\n  tier: proactive\n  min_severity: high\n');
  const scan = runCli([...h, '--config', cfg, 'incident', 'scan', '--json']);
  assert.equal(scan.code, 0, scan.stderr);
  assert.equal((JSON.parse(scan.stdout) as { opened: string[] }).opened.length, 1);
  assert.ok(existsSync(join(story.home, 'store', 'forensics.db')));
  const badCfg = join(story.home, 'bad.yaml');
  writeFileSync(badCfg, 'response:\n  tier: sometimes\n');
  const b = runCli([...h, '--config', badCfg, 'incident', 'scan']);
  assert.equal(b.code, 2);
  assert.match(b.stderr, /bad\.yaml:2:\d+: CONFIG_INVALID: response\.tier/);
});

