// Capture tests for the eBPF sensor through `agentwarden run` (root + eBPF; skipped elsewhere).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { describe, it, before, after } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { cliEntry, runCli, tempHome } from '../../testing/index.js';
import { sensorUnavailableReason } from './sensor.js';

const skip = sensorUnavailableReason();

interface Tracked {
  code: number;
  events: AwEvent[];
  summary: Record<string, any>;
  stderr: string;
}

/** Runs `agentwarden run --json -- cmd` asynchronously (the test process may serve loopback peers meanwhile). */
function runTracked(home: string, cmd: string[], extra: string[] = []): Promise<Tracked> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliEntry(), '--store', home, 'run', '--json', ...extra, '--', ...cmd], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const events: AwEvent[] = [];
      let summary: Record<string, any> = {};
      for (const line of out.split('\n')) {
        if (!line.startsWith('{')) continue;
        const j = JSON.parse(line);
        if (j.summary) summary = j.summary;
        else events.push(j);
      }
      resolve({ code: code ?? -1, events, summary, stderr: err });
    });
  });
}

const opens = (t: Tracked, path: string) => t.events.filter((e) => e.kind === 'file.open' && e.file?.path === path);

describe('linux-ebpf capture via agentwarden run', { skip, timeout: 240_000 }, () => {
  let home: string;
  let dir: string;
  before(() => {
    home = tempHome('aw-ebpf-');
    dir = mkdtempSync(join(tmpdir(), 'aw-ebpf-work-'));
  });
  after(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('records exec, open, rename, chmod and delete; exit code passes through; stored', async () => {
    const t = await runTracked(home, ['sh', '-c', `cd ${dir} && echo hi > a.txt && mv a.txt b.txt && chmod 600 b.txt && cat b.txt >/dev/null && rm b.txt; exit 7`]);
    assert.equal(t.code, 7, t.stderr);
    const root = t.events.find((e) => e.kind === 'process.exec' && e.process?.depth === 0);
    assert.deepEqual(root?.process?.argv?.slice(0, 2), ['sh', '-c']);
    assert.equal(root?.process?.cwd, process.cwd());
    assert.ok(t.events.some((e) => e.kind === 'file.open' && e.file?.path === join(dir, 'a.txt') && e.file.intent?.includes('create')));
    const ren = t.events.find((e) => e.kind === 'file.rename');
    assert.equal(ren?.file?.path, join(dir, 'a.txt'));
    assert.equal(ren?.file?.target_path, join(dir, 'b.txt'));
    assert.equal(ren?.process?.exe, '/usr/bin/mv');
    assert.equal(t.events.find((e) => e.kind === 'file.chmod')?.file?.mode, 0o600);
    assert.equal(opens(t, join(dir, 'b.txt')).length, 1);
    const del = t.events.find((e) => e.kind === 'file.delete');
    assert.equal(del?.file?.path, join(dir, 'b.txt'));
    assert.equal(del?.process?.depth, 1);
    assert.equal(del?.process?.ancestry?.[0]?.pid, root?.process?.pid);
    assert.ok(t.events.some((e) => e.kind === 'process.exit' && e.process?.pid === root?.process?.pid && e.process?.exit_code === 7));
    assert.deepEqual(t.summary.drops, {});
    // everything printed was stored
    const stored = runCli(['--store', home, 'events', '--json', '--session', root!.session!.id]);
    assert.equal(stored.stdout.trim().split('\n').length, t.events.filter((e) => e.session?.id === root!.session!.id).length);
  });

  it('non-agent processes outside the tree produce no events', async () => {
    const marker = join(dir, 'control-only.txt');
    writeFileSync(marker, 'x');
    const ctl = spawn('sh', ['-c', `while :; do cat ${marker} >/dev/null; sleep 0.02; done`], { stdio: 'ignore' });
    try {
      const t = await runTracked(home, ['sh', '-c', 'sleep 0.5; /bin/true']);
      assert.equal(t.code, 0);
      assert.ok(t.events.length > 0);
      assert.equal(t.events.filter((e) => JSON.stringify(e).includes('control-only')).length, 0);
      assert.equal(t.events.filter((e) => e.process?.pid === ctl.pid).length, 0);
    } finally {
      ctl.kill();
    }
  });

  it('follows daemonizing children: double fork, setsid, nohup', async () => {
    const f = [1, 2, 3].map((i) => join(dir, `daemon-${i}.txt`));
    f.forEach((p) => writeFileSync(p, 'x'));
    const t = await runTracked(home, [
      'sh',
      '-c',
      `(setsid sh -c 'sleep 0.3; cat ${f[0]} >/dev/null' &) ; nohup sh -c 'sleep 0.3; cat ${f[1]}' >/dev/null 2>&1 & sh -c "(sh -c 'sleep 0.3; cat ${f[2]} >/dev/null' &) ; exit 0"; exit 0`,
    ]);
    assert.equal(t.code, 0);
    const root = t.events.find((e) => e.kind === 'process.exec' && e.process?.depth === 0)!;
    for (const p of f) {
      const o = opens(t, p);
      assert.equal(o.length, 1, `read of ${p} captured`);
      const anc = o[0].process!.ancestry!;
      assert.equal(anc[anc.length - 1].pid, root.process!.pid, 'ancestry reaches the root');
      assert.equal(o[0].session?.id, root.session?.id);
    }
  });

  it('a depth-10 tree keeps depth and ancestry', async () => {
    const target = join(dir, 'deep.txt');
    writeFileSync(target, 'x');
    let script = `cat ${target} >/dev/null`;
    for (let i = 0; i < 10; i++) script = `sh -c ${JSON.stringify(script).replace(/\$/g, '\\$')}`;
    const t = await runTracked(home, ['sh', '-c', script]);
    assert.equal(t.code, 0, t.stderr);
    const o = opens(t, target);
    assert.equal(o.length, 1);
    assert.equal(o[0].process?.depth, 11);
    assert.equal(o[0].process?.ancestry?.length, 11);
    assert.ok(o[0].process?.ancestry?.every((a) => a.exe === '/usr/bin/sh' || a.exe === '/bin/sh'));
  });

  it('1,000 short-lived processes: every exec, zero drops', async () => {
    const t = await runTracked(home, ['sh', '-c', 'i=0; while [ $i -lt 1000 ]; do /bin/true $i; i=$((i+1)); done'], ['--quiet']);
    assert.equal(t.code, 0);
    assert.equal(t.summary.execs, 1001);
    assert.deepEqual(t.summary.drops, {});
    assert.equal(t.summary.stored, t.summary.events);
  });

  it('argv over 4 KiB arrives intact', async () => {
    const big = 'y'.repeat(9000);
    const args = ['/bin/echo', 'short', 'two words', 'tab\there', big, 'end'];
    const t = await runTracked(home, ['sh', '-c', '"$@" >/dev/null', 'sh', ...args]);
    const ex = t.events.find((e) => e.kind === 'process.exec' && e.process?.argv?.[0] === '/bin/echo');
    assert.deepEqual(ex?.process?.argv, args);
    assert.equal(ex?.process?.flags, undefined);
    const shell = t.events.find((e) => e.kind === 'process.exec' && e.process?.depth === 0);
    assert.deepEqual(shell?.process?.decoded, [{ via: 'sh -c', text: '"$@" >/dev/null' }]);
    // far beyond one chunk: 320 KiB in 40 arguments, byte for byte
    const many = Array.from({ length: 40 }, (_, i) => `${i}:`.padEnd(8000, String.fromCharCode(97 + (i % 26))));
    const t2 = await runTracked(home, ['/bin/echo', ...many], ['--quiet']);
    const stored = runCli(['--store', home, 'events', '--json', '--kind', 'process.exec', '--limit', '1', '--desc']).stdout.trim();
    const ex2 = JSON.parse(stored) as AwEvent;
    assert.deepEqual(ex2.process?.argv, ['/bin/echo', ...many]);
    assert.deepEqual(t2.summary.drops, {});
  });

  it('IPv6 TCP connect with destination and source', async () => {
    const srv = createServer((s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '::1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const t = await runTracked(home, [process.execPath, '-e', `require('net').connect(${port}, '::1').on('connect', function () { this.end(); }).on('error', () => process.exit(1))`]);
      assert.equal(t.code, 0, t.stderr);
      const c = t.events.find((e) => e.kind === 'network.connect' && e.network?.dst_port === port);
      assert.equal(c?.network?.family, 'ipv6');
      assert.equal(c?.network?.dst_ip, '::1');
      assert.equal(c?.network?.transport, 'tcp');
      assert.equal(c?.network?.src_ip, '::1');
      assert.ok((c?.network?.src_port ?? 0) > 0);
    } finally {
      srv.close();
    }
  });

  it('UDP DNS query name (sendto to port 53)', async () => {
    const code = `const d=require('dgram').createSocket('udp4');const q=Buffer.concat([Buffer.from([0x12,0x34,1,0,0,1,0,0,0,0,0,0]),...'exfil.aw-test.invalid'.split('.').map(l=>Buffer.concat([Buffer.from([l.length]),Buffer.from(l)])),Buffer.from([0,0,1,0,1])]);d.send(q,53,'127.0.0.1',()=>d.close())`;
    const t = await runTracked(home, [process.execPath, '-e', code]);
    const dns = t.events.find((e) => e.kind === 'network.dns');
    assert.equal(dns?.dns?.query, 'exfil.aw-test.invalid');
    assert.equal(dns?.dns?.qtype, 'A');
    assert.equal(dns?.network?.dst_port, 53);
    // glibc's resolver: connect + sendmmsg
    const g = await runTracked(home, ['getent', 'ahosts', 'glibc.aw-test.invalid']);
    assert.ok(g.events.some((e) => e.kind === 'network.dns' && e.dns?.query === 'glibc.aw-test.invalid'), JSON.stringify(g.events.filter((e) => e.kind.startsWith('network'))));
  });

  it('TLS ClientHello to a loopback server: SNI captured', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    const srv = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (s) => s.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const code = `const s=require('tls').connect({host:'127.0.0.1',port:${port},servername:'sni.aw-test.invalid',rejectUnauthorized:false,ALPNProtocols:['h2','http/1.1']},()=>{s.end()});s.on('data',()=>{});s.on('error',e=>{console.error(e.message);process.exit(1)})`;
      const t = await runTracked(home, [process.execPath, '-e', code]);
      assert.equal(t.code, 0, t.stderr);
      const tls = t.events.find((e) => e.kind === 'network.tls');
      assert.equal(tls?.tls?.sni, 'sni.aw-test.invalid');
      assert.deepEqual(tls?.tls?.alpn, ['h2', 'http/1.1']);
      assert.equal(tls?.network?.dst_port, port);
      assert.equal(tls?.network?.dst_host, 'sni.aw-test.invalid');
      // curl uses sendto for its ClientHello
      const c = await runTracked(home, ['curl', '-sk', '-o', '/dev/null', '--resolve', `curl.aw-test.invalid:${port}:127.0.0.1`, `https://curl.aw-test.invalid:${port}/`]);
      assert.ok(c.events.some((e) => e.kind === 'network.tls' && e.tls?.sni === 'curl.aw-test.invalid'));
    } finally {
      srv.close();
    }
  });
});
