// Turns decoded kernel records into normalized events: reassembles exec (argv and
// environment chunks), resolves relative paths against the process's cwd (tracked from
// exec and chdir), decodes sockets, DNS, TLS, and applies the user-space noise policy
// (collapse repeated read-only opens per process, drop failed non-sensitive reads).
// Session attribution is not done here (src/transforms/attribute).
import { posix } from 'node:path';
import { formatTimeNs, type AwEvent, type FileIntent } from '../../schema/index.js';
import { persistenceClass, sensitiveClass } from './classify.js';
import { ipString, parseClientHello, parseConnectLine, parseDnsQuery } from './netparse.js';
import { F, SYS, T, cwdOf, splitNul, type RawRecord } from './records.js';

const AT_FDCWD = -100;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0x40;
const O_TRUNC = 0x200;
const O_APPEND = 0x400;

const ERRNO: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 13: 'EACCES', 17: 'EEXIST', 20: 'ENOTDIR', 21: 'EISDIR', 22: 'EINVAL', 24: 'EMFILE', 36: 'ENAMETOOLONG', 39: 'ENOTEMPTY', 40: 'ELOOP', 111: 'ECONNREFUSED', 113: 'EHOSTUNREACH', 115: 'EINPROGRESS', 101: 'ENETUNREACH', 110: 'ETIMEDOUT', 99: 'EADDRNOTAVAIL', 97: 'EAFNOSUPPORT' };

export interface NormalizeOptions {
  /** Keeps an environment variable as a marker (names only from the agent catalog). */
  isMarker: (name: string) => boolean;
  /** Host fields for every event. */
  host?: AwEvent['host'];
  sourceName?: string;
  /** Collapse repeated read-only opens of the same path by one process (default true). */
  collapseReads?: boolean;
}

export interface NormalizeCounters {
  collapsed_reads: number;
  failed_reads_dropped: number;
  exec_incomplete: number;
  decode_errors: number;
}

interface ProcState {
  cwd?: string;
  reads: Set<string>;
}

interface PendingExec {
  argv: Buffer[];
  env: Buffer[];
}

/** An exec seen system-wide for a process outside any tracked tree (daemon agent detection). */
export interface UntrackedExec {
  pid: number;
  ppid: number;
  uid: number;
  exe: string;
  argv: string[];
  comm: string;
  timeNs: bigint;
}

export class KernelNormalizer {
  readonly counters: NormalizeCounters = { collapsed_reads: 0, failed_reads_dropped: 0, exec_incomplete: 0, decode_errors: 0 };
  private procs = new Map<number, ProcState>();
  private pendingExec = new Map<number, PendingExec>();
  private clockOffset: bigint | undefined;
  private seq = 0;

  constructor(private readonly opts: NormalizeOptions) {}

  /** Monotonic ns -> wall-clock ns (from the loader's hello record; else this process's clocks). */
  wallNs(mono: bigint): bigint {
    if (this.clockOffset === undefined) this.clockOffset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
    return mono + this.clockOffset;
  }

  setClock(realtimeNs: bigint, monotonicNs: bigint): void {
    this.clockOffset = realtimeNs - monotonicNs;
  }

  private state(pid: number): ProcState {
    let s = this.procs.get(pid);
    if (!s) {
      s = { reads: new Set() };
      this.procs.set(pid, s);
    }
    return s;
  }

  /** Seeds a process cwd (processes adopted from /proc). */
  seedCwd(pid: number, cwd: string): void {
    this.state(pid).cwd = cwd;
  }

  private base(r: RawRecord, kind: AwEvent['kind']): AwEvent {
    return {
      time: formatTimeNs(this.wallNs(r.ts)),
      kind,
      host: this.opts.host,
      source: { type: 'linux-ebpf', name: this.opts.sourceName, ref: `rb:${++this.seq}` },
      process: { pid: r.tgid, ppid: r.ppid || undefined, tid: r.tid !== r.tgid ? r.tid : undefined, uid: r.uid, gid: r.gid },
    };
  }

  private resolve(pid: number, dfd: number, p: string): { path: string; relative?: boolean } {
    if (!p) return { path: p };
    if (p.startsWith('/')) return { path: posix.normalize(p) };
    if (dfd === AT_FDCWD) {
      const cwd = this.procs.get(pid)?.cwd;
      if (cwd) return { path: posix.join(cwd, p) };
    }
    return { path: p, relative: true };
  }

  /**
   * Handles one record; returns the events it completes (zero or more), or an untracked
   * exec for agent detection.
   */
  handle(r: RawRecord, out: (e: AwEvent) => void, onUntrackedExec?: (x: UntrackedExec) => void): void {
    switch (r.type) {
      case T.HELLO:
        this.setClock(r.realtimeNs, r.monotonicNs);
        return;
      case T.ARGV_CHUNK:
      case T.ENV_CHUNK: {
        let p = this.pendingExec.get(r.tgid);
        if (!p) {
          p = { argv: [], env: [] };
          this.pendingExec.set(r.tgid, p);
        }
        (r.type === T.ARGV_CHUNK ? p.argv : p.env).push(Buffer.from(r.data));
        return;
      }
      case T.EXEC: {
        const p = this.pendingExec.get(r.tgid) ?? { argv: [], env: [] };
        this.pendingExec.delete(r.tgid);
        const argvBuf = Buffer.concat(p.argv);
        const argv = splitNul(argvBuf, 0, argvBuf.length);
        if (!(r.flags & F.TRACKED)) {
          onUntrackedExec?.({ pid: r.tgid, ppid: r.ppid, uid: r.uid, exe: r.exe, argv, comm: r.comm, timeNs: this.wallNs(r.ts) });
          return;
        }
        const flags: string[] = [];
        if (r.flags & F.ARGV_TRUNC || argvBuf.length < r.argvLen) flags.push('argv_truncated');
        if (r.flags & F.ENV_TRUNC) flags.push('env_truncated');
        if (r.flags & F.CWD_TRUNC) flags.push('cwd_truncated');
        if (r.flags & F.PROBE_ERR) flags.push('probe_error');
        if (argvBuf.length < r.argvLen && !(r.flags & F.ARGV_TRUNC)) this.counters.exec_incomplete++;
        const envBuf = Buffer.concat(p.env);
        const markers: Record<string, string> = {};
        let nm = 0;
        for (const kv of splitNul(envBuf, 0, envBuf.length)) {
          const eq = kv.indexOf('=');
          if (eq <= 0) continue;
          const name = kv.slice(0, eq);
          if (this.opts.isMarker(name)) {
            markers[name] = kv.slice(eq + 1, eq + 1 + 512);
            nm++;
          }
        }
        const cwd = cwdOf(r.cwdParts);
        const st = this.state(r.tgid);
        st.cwd = cwd;
        st.reads.clear();
        const e = this.base(r, 'process.exec');
        const exe = this.resolve(r.tgid, AT_FDCWD, r.exe).path;
        Object.assign(e.process!, { exe, argv, cwd, ...(nm ? { env_markers: markers } : {}), ...(flags.length ? { flags } : {}) });
        if (r.euid !== r.uid) e.attributes = { euid: r.euid };
        out(e);
        return;
      }
      case T.FORK: {
        const parent = this.procs.get(r.tgid);
        const child = this.state(r.child);
        child.cwd = parent?.cwd;
        child.reads.clear();
        const e = this.base(r, 'process.fork');
        e.process = { pid: r.child, ppid: r.tgid, uid: r.uid, gid: r.gid };
        if (r.flags & F.ADOPTED) e.process.flags = ['adopted'];
        out(e);
        return;
      }
      case T.EXIT: {
        const e = this.base(r, 'process.exit');
        e.process!.exit_code = r.sig ? 128 + r.sig : r.code;
        if (r.sig) e.attributes = { signal: r.sig };
        out(e);
        this.procs.delete(r.tgid);
        this.pendingExec.delete(r.tgid);
        return;
      }
      case T.SYS:
        this.sys(r, out);
        return;
      case T.CONNECT:
        this.connect(r, out);
        return;
      case T.PAYLOAD:
        this.payload(r, out);
        return;
      default:
        return;
    }
  }

  private sys(r: Extract<RawRecord, { type: 4 }>, out: (e: AwEvent) => void): void {
    const failed = r.ret < 0 && r.ret > -4096;
    const err = failed ? (ERRNO[-r.ret] ?? `E${-r.ret}`) : undefined;
    const p1 = r.walk ? { path: r.path1 } : this.resolve(r.tgid, r.dfd, r.path1);
    const attrs: Record<string, unknown> = {};
    if (err) attrs.error = err;
    if (p1.relative) attrs.path_relative_to_fd = r.dfd;
    if (r.flags & F.PATH_TRUNC) attrs.path_truncated = true;
    const st = this.state(r.tgid);
    let e: AwEvent;
    switch (r.nr) {
      case SYS.OPEN: {
        const acc = r.a1 & 3;
        const intent: FileIntent[] = [];
        if (acc === 0 || acc === O_RDWR) intent.push('read');
        if (acc === O_WRONLY || acc === O_RDWR) intent.push('write');
        if (r.a1 & O_CREAT) intent.push('create');
        if (r.a1 & O_TRUNC) intent.push('truncate');
        if (r.a1 & O_APPEND) intent.push('append');
        const readOnly = intent.length === 1 && intent[0] === 'read';
        const sensitive = sensitiveClass(p1.path);
        if (readOnly && failed && !sensitive) {
          this.counters.failed_reads_dropped++;
          return;
        }
        if (readOnly && !failed && this.opts.collapseReads !== false) {
          if (st.reads.has(p1.path)) {
            this.counters.collapsed_reads++;
            return;
          }
          if (st.reads.size < 8192) st.reads.add(p1.path);
        }
        e = this.base(r, 'file.open');
        e.file = { path: p1.path, intent, flags: r.a1 };
        if (r.a1 & O_CREAT) e.file.mode = r.a2 & 0o7777;
        if (sensitive) attrs.sensitive = sensitive;
        if (!readOnly) {
          const pc = persistenceClass(p1.path);
          if (pc) e.file.persistence = pc;
        }
        if (!failed) attrs.fd = r.ret;
        break;
      }
      case SYS.UNLINK:
      case SYS.RMDIR:
        e = this.base(r, 'file.delete');
        e.file = { path: p1.path, intent: ['delete'] };
        if (r.nr === SYS.RMDIR) attrs.directory = true;
        break;
      case SYS.RENAME: {
        const p2 = this.resolve(r.tgid, r.dfd2, r.path2 ?? '');
        e = this.base(r, 'file.rename');
        e.file = { path: p1.path, target_path: p2.path, intent: ['rename'] };
        const pc = persistenceClass(p2.path);
        if (pc) e.file.persistence = pc;
        if (r.a2) attrs.rename_flags = r.a2;
        break;
      }
      case SYS.CHMOD:
      case SYS.FCHMOD: {
        e = this.base(r, 'file.chmod');
        e.file = { path: p1.path, intent: ['chmod'], mode: r.a1 & 0o7777 };
        const pc = persistenceClass(p1.path);
        if (pc) e.file.persistence = pc;
        break;
      }
      case SYS.CHOWN:
      case SYS.FCHOWN:
        e = this.base(r, 'file.chown');
        e.file = { path: p1.path, intent: ['chown'], owner_uid: r.a1 | 0, owner_gid: r.a2 | 0 };
        break;
      case SYS.TRUNCATE:
      case SYS.FTRUNCATE:
        e = this.base(r, 'file.truncate');
        e.file = { path: p1.path, intent: ['truncate'], size: r.a1 };
        break;
      case SYS.MKDIR:
        e = this.base(r, 'file.create');
        e.file = { path: p1.path, intent: ['create'], mode: r.a1 & 0o7777 };
        attrs.directory = true;
        break;
      case SYS.CHDIR:
      case SYS.FCHDIR:
        if (!failed) st.cwd = p1.path;
        return;
      case SYS.MMAP_EXEC:
        e = this.base(r, 'library.load');
        e.library = { path: p1.path };
        break;
      default:
        this.counters.decode_errors++;
        return;
    }
    if (e.file && !e.file.persistence) delete e.file.persistence;
    if (Object.keys(attrs).length) e.attributes = attrs;
    out(e);
  }

  private connect(r: Extract<RawRecord, { type: 5 }>, out: (e: AwEvent) => void): void {
    const e = this.base(r, 'network.connect');
    const transport = r.proto === 6 ? 'tcp' : r.proto === 17 ? 'udp' : r.sockType === 1 ? 'stream' : r.sockType === 2 ? 'dgram' : undefined;
    const attrs: Record<string, unknown> = {};
    const failed = r.ret < 0 && r.ret !== -115;
    if (failed) attrs.error = ERRNO[-r.ret] ?? `E${-r.ret}`;
    if (r.family === 2) {
      e.network = { transport, family: 'ipv4', direction: 'outbound', dst_ip: ipString(r.addr.subarray(4, 8), 2), dst_port: r.addr.readUInt16BE(2) };
      if (r.lport) Object.assign(e.network, { src_ip: ipString(r.laddr.subarray(0, 4), 2), src_port: r.lport });
    } else if (r.family === 10) {
      e.network = { transport, family: 'ipv6', direction: 'outbound', dst_ip: ipString(r.addr.subarray(8, 24), 10), dst_port: r.addr.readUInt16BE(2) };
      if (r.lport) Object.assign(e.network, { src_ip: ipString(r.laddr, 10), src_port: r.lport });
    } else if (r.family === 1) {
      const raw = r.addr.subarray(2, Math.min(r.addr.length, Math.max(2, r.addrlen)));
      const abstract = raw[0] === 0;
      const z = abstract ? raw.length : raw.indexOf(0);
      const path = (abstract ? '@' : '') + raw.toString('utf8', abstract ? 1 : 0, z < 0 ? raw.length : z);
      e.network = { transport: r.sockType === 2 ? 'dgram' : 'unix', family: 'unix', direction: 'outbound', dst_host: path };
    } else {
      return; // AF_UNSPEC (disconnect) and other families
    }
    if (!e.network.transport) delete e.network.transport;
    if (Object.keys(attrs).length) e.attributes = attrs;
    out(e);
  }

  private payload(r: Extract<RawRecord, { type: 6 }>, out: (e: AwEvent) => void): void {
    const dst = r.family === 2 ? ipString(r.daddr.subarray(0, 4), 2) : ipString(r.daddr, 10);
    const network = { transport: r.proto === 6 ? 'tcp' : 'udp', family: r.family === 2 ? ('ipv4' as const) : ('ipv6' as const), direction: 'outbound' as const, dst_ip: dst, dst_port: r.dport };
    if (r.kind === 1) {
      const q = parseDnsQuery(r.data);
      if (!q) {
        this.counters.decode_errors++;
        return;
      }
      const e = this.base(r, 'network.dns');
      e.dns = { query: q.query, qtype: q.qtype, server: dst };
      e.network = { ...network, dst_host: q.query };
      out(e);
    } else if (r.kind === 2) {
      const h = parseClientHello(r.data);
      if (!h) {
        this.counters.decode_errors++;
        return;
      }
      const e = this.base(r, 'network.tls');
      e.tls = {};
      if (h.sni) e.tls.sni = h.sni;
      if (h.alpn) e.tls.alpn = h.alpn;
      if (h.version) e.tls.version = h.version;
      e.network = { ...network, ...(h.sni ? { dst_host: h.sni } : {}) };
      if (h.partial) e.attributes = { client_hello_partial: true, client_hello_bytes: r.len };
      out(e);
    } else if (r.kind === 3) {
      const c = parseConnectLine(r.data);
      if (!c) return;
      const e = this.base(r, 'network.connect');
      e.network = { ...network, dst_host: c.host };
      e.attributes = { via: 'http_connect', proxy_target_port: c.port };
      out(e);
    }
  }
}
