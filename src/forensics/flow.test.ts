// The responder's whole flow through the real CLI, on the credential-exfiltration story:
// alert -> proactive incident -> seal -> verify (AgentWarden and openssl alone) ->
// timeline, graph and blast radius name the credential file, the process that read it,
// the tool call and prompt behind it and the loopback endpoint -> STIX validates ->
// contain. The integrator's real-agent e2e replaces buildStory() with `agentwarden run`.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot, runCli } from '../testing/index.js';
import type { StixObject } from './report/report.js';
import { buildStory, stixValidator } from './testutil.js';

test('alert -> proactive incident -> sealed and verified evidence -> reconstruction -> STIX -> containment (CLI)', (t) => {
  const story = buildStory();
  story.store.close();
  const cfg = join(story.home, 'agentwarden.yaml');
  writeFileSync(cfg, `response:\n  tier: proactive\n  min_severity: high\n  rules_dir: ${join(story.home, 'rules')}\n`);
  const aw = (...args: string[]) => runCli(['--store', story.home, '--config', cfg, ...args]);
  const scan = aw('incident', 'scan', '--json');
  assert.equal(scan.code, 0, scan.stderr);
  const [id] = (JSON.parse(scan.stdout) as { opened: string[] }).opened;
  assert.match(id, /^INC-/);

  const out = join(mkdtempSync(join(tmpdir(), 'aw-flow-')), 'bundle');
  assert.equal(aw('evidence', 'seal', id, '--out', out).code, 0);
  const evPub = join(story.home, 'keys', 'evidence-ed25519.pub.pem');
  const v = aw('evidence', 'verify', out, '--key', evPub, '--store-key', join(story.home, 'keys', 'store-ed25519.pub.pem'));
  assert.equal(v.code, 0, v.stderr);

  const doc = readFileSync(join(repoRoot(), 'docs', 'forensics.md'), 'utf8');
  const snippet = /<!-- verify-openssl -->\n```sh\n([\s\S]*?)```/.exec(doc)![1];
  const script = join(mkdtempSync(join(tmpdir(), 'aw-flow-sh-')), 'v.sh');
  writeFileSync(script, snippet);
  if (spawnSync('jq', ['--version']).status === 0) {
    const o = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, BUNDLE: out, SIGNER_PUB: evPub } });
    assert.equal(o.status, 0, o.stderr);
  } else t.diagnostic('jq missing: openssl-only check skipped');

  const timeline = aw('timeline', id).stdout;
  for (const needle of [story.credPath, 'exec cat', '(pid 202', 'tool call Bash', 'prompt: Summarize my AWS setup', `127.0.0.1:${story.port}`]) assert.ok(timeline.includes(needle), `timeline names ${needle}`);
  const blast = JSON.parse(aw('blast-radius', id, '--json').stdout) as { credentials: Array<{ path: string; pid: number; process: string; tool_call_id: string }>; endpoints: Array<{ endpoint: string }> };
  assert.equal(blast.credentials[0].path, story.credPath);
  assert.equal(blast.credentials[0].pid, 202);
  assert.equal(blast.credentials[0].tool_call_id, 'toolu_01');
  assert.ok(blast.endpoints.some((e) => e.endpoint === `127.0.0.1:${story.port}`));
  const graph = aw('graph', id, '--format', 'json');
  assert.equal(graph.code, 0);
  assert.equal((JSON.parse(graph.stdout) as { edges: unknown[] }).edges.length, 1);

  const stix = JSON.parse(aw('report', id, '--format', 'stix').stdout) as { objects: StixObject[] };
  assert.deepEqual(stix.objects.flatMap(stixValidator()), []);
  assert.ok(JSON.stringify(stix).includes(story.credPath.split('/').slice(0, -1).join('/')));

  const plan = aw('contain', id, '--dry-run');
  assert.equal(plan.code, 0, plan.stderr);
  const run = aw('contain', id);
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /\[done\] quarantine/);
  assert.match(run.stdout, /\[skipped\] notify/);
  const show = aw('incident', 'show', id);
  assert.match(show.stdout, /contain/);
  assert.match(show.stdout, /seal/);
});
