// A deterministic, realistic agent event stream for the rule and detect benches.
import type { AwEvent } from '../schema/index.js';
import { EventFactory, WS } from './test-events.js';

const SESSIONS = 32;
export { SESSIONS };
const FILES = ['src/index.ts', 'src/app.ts', 'src/util/log.ts', 'package.json', 'README.md', 'tsconfig.json', 'test/app.test.ts', 'node_modules/lodash/lodash.js', 'node_modules/.package-lock.json'];
const LIBS = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6', '/usr/lib/x86_64-linux-gnu/libm.so.6'];
const CMDS = [['git', 'status'], ['git', 'diff', '--stat'], ['node', '--test'], ['npm', 'test'], ['ls', '-la'], ['rg', 'TODO', 'src'], ['tsc', '-p', '.'], ['cat', 'README.md']];
const HOSTS: Array<[string, string]> = [['104.16.1.34', 'registry.npmjs.org'], ['140.82.112.3', 'github.com'], ['160.79.104.10', 'api.anthropic.com']];

/** A deterministic mixed stream; about 1 in 500 events is part of an attack sequence. */
export function generate(n: number, seed = 1): AwEvent[] {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const fs = Array.from({ length: SESSIONS }, (_, i) => new EventFactory(`bench-${i}`, i % 3 === 0 ? 'codex' : 'claude-code'));
  const out: AwEvent[] = [];
  for (const f of fs) out.push(f.start());
  while (out.length < n) {
    const f = pick(fs);
    const r = rnd();
    f.at(-990); // ~10 ms apart per session
    if (r < 0.002) {
      out.push(f.tool('Bash', { command: 'cat ~/.aws/credentials' }, 'shell'));
      out.push(f.connect('127.0.0.1', 18080, undefined, { depth: 2 }));
    } else if (r < 0.4) out.push(f.open(`${WS}/${pick(FILES)}`, '/usr/bin/node'));
    else if (r < 0.52) out.push(f.write(`${WS}/${pick(FILES)}`, '/usr/bin/node', { depth: 0 }));
    else if (r < 0.64) out.push(f.exec(pick(CMDS)));
    else if (r < 0.72) {
      const [ip, host] = pick(HOSTS);
      out.push(f.connect(ip, 443, host, { depth: 0 }));
    } else if (r < 0.78) out.push(f.dns(pick(HOSTS)[1]));
    else if (r < 0.84) out.push(f.lib(pick(LIBS)));
    else if (r < 0.9) out.push(f.tool(pick(['Read', 'Edit', 'Bash', 'Grep']), { file_path: `${WS}/${pick(FILES)}`, command: pick(CMDS).join(' ') }, 'other'));
    else if (r < 0.95) out.push(f.result('Bash', `ok\n${'x'.repeat(Math.floor(rnd() * 400))}`));
    else out.push(f.ev('process.exit', { process: { pid: 5000, exit_code: 0 } }));
  }
  return out;
}


export function clone(evs: AwEvent[]): AwEvent[] {
  return evs.map((e) => structuredClone(e));
}
