// Degraded sensor: runs the command under `strace -f` and parses its output into the same
// normalized events as the kernel sensor (source.type = 'ptrace'). Bypassable by design (a
// process can detect ptrace, or escape it: a tracee can be detached, and ptrace cannot
// follow a process that refuses it), slow (every traced syscall stops the tracee), and
// blind to payloads (no DNS names or TLS SNI). Use only where eBPF is unavailable.
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import { execFileSync } from 'node:child_process';
import { formatTimeNs, type AwEvent, type FileIntent } from '../../schema/index.js';

const SYSCALLS = 'execve,execveat,open,openat,openat2,creat,unlink,unlinkat,rmdir,rename,renameat,renameat2,chmod,fchmodat,chown,lchown,fchownat,truncate,connect,chdir,mkdir,mkdirat,clone,clone3,fork,vfork';

/** Unescapes a C string as strace prints it (without the quotes). */
export function unescapeC(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const n = s[++i];
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, b: 8, a: 7, '\\': 92, '"': 34, "'": 39 };
    if (n in simple) bytes.push(simple[n]);
    else if (n === 'x') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(n)) {
      let j = i;
      while (j < i + 3 && /[0-7]/.test(s[j] ?? '')) j++;
      bytes.push(parseInt(s.slice(i, j), 8));
      i = j - 1;
    } else bytes.push(n.charCodeAt(0));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The quoted strings of an argument list, in order (arrays flattened), plus the rest as tokens. */
function strings(args: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"(\.\.\.)?/g;
  for (const m of args.matchAll(re)) out.push(unescapeC(m[1]));
  return out;
}

/** Splits the top-level arguments of a syscall (commas outside quotes, brackets, braces). */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let q = false;
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      cur += c;
      if (c === '\\') cur += s[++i] ?? '';
      else if (c === '"') q = false;
      continue;
    }
    if (c === '"') q = true;
    else if ('[{('.includes(c)) depth++;
    else if (']})'.includes(c)) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

// strace pads the pid column (`%-5d`): one or more spaces follow it, depending on its width.
const LINE = /^(\d+) +(\d+)\.(\d+) (.*)$/;
const CALL = /^([a-z0-9_]+)\((.*)\)\s+= (-?\d+|\?|0x[0-9a-f]+)(?: ([A-Z][A-Z0-9]+))?/;

interface Proc {
  cwd?: string;
  reads?: Set<string>;
}

// Same noise policy as the kernel sensor (src/sources/linux-ebpf): loader/locale reads are
// dropped, repeated reads collapsed; never a credential, write, delete or exec.
const NOISE = /^(\/usr\/lib\/|\/lib\/|\/lib64\/|\/usr\/lib64\/|\/etc\/ld\.so\.cache$|\/usr\/share\/(locale|zoneinfo|i18n)\/|\/etc\/localtime$|\/dev\/null$)/;

export interface StraceParserOptions {
  isMarker: (name: string) => boolean;
  host?: AwEvent['host'];
  emit: (e: AwEvent) => void;
}

/** Turns strace -f -ttt -v lines into normalized events. */
export class StraceParser {
  rootPid = 0;
  private unfinished = new Map<number, string>();
  private procs = new Map<number, Proc>();
  private threads = new Map<number, number>();
  private known = new Set<number>();
  private waiting = new Map<number, AwEvent[]>();
  private seq = 0;
  lines = 0;
  unparsed = 0;
  suppressed = 0;

  constructor(private readonly o: StraceParserOptions) {}

  private base(pid: number, ns: bigint, kind: AwEvent['kind']): AwEvent {
    return { time: formatTimeNs(ns), kind, host: this.o.host, source: { type: 'ptrace', name: 'strace', ref: `strace:${++this.seq}` }, process: { pid }, attributes: { bypassable: true } };
  }

  private out(pid: number, e: AwEvent): void {
    if (!this.known.has(pid)) {
      // a child's first syscalls are printed before its parent's clone returns
      let w = this.waiting.get(pid);
      if (!w) this.waiting.set(pid, (w = []));
      w.push(e);
      if (w.length > 10000) this.flushWaiting(pid);
      return;
    }
    this.o.emit(e);
  }

  private flushWaiting(pid: number): void {
    this.known.add(pid);
    const w = this.waiting.get(pid);
    this.waiting.delete(pid);
    for (const e of w ?? []) this.o.emit(e);
  }

  end(): void {
    for (const pid of [...this.waiting.keys()]) this.flushWaiting(pid);
  }

  private resolve(pid: number, dirfd: string | undefined, p: string): string {
    if (p.startsWith('/')) return posix.normalize(p);
    if (dirfd === undefined || dirfd === 'AT_FDCWD') {
      const cwd = this.procs.get(pid)?.cwd;
      if (cwd) return posix.join(cwd, p);
    }
    return p;
  }

  line(raw: string): void {
    this.lines++;
    const m = LINE.exec(raw);
    if (!m) return;
    const tid = Number(m[1]);
    const ns = BigInt(m[2]) * 1_000_000_000n + BigInt(m[3].padEnd(9, '0').slice(0, 9));
    let rest = m[4];
    if (!this.rootPid) {
      this.rootPid = tid;
      this.known.add(tid);
      this.procs.set(tid, { cwd: process.cwd() });
    }
    if (rest.endsWith('<unfinished ...>')) {
      this.unfinished.set(tid, rest.slice(0, -'<unfinished ...>'.length));
      return;
    }
    const res = /^<\.\.\. [a-z0-9_]+ resumed>(.*)$/.exec(rest);
    if (res) {
      rest = (this.unfinished.get(tid) ?? '') + res[1];
      this.unfinished.delete(tid);
    }
    const pid = this.threads.get(tid) ?? tid;
    const ex = /^\+\+\+ (exited with (\d+)|killed by (SIG[A-Z0-9]+))/.exec(rest);
    if (ex) {
      if (this.threads.has(tid)) return;
      const e = this.base(pid, ns, 'process.exit');
      e.process!.exit_code = ex[2] !== undefined ? Number(ex[2]) : 128 + (signalNumber(ex[3]) ?? 0);
      this.out(pid, e);
      return;
    }
    const c = CALL.exec(rest);
    if (!c) {
      this.unparsed++;
      return;
    }
    const [, name, argText, retText, errName] = c;
    const ret = retText === '?' ? 0 : Number(retText);
    const args = splitArgs(argText);
    const failed = ret < 0;
    const attrs: Record<string, unknown> = { bypassable: true };
    if (failed && errName) attrs.error = errName;
    switch (name) {
      case 'clone':
      case 'clone3':
      case 'fork':
      case 'vfork': {
        if (failed || ret <= 0) return;
        if (/CLONE_THREAD/.test(argText)) {
          this.threads.set(ret, pid);
          return;
        }
        this.procs.set(ret, { cwd: this.procs.get(pid)?.cwd });
        const e = this.base(ret, ns, 'process.fork');
        e.process = { pid: ret, ppid: pid };
        this.out(pid, e);
        this.flushWaiting(ret);
        return;
      }
      case 'execve':
      case 'execveat': {
        if (failed) return; // PATH search misses
        const off = name === 'execveat' ? 1 : 0;
        const exe = strings(args[off] ?? '')[0] ?? '';
        const argv = strings(args[off + 1] ?? '');
        const env = strings(args[off + 2] ?? '');
        const markers: Record<string, string> = {};
        for (const kv of env) {
          const eq = kv.indexOf('=');
          if (eq > 0 && this.o.isMarker(kv.slice(0, eq))) markers[kv.slice(0, eq)] = kv.slice(eq + 1, eq + 513);
        }
        const cwd = this.procs.get(pid)?.cwd ?? procCwd(pid);
        this.procs.set(pid, { cwd });
        const e = this.base(pid, ns, 'process.exec');
        Object.assign(e.process!, { exe: this.resolve(pid, undefined, exe), argv, ...(cwd ? { cwd } : {}), ...(Object.keys(markers).length ? { env_markers: markers } : {}) });
        if (/\.\.\.\]/.test(args[off + 1] ?? '')) e.process!.flags = ['argv_truncated'];
        this.out(pid, e);
        return;
      }
      case 'chdir':
        if (!failed) this.procs.set(pid, { ...this.procs.get(pid), cwd: this.resolve(pid, undefined, strings(args[0])[0] ?? '') });
        return;
      case 'connect': {
        const sa = args[1] ?? '';
        const e = this.base(pid, ns, 'network.connect');
        if (ret < 0 && errName === 'EINPROGRESS') delete attrs.error;
        let m2: RegExpExecArray | null;
        if ((m2 = /sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([^"]+)"\)/.exec(sa))) e.network = { family: 'ipv4', direction: 'outbound', dst_ip: m2[2], dst_port: Number(m2[1]) };
        else if ((m2 = /sa_family=AF_INET6, sin6_port=htons\((\d+)\).*inet_pton\(AF_INET6, "([^"]+)"/.exec(sa))) e.network = { family: 'ipv6', direction: 'outbound', dst_ip: m2[2], dst_port: Number(m2[1]) };
        else if ((m2 = /sa_family=AF_UNIX, sun_path=(@?)"((?:[^"\\]|\\.)*)"/.exec(sa))) e.network = { family: 'unix', transport: 'unix', direction: 'outbound', dst_host: m2[1] + unescapeC(m2[2]) };
        else return;
        e.attributes = attrs;
        this.out(pid, e);
        return;
      }
      default:
        break;
    }
    // file syscalls
    const at = /at2?$/.test(name) || name === 'fchownat';
    const dirfd = at ? args[0] : undefined;
    const pathArg = at ? args[1] : args[0];
    const path = this.resolve(pid, dirfd, strings(pathArg ?? '')[0] ?? '');
    let e: AwEvent;
    if (name === 'open' || name === 'openat' || name === 'openat2' || name === 'creat') {
      const flags = name === 'creat' ? 'O_WRONLY|O_CREAT|O_TRUNC' : (at ? args[2] : args[1]) ?? '';
      const intent: FileIntent[] = [];
      if (/O_RDWR/.test(flags)) intent.push('read', 'write');
      else if (/O_WRONLY/.test(flags)) intent.push('write');
      else intent.push('read');
      if (/O_CREAT/.test(flags)) intent.push('create');
      if (/O_TRUNC/.test(flags)) intent.push('truncate');
      if (/O_APPEND/.test(flags)) intent.push('append');
      if (failed && intent.length === 1) return; // failed reads: library search noise
      if (intent.length === 1) {
        if (NOISE.test(path)) {
          this.suppressed++;
          return;
        }
        const p = this.procs.get(pid) ?? {};
        p.reads ??= new Set();
        if (p.reads.has(path)) {
          this.suppressed++;
          return;
        }
        p.reads.add(path);
        this.procs.set(pid, p);
      }
      e = this.base(pid, ns, 'file.open');
      e.file = { path, intent };
    } else if (name === 'unlink' || name === 'unlinkat' || name === 'rmdir') {
      e = this.base(pid, ns, 'file.delete');
      e.file = { path, intent: ['delete'] };
    } else if (name.startsWith('rename')) {
      const target = name === 'rename' ? strings(args[1])[0] : strings(args[3] ?? '')[0];
      e = this.base(pid, ns, 'file.rename');
      e.file = { path, target_path: this.resolve(pid, name === 'rename' ? undefined : args[2], target ?? ''), intent: ['rename'] };
    } else if (name === 'chmod' || name === 'fchmodat') {
      e = this.base(pid, ns, 'file.chmod');
      e.file = { path, intent: ['chmod'], mode: parseInt((at ? args[2] : args[1]) ?? '0', 8) };
    } else if (name.includes('chown')) {
      e = this.base(pid, ns, 'file.chown');
      e.file = { path, intent: ['chown'] };
    } else if (name === 'truncate') {
      e = this.base(pid, ns, 'file.truncate');
      e.file = { path, intent: ['truncate'] };
    } else if (name === 'mkdir' || name === 'mkdirat') {
      e = this.base(pid, ns, 'file.create');
      e.file = { path, intent: ['create'] };
      attrs.directory = true;
    } else return;
    e.attributes = attrs;
    this.out(pid, e);
  }
}

function signalNumber(name: string): number | undefined {
  const n: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };
  return n[name];
}

function procCwd(pid: number): string | undefined {
  try {
    return execFileSync('readlink', [`/proc/${pid}/cwd`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function straceAvailable(): boolean {
  try {
    execFileSync('strace', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs cmd under strace, feeding each line to the parser; resolves with cmd's exit code. */
export async function runUnderStrace(cmd: string[], parser: StraceParser): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'aw-ptrace-'));
  const fifo = join(dir, 'trace');
  execFileSync('mkfifo', ['-m', '0600', fifo]);
  try {
    const child = spawn('strace', ['-f', '-q', '-ttt', '-v', '-s', '65535', '-e', 'signal=none', '-e', `trace=${SYSCALLS}`, '-o', fifo, '--', ...cmd], { stdio: 'inherit' });
    const rl = createInterface({ input: createReadStream(fifo), crlfDelay: Infinity });
    const reading = (async () => {
      for await (const l of rl) parser.line(l);
      parser.end();
    })();
    const code = await new Promise<number>((res) => child.on('exit', (c, s) => res(c ?? 128 + (s ? (signalNumber(s) ?? 0) : 0))));
    await reading;
    return code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
