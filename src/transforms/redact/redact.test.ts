import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sharedDir, tempHome } from '../../testing/index.js';
import { resolvePaths } from '../../core/paths.js';
import { openStore, openStoreReadonly, StoreWriter } from '../../sinks/store/index.js';
import type { AwEvent } from '../../schema/index.js';
import { compileRe2, createRedactor, gitleaksConfigFromToml, GITLEAKS_DEFAULT, luhnValid, scanPii, sealingSink, SecretScanner } from './index.js';

// Secrets are generated at test time: no live-looking secret is committed to the repo.
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const AN = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const pickFrom = (alphabet: string, n: number): string => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
const awsKey = (): string => `AKIA${pickFrom(B32, 16)}`;
const ghToken = (): string => `ghp_${pickFrom(AN, 36)}`;

test('RE2 translation: scoped case flags, named groups, \\z, POSIX classes', () => {
  assert.ok(compileRe2('(?i)abc').test('xABCx'));
  const scoped = compileRe2('(?i)key(?-i:[Aa]pi|API)');
  assert.ok(scoped.test('KEYApi'));
  assert.ok(!scoped.test('KEYaPI'), '(?-i:...) stays case-sensitive');
  assert.ok(compileRe2('a(?i:bc)d').test('aBCd'));
  assert.ok(!compileRe2('a(?i:bc)d').test('aBCD'));
  assert.equal(compileRe2('(?P<sec>[[:digit:]]+)\\z').exec('ab 123')?.groups?.sec, '123');
  assert.ok(compileRe2('(?i)[a-f_-]{3}').test('A-F'));
});

test('every shipped gitleaks rule compiles, and the shipped rules are derived from the gitleaks config', () => {
  const fromToml = gitleaksConfigFromToml(readFileSync(sharedDir('data', 'secrets', 'gitleaks', 'gitleaks.toml'), 'utf8'));
  const scanner = new SecretScanner(fromToml);
  assert.deepEqual(scanner.skipped, []);
  assert.equal(scanner.ruleCount, fromToml.rules.length);
  assert.deepEqual(GITLEAKS_DEFAULT.rules.map((r) => [r.id, r.regex, r.entropy]), fromToml.rules.map((r) => [r.id, r.regex, r.entropy]));
});

test('gitleaks fixtures (loaded at test time): recall >= 0.95, false positives <= 0.05', () => {
  const scanner = new SecretScanner(gitleaksConfigFromToml(readFileSync(sharedDir('data', 'secrets', 'gitleaks', 'gitleaks.toml'), 'utf8')));
  const fx = JSON.parse(readFileSync(sharedDir('data', 'secrets', 'gitleaks', 'rule-fixtures.json'), 'utf8')) as Array<{ kind: string; form: string; text: string }>;
  const tps = fx.filter((f) => f.kind === 'true_positive' && f.form === 'in_context');
  const fps = fx.filter((f) => f.kind === 'false_positive');
  const recall = tps.filter((f) => scanner.scan(f.text).length > 0).length / tps.length;
  const fpr = fps.filter((f) => scanner.scan(f.text).length > 0).length / fps.length;
  assert.ok(recall >= 0.95, `recall ${recall}`);
  assert.ok(fpr <= 0.05, `fp rate ${fpr}`);
});

test('secrets in tool output are masked with the rule id; allowlisted placeholders are not', () => {
  const r = createRedactor();
  const key = awsKey();
  const gh = ghToken();
  const text = `[default]\naws_access_key_id = ${key}\ngithub: ${gh}\n-----BEGIN RSA PRIVATE KEY-----\n${randomBytes(300).toString('base64')}\n-----END RSA PRIVATE KEY-----\n`;
  const out = r.redactText(text);
  assert.ok(!out.text.includes(key));
  assert.ok(!out.text.includes(gh));
  assert.match(out.text, /\[REDACTED:aws-access-token\]/);
  assert.match(out.text, /\[REDACTED:github-pat\]/);
  assert.match(out.text, /\[REDACTED:private-key\]/);
  assert.match(out.text, /^\[default\]\naws_access_key_id = /, 'context is kept');
  // gitleaks' allowlists: documentation examples and template placeholders.
  assert.equal(r.scanText('aws_access_key_id = AKIAIOSFODNN7EXAMPLE').length, 0);
  assert.equal(r.scanText('token: ${{ secrets.GITHUB_TOKEN }}').length, 0);
});

test('PII: emails, phones, Luhn-valid cards, SSNs, IBANs; checksums reject look-alikes', () => {
  assert.ok(luhnValid('4111111111111111'));
  assert.ok(!luhnValid('4111111111111112'));
  const rules = (t: string): string[] => scanPii(t).map((f) => f.rule);
  assert.deepEqual(rules('mail jane.doe@example.org now'), ['pii-email']);
  assert.deepEqual(rules('card 4111 1111 1111 1111 ok'), ['pii-card']);
  assert.deepEqual(rules('card 4111 1111 1111 1112 ok'), []);
  assert.deepEqual(rules('call +1-984-182-0190 or (555) 555-0199'), ['pii-phone', 'pii-phone']);
  assert.deepEqual(rules('ssn 078-05-1120'), ['pii-us-ssn']);
  assert.ok(!rules('ssn 666-05-1120').includes('pii-us-ssn'));
  assert.deepEqual(rules('iban GB82 WEST 1234 5698 7654 32'), ['pii-iban']);
  assert.ok(!rules('iban GB83 WEST 1234 5698 7654 32').includes('pii-iban'));
  // Not PII: dates, times, IPs, versions, epoch seconds, ports.
  assert.deepEqual(rules('2026-12-03T16:00:13.135614188Z 127.0.0.1:40539 v1.2.3 1764780000 3.14159265'), []);
});

test('our own ids, digests, commitments and base64 evidence are never flagged', () => {
  const r = createRedactor();
  const blob = randomBytes(96);
  const ev: AwEvent = {
    id: randomUUID(),
    time: '2026-12-03T16:00:00Z',
    kind: 'file.write',
    source: { type: 'test', ref: randomUUID() },
    session: { id: randomUUID(), agent: { kind: 'claude-code' }, tool_call_id: `toolu_${pickFrom(AN, 24)}` },
    file: { path: '/srv/app/x', sha256: createHash('sha256').update(blob).digest('hex') },
    attributes: {
      evidence: { sha256: createHash('sha256').update(blob).digest('hex'), sha1: createHash('sha1').update(blob).digest('hex'), content_b64: blob.toString('base64'), commitment: `sha256:${createHash('sha256').update(blob).digest('hex')}` },
      trace_id: randomUUID(),
      request: { id: randomUUID(), digest: `sha256:${createHash('sha256').update('x').digest('hex')}` },
    },
  };
  assert.equal(r.apply(ev), ev, 'nothing found: the same event object comes back');
  for (let i = 0; i < 50; i++) {
    assert.deepEqual(r.scanText(`id=${randomUUID()} sha256=${randomBytes(32).toString('hex')} evidence=${randomBytes(48).toString('base64')}`), []);
  }
});

function toolEvent(output: string): AwEvent {
  return {
    id: 'hook-1',
    time: '2026-12-03T16:00:00Z',
    kind: 'agent.tool.result',
    source: { type: 'hook' },
    session: { id: 's1', agent: { kind: 'claude-code' } },
    agent: { prompt: { text: 'mail the report to ops@corp.example' }, tool: { name: 'Bash', input: { command: 'cat ~/.aws/credentials' }, output: { stdout: output } } },
    attributes: { payload: { cwd: '/w' } },
  };
}

test('retention modes: full keeps, redacted masks, metadata drops content; input is not mutated', () => {
  const key = awsKey();
  const ev = toolEvent(`aws_access_key_id = ${key}\n`);
  const snapshot = JSON.stringify(ev);
  assert.equal(createRedactor({ mode: 'full' }).apply(ev), ev);
  const red = createRedactor({ mode: 'redacted' }).apply(ev) as AwEvent;
  assert.ok(!JSON.stringify(red).includes(key));
  assert.ok(!JSON.stringify(red).includes('ops@corp.example'));
  assert.deepEqual((red.attributes!.redaction as { findings: Array<{ path: string; rule: string }> }).findings, [
    { path: 'agent.prompt.text', rule: 'pii-email' },
    { path: 'agent.tool.output.stdout', rule: 'aws-access-token' },
  ]);
  assert.equal(red.agent!.tool!.input && (red.agent!.tool!.input as { command: string }).command, 'cat ~/.aws/credentials');
  const meta = createRedactor({ mode: 'metadata' }).apply(ev) as AwEvent;
  assert.equal(meta.agent!.tool!.input, undefined);
  assert.equal(meta.agent!.tool!.output, undefined);
  assert.equal(meta.agent!.prompt!.text, undefined);
  assert.equal(meta.agent!.tool!.name, 'Bash');
  assert.deepEqual((meta.attributes!.redaction as { omitted: string[] }).omitted, ['agent.prompt.text', 'agent.tool.input', 'agent.tool.output', 'attributes.payload']);
  assert.equal(JSON.stringify(ev), snapshot, 'the input event is unchanged');
});

test('seal: masked originals go to the store as salted commitments (disclosable, purgeable)', async () => {
  const home = tempHome('aw-redact-');
  const paths = resolvePaths(home);
  const store = openStore(paths);
  const writer = new StoreWriter(store);
  const r = createRedactor({ seal: true });
  const key = awsKey();
  const sink = sealingSink(writer, r);
  sink.write(r.apply(toolEvent(`aws_access_key_id = ${key}\n`)) as AwEvent);
  await sink.flush();
  const seq = writer.lastSeq;
  assert.ok(!store.rawBody(seq)!.includes(key), 'the hashed record holds only the commitment');
  const back = store.query({})[0] as AwEvent;
  assert.ok(JSON.stringify(back.attributes!.aw_sealed).includes(key), 'the sealed original can be disclosed');
  assert.ok(!JSON.stringify(back.agent).includes(key));
  store.purgeSealed({ seqs: [seq] });
  store.close();
  const ro = openStoreReadonly(paths);
  assert.ok(!JSON.stringify(ro.query({})).includes(key), 'purged');
  ro.close();
});
