// Test fixture: turns the `strace -f -e trace=execve,connect` captures of the generated
// agent runs (../shared/data/agents/generated/*/cred-exfil/strace-execve-connect.txt) into
// kernel events shaped like the sensor's: process.fork (parent known from SIGCHLD),
// process.exec (pid, ppid, exe, argv) and network.connect. strace has no timestamps, so
// the caller gives a time range and events are spread over it in capture order.
import type { AwEvent } from '../../schema/index.js';
import { formatTimeNs } from '../../schema/index.js';

function parseStrings(list: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(list); m; m = re.exec(list)) {
    try {
      out.push(JSON.parse(`"${m[1].replace(/\\([0-7]{1,3})/g, (_s, o: string) => `\\u${parseInt(o, 8).toString(16).padStart(4, '0')}`)}"`) as string);
    } catch {
      out.push(m[1]);
    }
  }
  return out;
}

export interface StraceFixtureOptions {
  startNs: bigint;
  endNs: bigint;
  session?: { id: string; kind: string };
}

export function straceToEvents(text: string, opts: StraceFixtureOptions): AwEvent[] {
  const lines = text.split('\n');
  const parentOf = new Map<number, number>();
  for (const l of lines) {
    const m = /^(\d+)\s+--- SIGCHLD \{.*si_pid=(\d+)/.exec(l);
    if (m) parentOf.set(Number(m[2]), Number(m[1]));
  }
  type Raw = { kind: 'exec' | 'connect'; pid: number; exe?: string; argv?: string[]; port?: number; ip?: string };
  const raws: Raw[] = [];
  for (const l of lines) {
    let m = /^(\d+)\s+execve\("((?:[^"\\]|\\.)*)", \[(.*?)\](?:\.\.\.)?, 0x/.exec(l);
    if (m) {
      raws.push({ kind: 'exec', pid: Number(m[1]), exe: JSON.parse(`"${m[2]}"`) as string, argv: parseStrings(m[3]) });
      continue;
    }
    m = /^(\d+)\s+connect\(\d+, \{sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([\d.]+)"\)/.exec(l);
    if (m) raws.push({ kind: 'connect', pid: Number(m[1]), port: Number(m[2]), ip: m[3] });
  }
  // A fork for every child the capture shows (SIGCHLD), placed before its first use or
  // the first use of any of its descendants.
  const firstUse = new Map<number, number>();
  raws.forEach((r, i) => {
    for (let p: number | undefined = r.pid, n = 0; p !== undefined && n < 64; p = parentOf.get(p), n++) {
      if (!firstUse.has(p) || firstUse.get(p)! > i) firstUse.set(p, i);
    }
  });
  const forksAt = new Map<number, number[]>();
  for (const [pid, i] of firstUse) if (parentOf.has(pid)) forksAt.set(i, [...(forksAt.get(i) ?? []), pid]);
  const seq: Array<{ kind: 'fork'; pid: number } | Raw> = [];
  raws.forEach((r, i) => {
    // Parents before children.
    const forks = (forksAt.get(i) ?? []).sort((a, b) => depth(a) - depth(b));
    for (const pid of forks) seq.push({ kind: 'fork', pid });
    seq.push(r);
  });
  function depth(pid: number): number {
    let d = 0;
    for (let p = parentOf.get(pid); p !== undefined && d < 64; p = parentOf.get(p)) d++;
    return d;
  }
  const span = opts.endNs - opts.startNs;
  const n = Math.max(1, seq.length - 1);
  const session = opts.session ? { id: opts.session.id, agent: { kind: opts.session.kind }, attribution: 'tree' as const } : undefined;
  return seq.map((r, i) => {
    const time = formatTimeNs(opts.startNs + (span * BigInt(i)) / BigInt(n));
    const ppid = parentOf.get(r.pid);
    const base = { time, source: { type: 'strace-fixture', ref: `line-order:${i}` }, ...(session ? { session } : {}) };
    if (r.kind === 'fork') return { ...base, kind: 'process.fork', process: { pid: r.pid, ...(ppid !== undefined ? { ppid } : {}) } } as AwEvent;
    if (r.kind === 'exec') return { ...base, kind: 'process.exec', process: { pid: r.pid, ...(ppid !== undefined ? { ppid } : {}), exe: r.exe, argv: r.argv } } as AwEvent;
    return { ...base, kind: 'network.connect', process: { pid: r.pid, ...(ppid !== undefined ? { ppid } : {}) }, network: { transport: 'tcp', family: 'ipv4', direction: 'outbound', dst_ip: r.ip, dst_port: r.port } } as AwEvent;
  });
}
