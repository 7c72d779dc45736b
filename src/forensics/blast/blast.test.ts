import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from '../../testing/index.js';
import { resolveScope } from '../common/scope.js';
import { openIncident } from '../incident/incidents.js';
import { buildStory } from '../testutil.js';
import { blastRadius } from './blast.js';

test('blast radius names the credential file, the process that read it, the tool call, the endpoint, the sub-agent and the commit', () => {
  const story = buildStory();
  try {
    const inc = openIncident(story.store, { sessions: [story.s1, story.s2] });
    const br = blastRadius(story.store, resolveScope(story.store, inc.id));
    assert.equal(br.credentials.length, 1);
    const c = br.credentials[0];
    assert.equal(c.path, story.credPath);
    assert.equal(c.kind, 'AWS credentials');
    assert.equal(c.pid, 202);
    assert.match(c.process!, /^cat /);
    assert.equal(c.tool_call_id, 'toolu_01');
    assert.equal(c.seq, story.seq.open);
    const ep = br.endpoints.find((e) => e.endpoint === `127.0.0.1:${story.port}`)!;
    assert.ok(ep.after_credential_read);
    assert.deepEqual(ep.processes, ['203:curl']);
    assert.deepEqual(br.processes.map((p) => p.pid), [201, 202, 203, 204]);
    assert.ok(br.processes.find((p) => p.pid === 202)!.ancestry!.includes('100:claude'));
    assert.deepEqual(br.subagents.map((s) => s.session_id), [story.s2]);
    assert.ok(br.files.written.some((f) => f.path.endsWith('/notes.md')));
    assert.ok(br.files.read.some((f) => f.path === story.credPath && f.credential));
    const commits = br.git.filter((g) => g.kind === 'commit');
    assert.ok(commits.some((g) => g.sha && /^[0-9a-f]{40}$/.test(g.sha) && g.subject === 'agent: add notes'), JSON.stringify(br.git));
    assert.ok(commits.some((g) => g.command?.startsWith('git commit')));
    assert.ok(commits.every((g) => g.subject !== 'initial'), 'commits before the window are not the agent\'s');
    assert.deepEqual(br.tools.map((t) => t.name).sort(), ['Bash', 'Write']);
    assert.deepEqual(br.alerts.map((a) => a.ioc_id), ['AW-IOC-CRED-001']);
    // A single session's blast radius excludes the other session's writes.
    const only = blastRadius(story.store, resolveScope(story.store, story.s2), { git: false });
    assert.equal(only.credentials.length, 0);
    assert.equal(only.endpoints.length, 0);
  } finally {
    story.store.close();
  }
  const text = runCli(['--store', story.home, 'blast-radius', story.s1]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /credentials read \(1\)/);
  assert.match(text.stdout, new RegExp(`127\\.0\\.0\\.1:${story.port}`));
  const json = JSON.parse(runCli(['--store', story.home, 'blast-radius', story.s1, '--json']).stdout) as { credentials: unknown[] };
  assert.equal(json.credentials.length, 1);
});
