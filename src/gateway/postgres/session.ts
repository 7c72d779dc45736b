// One agent connection through the gateway: TLS, token identity, upstream login with the
// gateway's own credentials, then a message loop that decides every statement (simple and
// extended protocol, pipelining, function calls, COPY), masks results and records them.
//
// Blocking keeps both state machines in step: a refused message is replaced upstream by a
// "poison" message of the same protocol shape that fails to parse (`AGENTWARDEN_BLOCKED_<id>`),
// so the server aborts the transaction / skips to Sync exactly as it would for a real error,
// and the server's syntax error is swapped for our policy error on the way back.
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import { AwError } from '../../core/errors.js';
import { nowTime, type AwEvent, type EventGateway } from '../../schema/index.js';
import type { Identity } from '../identity/identity.js';
import type { Analysis, StatementInfo, SessionSqlState } from '../policy/analyze.js';
import type { Decision } from '../policy/policy.js';
import { connectUpstream, type UpstreamConnection } from './upstream.js';
import {
  parseDataRow,
  BodyReader, CANCEL_REQUEST, FrameReader, GSSENC_REQUEST, SSL_REQUEST, errorResponse, int32, msg, parseErrorFields, parseRowDescription,
  parseStartup, readyForQuery, type ErrorFields, type FieldDesc, type Frame,
} from './wire.js';
import type { GatewayRuntime, Result } from './runtime.js';

interface StmtCtx {
  analysis: Analysis;
  stmt?: StatementInfo;
  fields?: FieldDesc[];
  blocked?: boolean;
}
interface PortalCtx {
  stmt?: StmtCtx;
  resultFormats: number[];
  fields?: FieldDesc[];
}
interface Substitute {
  marker: string;
  error: ErrorFields;
}
type Expect =
  | { kind: 'query'; analysis?: Analysis; sql: string; index: number; result?: Result; sub?: Substitute; started: bigint }
  | { kind: 'parse'; sub?: Substitute }
  | { kind: 'describeInjected'; stmt: StmtCtx }
  | { kind: 'describe'; target: 'S' | 'P'; name: string }
  | { kind: 'bind' }
  | { kind: 'execute'; portal?: PortalCtx; result?: Result }
  | { kind: 'close' }
  | { kind: 'sync' }
  | { kind: 'fcall'; sub?: Substitute }
  | { kind: 'internal'; rows: string[][]; error?: string; done: (r: { rows: string[][]; error?: string }) => void };

const FORWARDED_STARTUP = new Set(['application_name', 'client_encoding', 'datestyle', 'timezone', 'extra_float_digits', 'intervalstyle']);
const hr = () => process.hrtime.bigint();

export class PgSession {
  readonly id: string;
  private client: net.Socket;
  private upstream?: UpstreamConnection;
  private identity?: Identity;
  private database = '';
  private readonly cReader = new FrameReader();
  private readonly uReader = new FrameReader();
  private readonly expect: Expect[] = [];
  private readonly prepared = new Map<string, StmtCtx>();
  private readonly portals = new Map<string, PortalCtx>();
  private readonly sqlState: SessionSqlState = { prepared: new Map() };
  private readonly pendingFrames: Frame[] = [];
  private pumping = false;
  private closed = false;
  private expiryTimer?: NodeJS.Timeout;
  private txStatus = 0x49; // 'I'
  private copyResult?: Result;
  private outBuf: Buffer[] = [];
  private upBuf: Buffer[] = [];
  readonly startedAt = Date.now();
  statements = 0;
  blocked = 0;
  /** DDL went through since the masking catalog was loaded. */
  catalogDirty = false;

  constructor(private readonly rt: GatewayRuntime, socket: net.Socket) {
    this.id = `pg-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    this.client = socket;
    socket.setNoDelay(true);
    this.startup().catch((err) => this.fail(err));
  }

  // ---------- startup ----------

  /** The next untyped startup packet, or the bytes of a TLS ClientHello (direct TLS, PG17 `sslnegotiation=direct`). */
  private readStartupPacket(sock: net.Socket, reader: FrameReader, allowDirectTls: boolean): Promise<Buffer | { direct: Buffer }> {
    return new Promise((resolve, reject) => {
      const done = () => {
        sock.off('data', onData);
        sock.off('close', onClose);
      };
      const tryRead = () => {
        try {
          if (allowDirectTls && reader.firstByte() === 0x16) {
            done();
            resolve({ direct: reader.rest() });
            return;
          }
          const p = reader.nextStartup();
          if (p) {
            done();
            resolve(p);
          }
        } catch (e) {
          reject(e);
        }
      };
      const onData = (c: Buffer) => {
        reader.push(c);
        tryRead();
      };
      const onClose = () => reject(new AwError('CLIENT_CLOSED', 'client closed during startup'));
      sock.on('data', onData);
      sock.once('close', onClose);
      tryRead();
    });
  }

  private async upgradeTls(sock: net.Socket, buffered?: Buffer): Promise<tls.TLSSocket> {
    if (buffered?.length) {
      // Node's TLSSocket feeds data already buffered on the socket to the TLS engine.
      sock.pause();
      sock.unshift(buffered);
    }
    const t = new tls.TLSSocket(sock, { isServer: true, secureContext: this.rt.tls.context, ALPNProtocols: ['postgresql'] });
    await new Promise<void>((resolve, reject) => {
      t.once('secure', resolve);
      t.once('error', reject);
    });
    t.on('error', () => this.close('tls error'));
    return t;
  }

  private async startup(): Promise<void> {
    const startTimer = setTimeout(() => this.close('startup timeout'), 30_000);
    this.client.on('error', () => this.close('client socket error'));
    let sock: net.Socket = this.client;
    let reader = new FrameReader();
    let encrypted = false;
    let pkt: Buffer;
    for (;;) {
      const got = await this.readStartupPacket(sock, reader, !encrypted);
      if (!Buffer.isBuffer(got)) {
        // Direct TLS: the ALPN protocol must be `postgresql` (as PostgreSQL 17 requires).
        const t = await this.upgradeTls(sock, got.direct);
        if (t.alpnProtocol !== 'postgresql') {
          t.destroy();
          this.closed = true;
          return;
        }
        sock = t;
        this.client = t;
        reader = new FrameReader();
        encrypted = true;
        continue;
      }
      pkt = got;
      const code = pkt.readInt32BE(4);
      if (code === SSL_REQUEST && !encrypted) {
        sock.write('S');
        const t = await this.upgradeTls(sock);
        sock = t;
        this.client = t;
        reader = new FrameReader();
        encrypted = true;
        continue;
      }
      if (code === GSSENC_REQUEST) {
        sock.write('N');
        continue;
      }
      if (code === CANCEL_REQUEST) {
        clearTimeout(startTimer);
        await this.rt.cancel(pkt.readInt32BE(8), pkt.readInt32BE(12));
        sock.destroy();
        this.closed = true;
        return;
      }
      break;
    }
    const { code, params } = parseStartup(pkt);
    if (code >> 16 !== 3) return this.fatal({ code: '0A000', message: `unsupported frontend protocol ${code >> 16}.${code & 0xffff}` });
    if (!encrypted) return this.fatal({ code: '28000', message: 'AgentWarden gateway requires TLS (use sslmode=require)' });
    if (params.replication) return this.fatal({ code: '28000', message: 'replication connections are not allowed through the gateway' });
    if (params.options) return this.fatal({ code: '28000', message: "startup 'options' are not allowed through the gateway" });
    this.cReader.push(reader.rest());
    // Token as password, cleartext inside TLS (SCRAM needs the password's verifier in advance,
    // which a fresh JWT cannot have: the AWS RDS IAM trade).
    sock.write(msg('R', int32(3)));
    const pw = await this.readPassword(sock);
    let identity: Identity;
    try {
      identity = await this.rt.verifier.verify(pw);
    } catch (err) {
      const e = err as AwError;
      this.emit('gateway.connection', { decision: 'denied', reason: e.message, identity: params.user ? { subject: `unverified:${params.user}` } : undefined });
      return this.fatal({ code: '28P01', message: `AgentWarden: ${e.message}`, detail: `code ${e.code ?? 'TOKEN_INVALID'}` });
    }
    this.identity = identity;
    const up = this.rt.config.upstream;
    this.database = up.pin_database ? up.database ?? 'postgres' : params.database || up.database || 'postgres';
    const extra: Record<string, string> = { application_name: `agentwarden:${identity.subject}`.slice(0, 63) };
    for (const [k, v] of Object.entries(params)) if (FORWARDED_STARTUP.has(k.toLowerCase()) && k !== 'application_name') extra[k] = v;
    try {
      this.upstream = await connectUpstream({ ...this.rt.upstreamTarget, database: this.database }, extra);
    } catch (err) {
      this.emit('gateway.connection', { decision: 'block', reason: (err as Error).message });
      return this.fatal({ code: '08006', message: 'AgentWarden: the gateway cannot reach the database', detail: (err as Error).message });
    }
    clearTimeout(startTimer);
    const ttl = identity.expiresAt - Date.now();
    if (ttl <= 0) return this.fatal({ code: '28P01', message: 'AgentWarden: token expired' });
    this.expiryTimer = setTimeout(() => this.expire(), Math.min(ttl, 2 ** 31 - 1));
    const usock = this.upstream.socket;
    usock.on('data', (c: Buffer) => this.onUpstreamData(c));
    usock.on('close', () => this.close('upstream closed'));
    usock.on('error', () => this.close('upstream error'));
    if (this.upstream.leftover.length) this.onUpstreamData(this.upstream.leftover);
    sock.on('close', () => this.close('client closed'));
    await this.rt.onSessionReady(this, this.upstream, this.database);
    if (this.closed) return;
    const key = this.rt.registerCancel(this.upstream.pid, this.upstream.secret);
    this.cancelKey = key;
    this.emit('gateway.connection', { decision: 'allow', reason: `connected as ${identity.subject} (${identity.groups.join(',') || 'no groups'})` });
    const hello: Buffer[] = [msg('R', int32(0)), ...this.upstream.parameterStatus, msg('K', int32(key.pid), int32(key.secret)), readyForQuery(0x49)];
    sock.write(Buffer.concat(hello));
    sock.on('data', (c: Buffer) => this.onClientData(c));
    if (this.cReader.pending) this.onClientData(Buffer.alloc(0));
  }

  /** Runs a query of the gateway's own on the upstream (between client statements) and collects text rows. */
  internalQuery(sql: string): Promise<{ rows: string[][]; error?: string }> {
    return new Promise((done) => {
      this.expect.push({ kind: 'internal', rows: [], done });
      this.flushUp();
      this.upstream!.socket.write(msg('Q', sql));
    });
  }

  /** Resolves when every forwarded message has been answered (upstream idle). */
  private idle(): Promise<void> {
    if (!this.expect.length) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
    });
  }

  private idleWaiters: Array<() => void> = [];

  /** Lets the runtime run an internal query once the upstream is idle. */
  async whenIdle<T>(fn: () => Promise<T>): Promise<T> {
    this.flushUp();
    await this.idle();
    return fn();
  }

  private cancelKey?: { pid: number; secret: number };

  private readPassword(sock: net.Socket): Promise<string> {
    return new Promise((resolve, reject) => {
      const tryRead = () => {
        let f: Frame | undefined;
        try {
          f = this.cReader.next();
        } catch (e) {
          return reject(e);
        }
        if (!f) return;
        sock.off('data', onData);
        if (f.type !== 0x70) return reject(new AwError('PROTOCOL', 'expected a password message'));
        resolve(new BodyReader(f.body).cstr());
      };
      const onData = (c: Buffer) => {
        this.cReader.push(c);
        tryRead();
      };
      sock.on('data', onData);
      tryRead();
    });
  }

  // ---------- client -> upstream ----------

  private onClientData(chunk: Buffer): void {
    if (chunk.length) this.cReader.push(chunk);
    try {
      for (let f = this.cReader.next(); f; f = this.cReader.next()) this.pendingFrames.push(f);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!this.pumping) void this.pump();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.pendingFrames.length && !this.closed) {
        const f = this.pendingFrames.shift()!;
        const r = this.handleClient(f);
        if (r) {
          this.flushUp();
          await r;
        }
      }
      this.flushUp();
    } catch (err) {
      this.fail(err);
    } finally {
      this.pumping = false;
    }
  }

  private toUp(b: Buffer): void {
    this.upBuf.push(b);
  }

  private flushUp(): void {
    if (!this.upBuf.length || !this.upstream) return;
    const b = joinOut(this.upBuf);
    this.upBuf = [];
    this.upstream.socket.write(b);
  }

  private poison(): { marker: string } {
    return { marker: `AGENTWARDEN_BLOCKED_${randomBytes(6).toString('hex')}` };
  }

  private decisionError(d: Decision, pendingId?: string): ErrorFields {
    if (d.action === 'require_approval') {
      return {
        code: '42501',
        message: `AgentWarden: pending approval, retry (request ${pendingId ?? '?'})`,
        detail: `${d.reason}; an approver must run: agentwarden approvals approve ${pendingId ?? ''}`.trim(),
        hint: 'Re-run the same statement after it is approved.',
      };
    }
    return { code: '42501', message: `AgentWarden: blocked by policy: ${d.reason}`, detail: `rule ${d.rule}` };
  }

  /** Decides a statement; resolves approvals (may wait). Returns the error to send, if refused. */
  private decide(a: Analysis, sql: string, proto: 'simple' | 'extended' | 'function_call'): { error?: ErrorFields } | Promise<{ error?: ErrorFields }> {
    const d = this.rt.policyFor(this.identity!).decide(a);
    this.statements++;
    if (d.action === 'allow') {
      this.emit('gateway.statement', { statement: { text: sql, protocol: proto, fingerprint: a.exact }, decision: 'allow', reason: d.reason });
      this.rt.record(this, { type: 'statement', sql, decision: 'allow', protocol: proto });
      return {};
    }
    if (d.action === 'block') return this.refuse(d, sql, proto, a);
    return this.rt.approvals.request({ session: this, identity: this.identity!, sql, analysis: a, decision: d }).then((r) => {
      if (r.approved) {
        this.emit('gateway.approval', { statement: { text: sql, protocol: proto, fingerprint: a.exact }, decision: 'approved', reason: `approval ${r.id} by ${r.approver ?? '?'}` });
        this.rt.record(this, { type: 'statement', sql, decision: 'approved', approval: r.id, approver: r.approver, protocol: proto });
        return {};
      }
      this.blocked++;
      const denied = r.status === 'denied';
      this.emit(denied ? 'gateway.block' : 'gateway.approval', { statement: { text: sql, protocol: proto, fingerprint: a.exact }, decision: denied ? 'denied' : 'approval_required', reason: `${d.reason}; request ${r.id}` });
      this.rt.record(this, { type: 'statement', sql, decision: denied ? 'denied' : 'approval_required', approval: r.id, protocol: proto });
      if (denied) return { error: { code: '42501', message: `AgentWarden: approval request ${r.id} was denied`, detail: d.reason } };
      return { error: this.decisionError(d, r.id) };
    });
  }

  private refuse(d: Decision, sql: string, proto: 'simple' | 'extended' | 'function_call', a?: Analysis): { error: ErrorFields } {
    this.blocked++;
    this.emit('gateway.block', { statement: { text: sql, protocol: proto, fingerprint: a?.exact }, decision: 'block', reason: d.reason });
    this.rt.record(this, { type: 'statement', sql, decision: 'block', reason: d.reason, protocol: proto });
    return { error: this.decisionError(d) };
  }

  private handleQuery(f: Frame, sql: string, a: Analysis, started: bigint): Promise<void> | void {
    const go = (res: { error?: ErrorFields }) => {
      if (res.error) {
        const p = this.poison();
        this.expect.push({ kind: 'query', sql, index: 0, sub: { marker: p.marker, error: res.error }, started });
        this.toUp(msg('Q', p.marker));
      } else {
        this.expect.push({ kind: 'query', analysis: a, sql, index: 0, started });
        this.toUp(f.raw);
      }
    };
    const r = this.decide(a, sql, 'simple');
    if (r instanceof Promise) return r.then(go);
    go(r);
  }

  private handleParse(f: Frame, name: string, sql: string, a: Analysis): Promise<void> | void {
    const go = (res: { error?: ErrorFields }) => {
      if (res.error) {
        const p = this.poison();
        this.prepared.set(name, { analysis: a, blocked: true });
        this.expect.push({ kind: 'parse', sub: { marker: p.marker, error: res.error } });
        this.toUp(msg('P', name, p.marker, Buffer.from([0, 0])));
        return;
      }
      const ctx: StmtCtx = { analysis: a, stmt: a.statements[0] };
      this.prepared.set(name, ctx);
      this.expect.push({ kind: 'parse' }, { kind: 'describeInjected', stmt: ctx });
      // Describe the statement ourselves (pipelined, answer swallowed) so masking knows
      // the column types and origins even when the client never asks.
      this.toUp(f.raw);
      this.toUp(msg('D', Buffer.from('S'), name));
    };
    const r = this.decide(a, sql, 'extended');
    if (r instanceof Promise) return r.then(go);
    go(r);
  }

  private handleClient(f: Frame): Promise<void> | void {
    switch (f.type) {
      case 0x51: { // 'Q'
        const sql = new BodyReader(f.body).cstr();
        const a = this.rt.analyze(sql, this.sqlState);
        const started = hr();
        const prep = this.rt.prepareMasking(this, a);
        if (prep) return prep.then(() => this.handleQuery(f, sql, a, started));
        return this.handleQuery(f, sql, a, started);
      }
      case 0x50: { // 'P' Parse
        const br = new BodyReader(f.body);
        const name = br.cstr();
        const sql = br.cstr();
        const a = this.rt.analyze(sql, this.sqlState);
        const prep = this.rt.prepareMasking(this, a);
        if (prep) return prep.then(() => this.handleParse(f, name, sql, a));
        return this.handleParse(f, name, sql, a);
      }
      case 0x42: { // 'B' Bind
        const br = new BodyReader(f.body);
        const portal = br.cstr();
        const stmt = br.cstr();
        const nf = br.int16();
        br.bytes(nf * 2);
        const np = br.int16();
        for (let i = 0; i < np; i++) {
          const len = br.int32();
          if (len > 0) br.bytes(len);
        }
        const nr = br.int16();
        const resultFormats: number[] = [];
        for (let i = 0; i < nr; i++) resultFormats.push(br.int16());
        const sctx = this.prepared.get(stmt);
        this.portals.set(portal, { stmt: sctx, resultFormats });
        this.expect.push({ kind: 'bind' });
        this.toUp(f.raw);
        return;
      }
      case 0x44: { // 'D' Describe
        const target = String.fromCharCode(f.body[0]) as 'S' | 'P';
        const name = new BodyReader(f.body.subarray(1)).cstr();
        this.expect.push({ kind: 'describe', target, name });
        this.toUp(f.raw);
        return;
      }
      case 0x45: { // 'E' Execute
        const name = new BodyReader(f.body).cstr();
        this.expect.push({ kind: 'execute', portal: this.portals.get(name) });
        this.toUp(f.raw);
        return;
      }
      case 0x43: { // 'C' Close
        const target = String.fromCharCode(f.body[0]);
        const name = new BodyReader(f.body.subarray(1)).cstr();
        if (target === 'S') this.prepared.delete(name);
        else this.portals.delete(name);
        this.expect.push({ kind: 'close' });
        this.toUp(f.raw);
        return;
      }
      case 0x53: // 'S' Sync
        this.expect.push({ kind: 'sync' });
        this.toUp(f.raw);
        return;
      case 0x48: // 'H' Flush
        this.toUp(f.raw);
        return;
      case 0x46: { // 'F' FunctionCall: no SQL text to decide on
        const oid = f.body.readInt32BE(0);
        const sql = `<FunctionCall oid=${oid}>`;
        if (this.rt.config.function_call === 'allow') {
          this.emit('gateway.statement', { statement: { text: sql, protocol: 'function_call' }, decision: 'allow', reason: 'function_call: allow' });
          this.expect.push({ kind: 'fcall' });
          this.toUp(f.raw);
          return;
        }
        const res = this.refuse({ action: 'block', reason: 'legacy FunctionCall message (no SQL to inspect)', rule: 'function_call' }, sql, 'function_call');
        const p = this.poison();
        this.expect.push({ kind: 'fcall', sub: { marker: p.marker, error: res.error } });
        this.toUp(msg('Q', p.marker));
        return;
      }
      case 0x64: // 'd' CopyData from client (COPY FROM STDIN: data, not SQL)
      case 0x63: // 'c' CopyDone
      case 0x66: // 'f' CopyFail
        this.toUp(f.raw);
        return;
      case 0x58: // 'X' Terminate
        this.toUp(f.raw);
        this.flushUp();
        this.close('client terminated');
        return;
      default:
        this.fail(new AwError('PROTOCOL', `unexpected client message '${String.fromCharCode(f.type)}'`));
    }
  }

  // ---------- upstream -> client ----------

  private toClient(b: Buffer): void {
    this.outBuf.push(b);
  }

  private flushClient(): void {
    if (!this.outBuf.length) return;
    const b = joinOut(this.outBuf);
    this.outBuf = [];
    this.client.write(b);
  }

  private head(): Expect | undefined {
    return this.expect[0];
  }

  private shiftKind(kind: Expect['kind']): Expect | undefined {
    // Entries before it whose answers were skipped (after an error) are dropped.
    while (this.expect.length) {
      const e = this.expect.shift()!;
      if (e.kind === kind) return e;
    }
    return undefined;
  }

  private newResult(statement: string, fields: FieldDesc[] | undefined, stmt: StatementInfo | undefined, formats?: number[]): Result {
    const eff = fields && formats ? fields.map((fd, i) => ({ ...fd, format: formats.length === 0 ? 0 : formats.length === 1 ? formats[0] : formats[i] ?? 0 })) : fields;
    return { statement, fields: eff, masker: eff ? this.rt.masker(this, stmt, eff) : null, rows: 0, recorded: [], recordedBytes: 0, maskedCounts: new Map(), started: hr() };
  }

  private finishResult(r: Result | undefined, tag: string): void {
    if (!r) return;
    const masked = [...r.maskedCounts].map(([k, count]) => (k.startsWith('detector:') ? { detector: k.slice(9), count } : { column: k, count }));
    const dur = Number((hr() - r.started) / 1000n);
    if (masked.length) this.emit('gateway.mask', { statement: { text: r.statement }, masked, rows: r.rows, duration_us: dur });
    this.rt.record(this, { type: 'result', sql: r.statement, tag, columns: r.fields?.map((f) => f.name), rows: r.rows, data: r.recorded, masked, duration_us: dur });
  }

  private maskRow(r: Result | undefined, raw: Buffer): Buffer {
    if (!r) return raw;
    r.rows++;
    if (!r.masker) {
      this.rt.recordRow(r, raw, false);
      return raw;
    }
    const out = r.masker.row(raw, r.maskedCounts);
    this.rt.recordRow(r, out, false);
    return out;
  }

  private onUpstreamData(chunk: Buffer): void {
    this.uReader.push(chunk);
    try {
      for (let f = this.uReader.next(); f; f = this.uReader.next()) this.onUpstream(f);
    } catch (err) {
      this.fail(err);
      return;
    }
    this.flushClient();
  }

  private onUpstream(f: Frame): void {
    const h = this.head();
    if (h?.kind === 'internal') {
      if (f.type === 0x44) h.rows.push(parseDataRowText(f.body));
      else if (f.type === 0x45) h.error = parseErrorFields(f.body).M ?? 'error';
      else if (f.type === 0x5a) {
        this.expect.shift();
        this.txStatus = f.body[0];
        h.done({ rows: h.rows, error: h.error });
      } else if (f.type === 0x53 || f.type === 0x41) this.toClient(f.raw);
      return;
    }
    this.onUpstreamFrame(f, h);
    if (!this.expect.length && this.idleWaiters.length) {
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const fn of w) fn();
    }
  }

  private onUpstreamFrame(f: Frame, h: Expect | undefined): void {
    switch (f.type) {
      case 0x44: { // 'D' DataRow
        const r = h?.kind === 'query' ? h.result : h?.kind === 'execute' ? this.execResult(h) : undefined;
        this.toClient(this.maskRow(r, f.raw));
        return;
      }
      case 0x31: // '1' ParseComplete
        this.shiftKind('parse');
        this.toClient(f.raw);
        return;
      case 0x32: // '2' BindComplete
        this.shiftKind('bind');
        this.toClient(f.raw);
        return;
      case 0x33: // '3' CloseComplete
        this.shiftKind('close');
        this.toClient(f.raw);
        return;
      case 0x74: // 't' ParameterDescription
        if (h?.kind !== 'describeInjected') this.toClient(f.raw);
        return;
      case 0x54: { // 'T' RowDescription
        const fields = rowDescription(f.body);
        if (h?.kind === 'describeInjected') {
          h.stmt.fields = fields;
          this.expect.shift();
          return;
        }
        if (h?.kind === 'describe') {
          this.expect.shift();
          if (h.target === 'S') {
            const s = this.prepared.get(h.name);
            if (s) s.fields = fields;
          } else {
            const p = this.portals.get(h.name);
            if (p) p.fields = fields;
          }
        } else if (h?.kind === 'query') {
          const st = h.analysis?.statements[h.index];
          h.result = this.newResult(st?.text ?? h.sql, fields, st);
        }
        this.toClient(f.raw);
        return;
      }
      case 0x6e: // 'n' NoData
        if (h?.kind === 'describeInjected') {
          this.expect.shift();
          return;
        }
        this.shiftKind('describe');
        this.toClient(f.raw);
        return;
      case 0x43: // 'C' CommandComplete
      case 0x49: // 'I' EmptyQueryResponse
      case 0x73: { // 's' PortalSuspended
        const tag = f.type === 0x43 ? new BodyReader(f.body).cstr() : f.type === 0x49 ? 'EMPTY' : 'SUSPENDED';
        if (h?.kind === 'query') {
          this.finishResult(h.result ?? this.copyResult, tag);
          this.copyResult = undefined;
          h.result = undefined;
          h.index++;
        } else if (h?.kind === 'execute') {
          this.finishResult(this.copyResult ?? (f.type === 0x43 ? this.execResult(h) : h.result), tag);
          this.copyResult = undefined;
          this.expect.shift();
        }
        this.toClient(f.raw);
        return;
      }
      case 0x45: { // 'E' ErrorResponse
        const fields = parseErrorFields(f.body);
        let out = f.raw;
        for (const e of this.expect) {
          const sub = (e as { sub?: Substitute }).sub;
          if (sub && (fields.M ?? '').includes(sub.marker)) {
            out = errorResponse(sub.error);
            break;
          }
        }
        if (h && h.kind !== 'query' && h.kind !== 'fcall') {
          // Extended protocol: the server skips to Sync; so do we.
          while (this.expect.length && this.expect[0].kind !== 'sync') this.expect.shift();
        }
        this.copyResult = undefined;
        this.toClient(out);
        return;
      }
      case 0x5a: { // 'Z' ReadyForQuery
        this.txStatus = f.body[0];
        while (this.expect.length) {
          const e = this.expect.shift()!;
          if (e.kind === 'sync' || e.kind === 'query' || e.kind === 'fcall') break;
        }
        this.toClient(f.raw);
        return;
      }
      case 0x48: { // 'H' CopyOutResponse
        const st = h?.kind === 'query' ? h.analysis?.statements[h.index] : h?.kind === 'execute' ? h.portal?.stmt?.stmt : undefined;
        this.copyResult = { statement: st?.text ?? '', rows: 0, recorded: [], recordedBytes: 0, maskedCounts: new Map(), started: hr(), masker: this.rt.copyMasker(this, st, f.body) };
        if (h?.kind === 'execute') h.result = undefined;
        this.toClient(f.raw);
        return;
      }
      case 0x64: { // 'd' CopyData (server -> client, COPY TO STDOUT)
        const r = this.copyResult;
        if (r?.masker) {
          r.rows++;
          const out = r.masker.copyData(f.body, r.maskedCounts);
          this.rt.recordRow(r, out, true);
          this.toClient(out === f.body ? f.raw : msg('d', out));
        } else if (r) {
          r.rows++;
          this.rt.recordRow(r, f.body, true);
          this.toClient(f.raw);
        } else {
          this.toClient(f.raw);
        }
        return;
      }
      case 0x57: // 'W' CopyBothResponse: replication, never through the gateway
        this.fail(new AwError('PROTOCOL', 'CopyBoth is not supported through the gateway'));
        return;
      default:
        // ParameterStatus, Notice, Notification, CopyInResponse, CopyDone, FunctionCallResponse...
        if (f.type === 0x4b) return; // BackendKeyData after startup: never leak upstream keys
        this.toClient(f.raw);
    }
  }

  /** An Execute's result set: fields from Describe(portal) or our injected Describe(statement). */
  private execResult(h: Extract<Expect, { kind: 'execute' }>): Result {
    if (!h.result) {
      const p = h.portal;
      h.result = this.newResult(p?.stmt?.stmt?.text ?? '', p?.fields ?? p?.stmt?.fields, p?.stmt?.stmt, p?.fields ? undefined : p?.resultFormats);
      if (!p?.fields && !p?.stmt?.fields && p?.stmt?.analysis) h.result.masker = this.rt.masker(this, p.stmt.stmt, undefined);
    }
    return h.result;
  }

  // ---------- lifecycle ----------

  get agent(): Identity | undefined {
    return this.identity;
  }

  get db(): string {
    return this.database;
  }

  get transactionStatus(): string {
    return String.fromCharCode(this.txStatus);
  }

  emit(kind: AwEvent['kind'], g: Partial<EventGateway>): void {
    // Fresh objects per event (pipeline transforms may annotate an event in place).
    const id = this.identity;
    const ev: AwEvent = {
      time: nowTime(),
      kind,
      source: { type: 'gateway', name: 'postgres' },
      gateway: {
        protocol: 'postgres',
        connection_id: this.id,
        identity: id ? { subject: id.subject, groups: id.groups, issuer: id.issuer } : g.identity,
        database: this.database || undefined,
        upstream: this.rt.upstreamLabel,
        ...g,
      },
    };
    if (id) ev.session = { id: id.sessionId ?? this.id, agent: { kind: 'unknown', name: id.subject }, attribution: 'identity' };
    this.rt.emit(ev);
  }

  private fatal(e: Omit<ErrorFields, 'severity'>): void {
    if (this.closed) return;
    this.client.write(errorResponse({ ...e, severity: 'FATAL' }));
    this.client.end();
    this.close(e.message, true);
  }

  private expire(): void {
    this.emit('gateway.connection', { decision: 'block', reason: 'token expired; connection closed' });
    this.flushClient();
    this.fatal({ code: '57P01', message: 'AgentWarden: token expired; connection closed', hint: 'Issue a fresh token and reconnect.' });
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    const m = err instanceof Error ? err.message : String(err);
    if (!this.client.destroyed && !(err instanceof AwError && err.code === 'CLIENT_CLOSED')) {
      try {
        this.client.write(errorResponse({ severity: 'FATAL', code: '08P01', message: `AgentWarden: ${m}` }));
      } catch {
        // socket already gone
      }
    }
    this.close(m);
  }

  close(reason: string, graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiryTimer);
    if (this.cancelKey) this.rt.unregisterCancel(this.cancelKey.pid, this.cancelKey.secret);
    if (graceful) setTimeout(() => this.client.destroy(), 100).unref();
    else this.client.destroy();
    this.upstream?.socket.destroy();
    if (this.identity) {
      this.emit('gateway.connection', { reason: `closed: ${reason}`, decision: undefined });
      this.rt.sessionClosed(this, reason);
    }
  }
}

/**
 * One buffer for one socket write. Messages forwarded unchanged are consecutive slices of
 * the chunk they arrived in (a whole result: RowDescription, DataRows, CommandComplete,
 * ReadyForQuery): then the original bytes are written as they came, without a copy (one
 * Buffer.concat per round trip less; too small to separate from noise on the shared VM).
 */
function joinOut(parts: Buffer[]): Buffer {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  let end = first.byteOffset + first.length;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.buffer !== first.buffer || p.byteOffset !== end) return Buffer.concat(parts);
    end += p.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

// Parsed RowDescriptions by their bytes. A result's masker is memoized per FieldDesc[]
// object (masking.ts), so identical descriptions must yield the same (never mutated) array;
// it also skips the parse for statements that repeat. Bounded: cleared when full.
const rowDescs = new Map<string, FieldDesc[]>();
function rowDescription(body: Buffer): FieldDesc[] {
  const key = body.toString('latin1');
  let fields = rowDescs.get(key);
  if (!fields) {
    fields = parseRowDescription(body);
    if (rowDescs.size >= 1024) rowDescs.clear();
    rowDescs.set(key, fields);
  }
  return fields;
}

function parseDataRowText(body: Buffer): string[] {
  return parseDataRow(body).map((c) => (c ? c.toString('utf8') : ''));
}
