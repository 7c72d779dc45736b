import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { RuleContext, loadRules } from '../../rules/index.js';
import type { AwEvent } from '../../schema/index.js';
import { runCli } from '../../testing/index.js';
import { IncidentDb } from '../incident/db.js';
import { openIncident } from '../incident/incidents.js';
import { openIncidentsForAlerts } from '../response.js';
import { buildStory } from '../testutil.js';
import { quarantinedSessions, runContainment } from './contain.js';

test('dry run plans the CRED playbook and changes nothing', () => {
  const story = buildStory();
  try {
    const inc = openIncident(story.store, { sessions: [story.s1, story.s2], alerts: [story.seq.alert] });
    const size = story.store.size;
    const r = runContainment(story.store, inc.id, { dryRun: true, rulesDir: join(story.home, 'rules') });
    assert.equal(r.ioc_class, 'CRED');
    assert.deepEqual(r.steps.map((s) => s.action), ['rotate_credentials', 'rule', 'git_revert', 'quarantine', 'notify']);
    assert.ok(r.steps.every((s) => s.status === 'planned'));
    assert.match(r.steps[2].commands![0], /git -C .* revert --no-edit [0-9a-f]{40}/);
    assert.match(r.steps[4].title, /no exporters configured/);
    assert.equal(story.store.size, size, 'nothing appended');
    assert.ok(!existsSync(join(story.home, 'rules')));
    assert.ok(existsSync(join(story.workspace, 'notes.md')));
  } finally {
    story.store.close();
  }
});

test('containment reverts the agent commit, writes a deny rule the rule engine loads and matches, quarantines, logs everything', () => {
  const story = buildStory();
  try {
    const inc = openIncident(story.store, { sessions: [story.s1, story.s2], alerts: [story.seq.alert] });
    const rulesDir = join(story.home, 'rules');
    const r = runContainment(story.store, inc.id, { dryRun: false, rulesDir, exporters: ['siem'], actor: 'carol@test' });
    const by = Object.fromEntries(r.steps.map((s) => [s.action, s]));
    assert.equal(by.git_revert.status, 'done', JSON.stringify(by.git_revert.detail));
    assert.ok(!existsSync(join(story.workspace, 'notes.md')), 'the agent commit was reverted');
    assert.match(spawnSync('git', ['-C', story.workspace, 'log', '-1', '--format=%s'], { encoding: 'utf8' }).stdout, /^Revert "agent: add notes"/);
    assert.equal(by.rotate_credentials.status, 'recommended');
    assert.deepEqual((by.rotate_credentials.detail.credentials as Array<{ path: string }>).map((c) => c.path), [story.credPath]);
    // The rule file loads in the real rule engine and denies the same read next time.
    const file = join(rulesDir, `contain-${inc.id}.yaml`);
    const loaded = loadRules([{ file, text: readFileSync(file, 'utf8') }]);
    assert.ok(loaded.ok, JSON.stringify(loaded.problems));
    const set = loaded.ruleSet!;
    const cx = new RuleContext(set);
    const again: AwEvent = { time: '2026-12-03T10:00:00Z', kind: 'file.open', source: { type: 'linux-ebpf' }, session: { id: 'later', agent: { kind: 'claude-code' } }, process: { pid: 5 }, file: { path: story.credPath, intent: ['read'] } };
    const hits = set.forKind('file.open').filter((rule) => rule.pred(again, cx));
    assert.equal(hits.length, 1);
    assert.equal(hits[0].meta.action, 'deny');
    const other: AwEvent = { ...again, file: { path: '/tmp/other', intent: ['read'] } };
    assert.equal(set.forKind('file.open').filter((rule) => rule.pred(other, cx)).length, 0);
    const conn: AwEvent = { time: again.time, kind: 'network.connect', source: { type: 'linux-ebpf' }, session: again.session, process: { pid: 5 }, network: { dst_ip: '127.0.0.1', dst_port: story.port } };
    assert.equal(set.forKind('network.connect').filter((rule) => rule.pred(conn, cx)).length, 1);
    // Quarantine and notification are in the store; everything is in the incident log.
    assert.deepEqual([...quarantinedSessions(story.store)].sort(), [story.s1, story.s2].sort());
    assert.equal(by.notify.status, 'done');
    const db = IncidentDb.open(story.store.dir);
    try {
      const log = db.logOf(inc.id);
      const c = log.find((l) => l.action === 'contain')!;
      assert.equal(c.actor, 'carol@test');
      assert.equal((c.detail.steps as unknown[]).length, 5);
    } finally {
      db.close();
    }
    assert.ok(story.store.query({ kinds: ['incident.action'] }).some((e) => e.attributes?.action === 'contain' && e.attributes?.incident_id === inc.id));
  } finally {
    story.store.close();
  }
});

test('autonomous tier contains within its allowed actions; CLI dry run prints the plan', () => {
  const story = buildStory();
  try {
    const r = openIncidentsForAlerts(story.store, { tier: 'autonomous', autonomous: { actions: ['quarantine', 'rule'] }, rules_dir: join(story.home, 'r') });
    assert.equal(r.opened.length, 1);
    const steps = r.contained[0].result!.steps;
    assert.equal(steps.find((s) => s.action === 'git_revert')!.status, 'skipped');
    assert.equal(steps.find((s) => s.action === 'quarantine')!.status, 'done');
    assert.equal(steps.find((s) => s.action === 'rule')!.status, 'done');
    assert.ok(existsSync(join(story.workspace, 'notes.md')), 'no revert without permission');
    assert.ok(quarantinedSessions(story.store).has(story.s1));
  } finally {
    story.store.close();
  }
  const id = (JSON.parse(runCli(['--store', story.home, 'incident', 'list', '--json']).stdout.trim().split('\n')[0]) as { id: string }).id;
  const dry = runCli(['--store', story.home, 'contain', id, '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /nothing is changed/);
  assert.match(dry.stdout, /\$ git -C .* revert --no-edit/);
  assert.match(dry.stdout, /\.aws\/credentials \(AWS credentials\)/);
});
