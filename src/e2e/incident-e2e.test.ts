// The whole product on a REAL agent: Claude Code (driven by ../shared/agent-sim against
// its scripted mock model) runs the credential-exfiltration scenario under `agentwarden
// run` (kernel sensor + live detection); its transcript is imported; the alert opens an
// incident under the proactive tier; the evidence bundle seals and verifies (also with
// openssl alone, from the documented snippet); timeline, graph and blast radius name the
// credential file, the process that read it, the tool call and prompt behind it and the
// loopback endpoint; the STIX bundle validates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StixObject } from '../forensics/report/report.js';
import { stixValidator } from '../forensics/testutil.js';
import type { AwEvent } from '../schema/index.js';
import { sensorUnavailableReason } from '../sources/linux-ebpf/sensor.js';
import { agentBin, agentSimRunner, agentSkipReason, repoRoot, runCli, sharedDir, tempHome } from '../testing/index.js';

const skip = sensorUnavailableReason() ?? agentSkipReason('claude');

test('real Claude Code: alert -> proactive incident -> sealed evidence -> reconstruction -> STIX', { skip, timeout: 600_000 }, () => {
  const home = tempHome('aw-e2e-incident-');
  const cfg = join(home, 'agentwarden.yaml');
  writeFileSync(cfg, `response:\n  tier: proactive\n  min_severity: high\n  rules_dir: ${join(home, 'rules')}\n`);
  const aw = (...args: string[]) => runCli(['--store', home, '--config', cfg, ...args], { timeoutMs: 300_000 });
  const out = mkdtempSync(join(tmpdir(), 'aw-e2e-run-'));

  // 1. The agent runs under the kernel sensor with live detection.
  const run = aw('run', '--quiet', '--json', '--', process.execPath, agentSimRunner()!, '--agent', 'claude', '--bin', agentBin('claude')!, '--scenario', sharedDir('agent-sim', 'examples', 'cred-exfil.json'), '--out', out, '--netns', 'off');
  assert.equal(run.code, 0, run.stderr.slice(-3000));
  const summary = JSON.parse(run.stdout.trim().split('\n').filter((l) => l.startsWith('{"summary"')).pop()!).summary;
  assert.deepEqual(summary.drops, {}, 'zero drops');
  const sink = readFileSync(join(out, 'sink.jsonl'), 'utf8');
  assert.match(sink, /AKIA/, 'the scenario really posted the credential to the loopback sink');
  // 2. The agent's own transcript: prompt and tool calls.
  const imp = aw('import', 'claude', join(out, 'home', '.claude', 'projects'));
  assert.equal(imp.code, 0, imp.stderr);

  const events = aw('events', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as AwEvent);
  const alerts = events.filter((e) => e.kind === 'alert');
  const exfil = alerts.find((a) => a.alert?.ioc_id === 'AW-IOC-CRED-001');
  assert.ok(exfil, `credential-then-egress alert raised (alerts: ${alerts.map((a) => a.alert?.rule_id).join(', ')})`);
  assert.equal(exfil.session?.agent.kind, 'claude-code');
  const credRead = events.find((e) => e.kind === 'file.open' && e.file?.path.endsWith('/.aws/credentials') && /cat$/.test(e.process?.exe ?? ''));
  assert.ok(credRead, 'the kernel saw cat read ~/.aws/credentials');
  assert.equal(exfil.session?.id, credRead.session?.id, 'alert attributed to the agent session of the read');
  // Which tool call ran the process that read the credential?
  const why = JSON.parse(aw('--json', 'why', String(credRead.seq)).stdout) as { tool_call?: { agent?: { tool?: { call_id?: string; input?: unknown } } } };
  assert.match(JSON.stringify(why.tool_call?.agent?.tool?.input ?? ''), /cat ~\/\.aws\/credentials/, 'why names the tool call');

  // 3. Proactive tier: the alert opens an incident.
  const scan = aw('incident', 'scan', '--json');
  assert.equal(scan.code, 0, scan.stderr);
  assert.ok((JSON.parse(scan.stdout) as { opened: string[] }).opened.length >= 1);
  // The harness (agent-sim's runner) is the root of `run` and is its own session; the
  // incident to follow is the one covering the agent's session.
  const incidents = aw('incident', 'list', '--json').stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; sessions: string[]; ioc_ids: string[] });
  const inc = incidents.find((i) => i.sessions.includes(exfil.session!.id));
  assert.ok(inc, `an incident covers the agent session (${JSON.stringify(incidents)})`);
  assert.ok(inc.ioc_ids.includes('AW-IOC-CRED-001'));
  const id = inc.id;

  // 4. Seal and verify, with AgentWarden and with openssl alone.
  const bundle = join(mkdtempSync(join(tmpdir(), 'aw-e2e-bundle-')), 'bundle');
  const seal = aw('evidence', 'seal', id, '--out', bundle);
  assert.equal(seal.code, 0, seal.stderr);
  const evPub = join(home, 'keys', 'evidence-ed25519.pub.pem');
  const v = aw('evidence', 'verify', bundle, '--key', evPub, '--store-key', join(home, 'keys', 'store-ed25519.pub.pem'));
  assert.equal(v.code, 0, v.stderr + v.stdout);
  const doc = readFileSync(join(repoRoot(), 'docs', 'forensics.md'), 'utf8');
  const snippet = /<!-- verify-openssl -->\n```sh\n([\s\S]*?)```/.exec(doc)![1];
  const script = join(home, 'verify.sh');
  writeFileSync(script, snippet);
  const o = spawnSync('bash', [script], { encoding: 'utf8', env: { ...process.env, BUNDLE: bundle, SIGNER_PUB: evPub } });
  assert.equal(o.status, 0, `openssl-only verification: ${o.stderr}`);

  // 5. Reconstruction names the file, the process, the tool call, the prompt and the endpoint.
  const timeline = aw('timeline', id).stdout;
  const sinkPort = /127\.0\.0\.1:(\d+)/.exec(JSON.stringify(events.filter((e) => e.kind === 'network.connect').map((e) => `${e.network?.dst_ip}:${e.network?.dst_port}`)))?.[1];
  for (const needle of ['.aws/credentials', 'cat', 'curl', 'AWS CLI is configured', `127.0.0.1:${sinkPort}`]) assert.ok(timeline.includes(needle), `timeline names ${needle}`);
  const blast = JSON.parse(aw('blast-radius', id, '--json').stdout) as { credentials: Array<{ path: string; process: string; tool_call_id?: string }>; endpoints: Array<{ endpoint: string }> };
  assert.ok(blast.credentials.some((c) => c.path.endsWith('/.aws/credentials') && /cat|curl/.test(c.process)), JSON.stringify(blast.credentials));
  assert.ok(blast.credentials.some((c) => c.tool_call_id), 'blast radius ties the credential read to its tool call');
  assert.ok(blast.endpoints.some((e) => e.endpoint.startsWith('127.0.0.1:')));
  const graph = aw('graph', id, '--format', 'json');
  assert.equal(graph.code, 0, graph.stderr);

  // 6. STIX 2.1 report validates against the OASIS schemas.
  const stix = JSON.parse(aw('report', id, '--format', 'stix').stdout) as { objects: StixObject[] };
  assert.deepEqual(stix.objects.flatMap(stixValidator()), []);
  assert.ok(JSON.stringify(stix).includes('.aws'));
});
