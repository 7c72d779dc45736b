import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AwEvent } from '../../schema/index.js';
import { runCli, tempHome } from '../../testing/index.js';
import { StraceParser, splitArgs, straceAvailable, unescapeC } from './strace.js';

describe('strace parsing', () => {
  it('unescapes C strings and splits arguments', () => {
    assert.equal(unescapeC('a\\tb\\n\\"q\\"\\\\\\x41\\101'), 'a\tb\n"q"\\AA');
    assert.deepEqual(splitArgs('AT_FDCWD, "/a,b", O_RDONLY|O_CLOEXEC'), ['AT_FDCWD', '"/a,b"', 'O_RDONLY|O_CLOEXEC']);
    assert.deepEqual(splitArgs('"/bin/sh", ["sh", "-c", "x, y"], ["A=1"]'), ['"/bin/sh"', '["sh", "-c", "x, y"]', '["A=1"]']);
  });
  it('resumed calls, early child lines, exec env markers, connect', () => {
    const out: AwEvent[] = [];
    const p = new StraceParser({ isMarker: (n) => n === 'CLAUDECODE', emit: (e) => out.push(e) });
    for (const l of [
      // strace pads the pid column to 5: short pids are followed by several spaces
      '10    1.000001 execve("/bin/sh", ["sh", "-c", "cat a"], ["CLAUDECODE=1", "SECRET=x"]) = 0',
      '10    1.000002 vfork( <unfinished ...>',
      '11 1.000003 execve("/bin/cat", ["cat", "a"], ["CLAUDECODE=1"]) = 0',
      '10 1.000004 <... vfork resumed>) = 11',
      '11 1.000005 openat(AT_FDCWD, "a", O_RDONLY) = 3',
      '11 1.000006 connect(3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ECONNREFUSED (Connection refused)',
      '11 1.000007 +++ exited with 0 +++',
      '10 1.000008 +++ exited with 3 +++',
    ])
      p.line(l);
    p.end();
    assert.deepEqual(out.map((e) => e.kind), ['process.exec', 'process.fork', 'process.exec', 'file.open', 'network.connect', 'process.exit', 'process.exit']);
    assert.deepEqual(out[0].process?.env_markers, { CLAUDECODE: '1' });
    assert.equal(out[3].file?.path, join(process.cwd(), 'a'));
    assert.equal(out[4].network?.dst_ip, '::1');
    assert.equal(out[4].attributes?.error, 'ECONNREFUSED');
    assert.equal(out[6].process?.exit_code, 3);
    assert.ok(out.every((e) => e.source.type === 'ptrace' && e.attributes?.bypassable === true));
  });
});

describe('agentwarden run --mode ptrace', { skip: straceAvailable() ? undefined : 'needs strace' }, () => {
  it('records a tree, says it is bypassable, passes the exit code', () => {
    const home = tempHome('aw-ptrace-');
    const dir = mkdtempSync(join(tmpdir(), 'aw-ptrace-w-'));
    try {
      const r = runCli(['--store', home, 'run', '--mode', 'ptrace', '--json', '--', 'sh', '-c', `cd ${dir} && echo x > a && mv a b && cat b >/dev/null && rm b; exit 4`]);
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /bypassable/);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const summary = lines.pop().summary;
      assert.equal(summary.mode, 'ptrace (bypassable)');
      const ev = lines as AwEvent[];
      assert.ok(ev.some((e) => e.kind === 'file.rename' && e.file?.path === join(dir, 'a') && e.file.target_path === join(dir, 'b')));
      assert.ok(ev.some((e) => e.kind === 'file.open' && e.file?.path === join(dir, 'b') && e.process?.depth === 1 && e.process.exe === '/usr/bin/cat'));
      assert.ok(ev.some((e) => e.kind === 'file.delete' && e.file?.path === join(dir, 'b')));
      assert.ok(ev.every((e) => e.source.type === 'ptrace'));
    } finally {
      rmSync(home, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
