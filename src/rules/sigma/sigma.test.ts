// Sigma: every rule in ../shared/data/sensors/sigma/rules loads (or is skipped for an
// unsupported log source), every SigmaHQ regression positive is reproduced through the
// Sysmon -> AwEvent converter, and the Security-Datasets oracle is reproduced exactly
// (each expected hit on its line, no other rule/file pair matching).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { sharedDir } from '../../testing/index.js';
import { Evaluator } from '../evaluator.js';
import { RuleSet } from '../ruleset.js';
import { loadSigmaRules, parseConcatenatedJson, splitWindowsCommandLine, sysmonToEvent } from './index.js';

const SIGMA = sharedDir('data', 'sensors', 'sigma');
const skip = existsSync(SIGMA) ? false : 'needs ../shared/data/sensors/sigma';

function allRules() {
  const dir = join(SIGMA, 'rules');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yml')).sort();
  return loadSigmaRules(files.map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') })));
}

test('all shared Sigma rules load; unsupported log sources are skipped with a reason', { skip }, () => {
  const r = allRules();
  assert.deepEqual(r.problems, []);
  assert.equal(r.rules.length + r.skipped.length, 29);
  assert.deepEqual(r.skipped.map((s) => s.file), ['lnx_auditd_find_cred_in_files.yml']);
  assert.match(r.skipped[0].reason, /auditd/);
});

test('SigmaHQ regression data: every positive reproduced (match_count is a minimum)', { skip }, () => {
  const loaded = allRules();
  const dirs = readdirSync(join(SIGMA, 'regression')).sort();
  assert.equal(dirs.length, 13);
  for (const d of dirs) {
    const info = parse(readFileSync(join(SIGMA, 'regression', d, 'info.yml'), 'utf8')) as { regression_tests_info: Array<{ match_count?: number; path: string }> };
    const rule = loaded.rules.find((r) => r.meta.id === `sigma.${d}`);
    assert.ok(rule, `rule for ${d}`);
    const e = new Evaluator(new RuleSet([rule]));
    for (const t of info.regression_tests_info) {
      const json = join(SIGMA, 'regression', d, t.path.split('/').pop()!.replace(/\.evtx$/, '.json'));
      const records = parseConcatenatedJson(readFileSync(json, 'utf8'));
      let matches = 0;
      for (const rec of records) {
        const ev = sysmonToEvent(rec);
        assert.ok(ev, `${d}: record converts`);
        matches += e.process(ev).length;
      }
      const min = t.match_count ?? 1; // SigmaHQ default when the field is absent
      assert.ok(matches >= min, `${d}: ${matches} match(es), expected at least ${min}`);
    }
  }
});

test('Security-Datasets oracle: expected matches on their lines, every other pair negative', { skip }, () => {
  const oracle = JSON.parse(readFileSync(join(SIGMA, 'expected_matches_security_datasets.json'), 'utf8')) as {
    files: Record<string, { events: number; sysmon_events: number; matches: Record<string, Array<{ line: number }>> }>;
  };
  const windows = allRules().rules.filter((r) => !/_(lnx|macos)_/.test(r.meta.id));
  assert.ok(windows.length >= 15);
  const rs = new RuleSet(windows);
  for (const [file, exp] of Object.entries(oracle.files)) {
    const path = sharedDir('data', 'sensors', 'security-datasets', 'windows', file);
    const buf = readFileSync(path);
    const lines = (file.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8').split('\n');
    const e = new Evaluator(rs);
    const got: Record<string, number[]> = {};
    let events = 0;
    let sysmon = 0;
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      events++;
      const ev = sysmonToEvent(JSON.parse(line), `${file}:${i + 1}`);
      if (!ev) return;
      sysmon++;
      for (const m of e.process(ev)) (got[m.rule.meta.id.replace(/^sigma\./, '')] ??= []).push(i + 1);
    });
    assert.equal(events, exp.events, `${file}: events`);
    assert.ok(sysmon <= exp.sysmon_events, `${file}: ${sysmon} mapped Sysmon events of ${exp.sysmon_events}`);
    const want = Object.fromEntries(Object.entries(exp.matches).map(([rule, hits]) => [rule, hits.map((h) => h.line)]));
    assert.deepEqual(got, want, `${file}: rule -> matching lines`);
  }
});

test('modifiers: base64offset|wide, windash, re, cidr, exists, all, wildcards, null', () => {
  const rule = (detection: string, cat = 'process_creation') => `title: t\nlogsource: {category: ${cat}, product: windows}\ndetection:\n${detection}\nlevel: high\n`;
  const ev = (cmd: string, extra: Record<string, unknown> = {}) =>
    sysmonToEvent({ SourceName: 'Microsoft-Windows-Sysmon', EventID: 1, UtcTime: '2026-01-01 00:00:00.000', Image: 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe', CommandLine: cmd, ProcessId: '10', ...extra })!;
  const hits = (text: string, e: ReturnType<typeof ev>) => {
    const r = loadSigmaRules([{ file: 'x.yml', text }]);
    assert.deepEqual(r.problems, []);
    return new Evaluator(new RuleSet(r.rules)).process(e).length > 0;
  };
  const enc = Buffer.from('xx Invoke-Mimikatz', 'utf16le').toString('base64');
  assert.ok(hits(rule("  sel:\n    CommandLine|wide|base64offset|contains: 'Invoke-'\n  condition: sel"), ev(`powershell -enc ${enc}`)));
  assert.ok(!hits(rule("  sel:\n    CommandLine|wide|base64offset|contains: 'Invoke-'\n  condition: sel"), ev('powershell -enc ' + Buffer.from('Get-Date', 'utf16le').toString('base64'))));
  assert.ok(hits(rule("  sel:\n    CommandLine|windash|contains: ' -enc '\n  condition: sel"), ev('powershell /enc AAAA')));
  assert.ok(hits(rule("  sel:\n    CommandLine|windash|contains: ' -enc '\n  condition: sel"), ev('powershell \u2013enc AAAA')));
  assert.ok(!hits(rule("  sel:\n    CommandLine|re: '-W(indowStyle)?\\s+h'\n  condition: sel"), ev('powershell -w hidden')), 're is case-sensitive');
  assert.ok(hits(rule("  sel:\n    CommandLine|re|i: '-w(indowstyle)?\\s+h'\n  condition: sel"), ev('powershell -W hidden')));
  assert.ok(hits(rule("  sel:\n    CommandLine|contains|all: [' -nop', ' -w ']\n  condition: sel"), ev('powershell -NoP -W 1')));
  assert.ok(!hits(rule("  sel:\n    CommandLine|contains|all: [' -nop', ' -w ']\n  condition: sel"), ev('powershell -NoP')));
  assert.ok(hits(rule("  sel:\n    Image: '*\\power?hell.exe'\n  condition: sel"), ev('x')));
  assert.ok(hits(rule("  sel:\n    OriginalFileName|exists: false\n  condition: sel"), ev('x')));
  assert.ok(hits(rule("  sel:\n    ParentImage: null\n  condition: sel"), ev('x')));
  const net = sysmonToEvent({ SourceName: 'Microsoft-Windows-Sysmon', EventID: 3, Image: 'C:\\x.exe', DestinationIp: '10.2.3.4', DestinationPort: '443', Initiated: 'true', UtcTime: '2026-01-01 00:00:00.000' })!;
  assert.ok(hits(rule("  sel:\n    DestinationIp|cidr: [10.0.0.0/8]\n    Initiated: 'true'\n  condition: sel", 'network_connection'), net));
  assert.equal(net.network?.direction, 'outbound');
  // unsupported modifier: a located error
  const bad = loadSigmaRules([{ file: 'bad.yml', text: rule("  sel:\n    CommandLine|expand: '%x%'\n  condition: sel") }]);
  assert.deepEqual(bad.problems.map((p) => [p.code, p.line, p.column]), [['RULE_SIGMA_UNSUPPORTED', 5, 5]]);
  const badCond = loadSigmaRules([{ file: 'bad.yml', text: rule("  sel:\n    CommandLine: x\n  condition: sel and 1 of nothing*") }]);
  assert.equal(badCond.problems[0].code, 'RULE_CONDITION_SYNTAX');
});

test('Windows command lines split like CommandLineToArgvW; -enc decoded', () => {
  assert.deepEqual(splitWindowsCommandLine('"C:\\Program Files\\a.exe" -x "a b" c\\\\"d e"'), ['C:\\Program Files\\a.exe', '-x', 'a b', 'c\\d e']);
  const ev = sysmonToEvent({ SourceName: 'Microsoft-Windows-Sysmon', EventID: 1, Image: 'C:\\p.exe', CommandLine: `powershell.exe -NoP -enc ${Buffer.from('Write-Host hi', 'utf16le').toString('base64')}` })!;
  assert.deepEqual(ev.process?.decoded, [{ via: 'powershell_enc', text: 'Write-Host hi' }]);
});
