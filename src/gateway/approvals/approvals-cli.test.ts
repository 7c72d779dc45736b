// `agentwarden approvals` as approvers use it: token-proven approver identity, no
// self-approval, approver lists, one-time vs time-boxed, listing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolvePaths } from '../../core/paths.js';
import { runCli, tempHome } from '../../testing/index.js';
import { issueToken } from '../identity/identity.js';
import { ApprovalStore } from './approvals.js';

test('approvals CLI: require_token, self-approval refused, approver list, time-boxed', async () => {
  const home = tempHome('aw-apr-');
  const paths = resolvePaths(home);
  const cfg = join(home, 'c.yaml');
  writeFileSync(cfg, 'gateway:\n  approvals: { require_token: true, approvers: [alice, dba], max_duration: 1h }\n');
  const store = ApprovalStore.open(paths);
  const mk = (sql: string) => store.requestFor({ agent: 'bot', groups: ['ops'], resource: 'postgres:app', statement: sql, exact: sql, shape: 'shape', reason: 'write on t', ttlMs: 60_000 }).row.id;
  const id = mk('DELETE FROM t WHERE id = 1');
  const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['--store', home, '--config', cfg, ...args], { env });
  const list = cli(['approvals', 'list', '--json']);
  assert.equal(JSON.parse(list.stdout.trim()).id, id);
  const noTok = cli(['approvals', 'approve', id, '--as', 'alice']);
  assert.equal(noTok.code, 1);
  assert.match(noTok.stderr, /require_token/);
  const botTok = (await issueToken(paths, undefined, { agent: 'bot', groups: ['dba'], ttl: '5m' })).token;
  assert.match(cli(['approvals', 'approve', id, '--token', botTok]).stderr, /self-approval refused/);
  const malloryTok = (await issueToken(paths, undefined, { agent: 'mallory', groups: [], ttl: '5m' })).token;
  assert.match(cli(['approvals', 'approve', id], { AGENTWARDEN_TOKEN: malloryTok }).stderr, /not an approver/);
  const aliceTok = (await issueToken(paths, undefined, { agent: 'alice', groups: [], ttl: '5m' })).token;
  assert.match(cli(['approvals', 'approve', id, '--token', aliceTok, '--as', 'bob']).stderr, /contradicts/);
  const ok = cli(['approvals', 'approve', id, '--token', aliceTok, '--json']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).approver, 'alice');
  assert.equal(JSON.parse(ok.stdout).kind, 'once');
  // A member of an approver group may approve, time-boxed within max_duration.
  const id2 = mk('UPDATE t SET a = 2');
  const dbaTok = (await issueToken(paths, undefined, { agent: 'carol', groups: ['dba'], ttl: '5m' })).token;
  assert.match(cli(['approvals', 'approve', id2, '--token', dbaTok, '--for', '2h']).stderr, /max_duration/);
  const win = cli(['approvals', 'approve', id2, '--token', dbaTok, '--for', '30m', '--json']);
  assert.equal(win.code, 0, win.stderr);
  assert.equal(JSON.parse(win.stdout).kind, 'window');
  const id3 = mk('UPDATE t SET a = 3');
  const deny = cli(['approvals', 'deny', id3, '--token', aliceTok]);
  assert.equal(deny.code, 0, deny.stderr);
  assert.equal(store.get(id3)?.status, 'denied');
  assert.equal(JSON.parse(cli(['approvals', 'list', '--all', '--json']).stdout.trim().split('\n')[0]).agent, 'bot');
  store.close();
});
