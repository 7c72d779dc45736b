// The rule language: operators over normalized fields, lists, macros, exceptions, overrides,
// scope, allowlists, ancestry, kind indexing, stateful rules and located load errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocatedError } from '../core/errors.js';
import type { AwEvent } from '../schema/index.js';
import { Evaluator, loadRules, loadRuleSet, parseCondition } from './index.js';
import { EventFactory, HOME, WS } from './test-events.js';

function ids(yaml: string, events: AwEvent[], opts: ConstructorParameters<typeof Evaluator>[1] = {}): string[] {
  const e = new Evaluator(loadRuleSet([{ file: 't.yaml', text: yaml }]), opts);
  return events.flatMap((ev) => e.process(ev).map((m) => m.rule.meta.id));
}

function one(cond: string, ev: AwEvent, pre = ''): boolean {
  return ids(`${pre}\n- rule: r\n  condition: ${JSON.stringify(cond)}\n`, [ev]).includes('r');
}

test('operators over normalized fields', () => {
  const f = new EventFactory();
  const conn = f.connect('10.1.2.3', 5432, 'db.internal', { depth: 2, ancestry: [{ pid: 7, exe: '/usr/bin/bash' }, { pid: 1, exe: '/usr/bin/node', argv0: 'claude' }] });
  assert.ok(one('network.dst_ip = 10.1.2.3', conn));
  assert.ok(!one('network.dst_ip != 10.1.2.3', conn));
  assert.ok(one('network.dst_port in (22, 5432)', conn));
  assert.ok(one('network.dst_port >= 5432 and network.dst_port < 5433', conn));
  assert.ok(!one('network.dst_port > 5432', conn));
  assert.ok(one('network.dst_ip cidr 10.0.0.0/8', conn));
  assert.ok(!one('network.dst_ip cidr (192.168.0.0/16, 172.16.0.0/12)', conn));
  assert.ok(one('network.dst_host endswith .internal and network.dst_host startswith db', conn));
  assert.ok(one('network.dst_host glob "d?.*al"', conn));
  assert.ok(one('network.dst_host matches "^db\\.[a-z]+$"', conn));
  assert.ok(one('network.dst_host icontains DB.INT', conn));
  assert.ok(!one('network.dst_host contains DB.INT', conn));
  assert.ok(one('session.agent.kind = claude-code and host.group = dev', conn));
  // ancestry: parent, any ancestor, nth ancestor, depth
  assert.ok(one('process.parent.name = bash', conn));
  assert.ok(one('process.ancestors.name = node', conn));
  assert.ok(one('process.ancestor[2].exe = /usr/bin/node', conn));
  assert.ok(!one('process.ancestor[1].exe = /usr/bin/node', conn));
  assert.ok(one('process.depth > 1', conn));
  assert.ok(one('network.bytes_out exists or not network.bytes_out exists', conn));
  assert.ok(!one('network.bytes_out exists', conn));
  // IPv6 CIDR
  assert.ok(one('network.dst_ip cidr "fd00:ec2::/32"', f.connect('fd00:ec2::254', 80)));
  // arrays: argv any element; decoded text
  const ex = f.ev('process.exec', { process: { pid: 3, argv: ['powershell', '-enc', 'SQBFAFgA'], decoded: [{ via: 'powershell_enc', text: 'IEX' }] } });
  assert.ok(one('process.argv = -enc', ex));
  assert.ok(one('process.decoded.text = IEX and process.name = powershell', ex));
  assert.ok(one('process.text contains IEX', ex));
  // free-form tool input
  const tc = f.tool('Bash', { command: 'ls -la', timeout: 30 }, 'shell');
  assert.ok(one('agent.tool.input.command startswith ls and agent.tool.input.timeout = 30', tc));
  assert.ok(one('agent.tool.input_text contains "ls -la"', tc));
});

test('lists, macros, exceptions (Falco shape) and overrides across files', () => {
  const base = `
- list: shells
  items: [bash, sh]
- macro: spawned_shell
  condition: kind = process.exec and process.name in (shells)
- rule: shell
  condition: spawned_shell
  exceptions:
    - name: trusted
      fields: [process.cwd, process.name]
      comps: [startswith, =]
      values: [[/opt/ci, bash]]
`;
  const f = new EventFactory();
  const zsh = f.exec(['zsh']);
  const bash = f.exec(['bash']);
  const ciBash = f.exec(['bash'], { cwd: '/opt/ci/job' });
  assert.deepEqual(ids(base, [zsh, bash, ciBash]), ['shell']);
  const over = `
- list: shells
  items: [zsh]
  append: true
- rule: shell
  condition: and process.depth = 1
  severity: high
  override: { condition: append, severity: replace }
`;
  const rs = loadRuleSet([{ file: 'a.yaml', text: base }, { file: 'b.yaml', text: over }]);
  assert.equal(rs.get('shell')!.meta.severity, 'high');
  const e = new Evaluator(rs);
  assert.deepEqual([zsh, bash, ciBash, f.exec(['bash'], { depth: 2 })].flatMap((ev) => e.process(ev).map((m) => m.rule.meta.id)), ['shell', 'shell']);
});

test('scope by agent kind and host group; per-agent allowlists', () => {
  const yaml = `
- allowlist: dests
  items: [github.com, '*.npmjs.org', 10.0.0.0/8]
  agents:
    codex: [api.openai.com]
- rule: scoped
  condition: kind = network.connect
  scope: { agents: [codex], host_groups: [prod] }
- rule: off_list
  condition: kind = network.connect and not net.dest allowed (dests)
`;
  const claude = new EventFactory('c', 'claude-code');
  const codex = new EventFactory('x', 'codex');
  const prod = { ...codex.connect('1.2.3.4', 443, 'api.openai.com'), host: { name: 'p', group: 'prod' } };
  assert.deepEqual(ids(yaml, [prod]), ['scoped']);
  assert.deepEqual(ids(yaml, [claude.connect('1.2.3.4', 443, 'api.openai.com')]), ['off_list']);
  assert.deepEqual(ids(yaml, [claude.connect('104.16.0.1', 443, 'registry.npmjs.org'), claude.connect('10.9.9.9', 22)]), []);
  // configuration adds items for one agent kind
  assert.deepEqual(ids(yaml, [claude.connect('1.2.3.4', 443, 'internal.corp')], { context: { allowlists: { dests: { 'claude-code': ['*.corp'] } } } }), []);
});

test('rules are indexed by the kinds their condition allows', () => {
  const rs = loadRuleSet([{ file: 't.yaml', text: `
- rule: a
  condition: kind in (file.open, file.read) and file.path startswith /etc
- rule: b
  condition: kind startswith network. or kind = process.exec
- rule: c
  condition: process.pid = 1
` }]);
  const names = (k: Parameters<typeof rs.forKind>[0]) => rs.forKind(k).map((r) => r.meta.id);
  assert.deepEqual(names('file.open'), ['a', 'c']);
  assert.deepEqual(names('network.dns'), ['b', 'c']);
  assert.deepEqual(names('process.exec'), ['b', 'c']);
  assert.deepEqual(names('agent.prompt'), ['c']);
});

test('load errors are located (file:line:col, code) and stop the load', () => {
  const cases: Array<[string, string, number, number]> = [
    ['- rule: r\n  condition: file.pth = /x\n', 'RULE_FIELD_UNKNOWN', 2, 14],
    ['- rule: r\n  condition: file.path = /x and (\n', 'RULE_CONDITION_SYNTAX', 2, 34],
    ['- rule: r\n  condition: file.path matches "a(("\n', 'RULE_REGEX', 2, 32],
    ['- rule: r\n  condition: network.dst_ip cidr 10.0.0.0/33\n', 'RULE_CIDR', 2, 34],
    ['- rule: r\n  condition: nosuchmacro\n', 'RULE_CONDITION_SYNTAX', 2, 14],
    ['- rule: r\n  condition: kind = file.opn\n', 'RULE_VALUE', 2, 21],
    ['- rule: r\n  condition: kind = file.open\n  severity: loud\n', 'RULE_VALUE', 3, 13],
    ['- rule: r\n  condition: kind = file.open\n  colour: red\n', 'RULE_KEY_UNKNOWN', 3, 11],
    ['- rule: r\n  condition: kind = file.open\n- rule: r\n  condition: kind = file.open\n', 'RULE_DUPLICATE', 3, 9],
    ['- rule: r\n  condition: >-\n    kind = file.open\n    and file.bad = 1\n', 'RULE_FIELD_UNKNOWN', 4, 9],
    ['- rule: r\n  condition: x\n  override: {condition: append}\n', 'RULE_OVERRIDE_TARGET', 1, 9],
    ['- rule: [unclosed\n', 'RULE_PARSE', 2, 1],
    ['- macro: m\n  condition: m2\n- macro: m2\n  condition: m\n- rule: r\n  condition: m\n', 'RULE_MACRO_CYCLE', 2, 14],
  ];
  for (const [text, code, line, col] of cases) {
    const r = loadRules([{ file: 'bad.yaml', text }]);
    assert.equal(r.ok, false, text);
    assert.equal(r.ruleSet, undefined);
    const p = r.problems[0];
    assert.deepEqual([p.code, p.file, p.line, p.column], [code, 'bad.yaml', line, col], `${text} -> ${JSON.stringify(p)}`);
  }
  assert.throws(() => loadRuleSet([{ file: 'bad.yaml', text: cases[0][0] }]), (e: unknown) => e instanceof LocatedError && /^bad\.yaml:2:14: RULE_FIELD_UNKNOWN: unknown field 'file\.pth'/.test(e.message));
});

test('condition parser: precedence and quoting', () => {
  const n = parseCondition('a = 1 or b = 2 and not c = "x \\" y"', () => false);
  assert.equal(n.t, 'or');
  if (n.t === 'or') assert.equal(n.items[1].t, 'and');
  assert.throws(() => parseCondition('a = ', () => false), /expected a value/);
});

test('sequence, threshold and baseline state is per session and bounded', () => {
  const yaml = `
- rule: seq
  sequence:
    within: 10s
    steps: [kind = file.open, kind = network.connect]
- rule: th
  condition: kind = network.dns
  threshold: { field: dns.query, over: 2, within: 5s }
`;
  const rs = loadRuleSet([{ file: 't.yaml', text: yaml }]);
  const e = new Evaluator(rs, { maxKeys: 2 });
  const s1 = new EventFactory('s1');
  const got = (ev: AwEvent) => e.process(ev).map((m) => m.rule.meta.id);
  assert.deepEqual(got(s1.open(`${HOME}/x`)), []);
  // peek does not consume state
  const c = s1.connect('1.1.1.1', 443, 'x.example');
  assert.deepEqual(e.peek(c).map((m) => m.rule.meta.id), ['seq']);
  const m = e.process(c);
  assert.deepEqual(m.map((x) => x.rule.meta.id), ['seq']);
  assert.equal(m[0].events.length, 2);
  assert.deepEqual(got(s1.connect('1.1.1.1', 443)), [], 'completed sequence is consumed');
  // threshold: 3 distinct names within 5 s
  assert.deepEqual([s1.dns('a.x'), s1.dns('b.x'), s1.dns('b.x')].flatMap(got), []);
  assert.deepEqual(got(s1.dns('c.x')), ['th']);
  // bounded keys: a third session evicts the least recent one
  for (const s of ['s2', 's3', 's4']) got(new EventFactory(s).open(`${WS}/a`));
  assert.ok(e.counters.stateEvicted >= 1);
});
