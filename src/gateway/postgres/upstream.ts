// The gateway's own client connection to the real database. It holds the target
// credentials (the agent never sees them) and authenticates with SCRAM-SHA-256 (RFC 5802 /
// RFC 7677, as PostgreSQL implements it), MD5 or cleartext, whichever the server asks.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { AwError } from '../../core/errors.js';
import { CANCEL_REQUEST, FrameReader, SSL_REQUEST, cstr, int32, msg, parseErrorFields, startupMessage, type Frame } from './wire.js';

export interface UpstreamTarget {
  host: string;
  port: number;
  user: string;
  password?: string;
  database: string;
  ssl?: 'disable' | 'require';
}

export interface UpstreamConnection {
  socket: net.Socket;
  /** ParameterStatus messages (raw) to replay to the client. */
  parameterStatus: Buffer[];
  params: Record<string, string>;
  pid: number;
  secret: number;
  /** Bytes already read past ReadyForQuery (normally none). */
  leftover: Buffer;
}

const saltedCache = new Map<string, Buffer>();

function salted(password: string, salt: Buffer, iterations: number): Buffer {
  // PBKDF2 at 4096 rounds costs ~3 ms; the same (password, salt, rounds) recurs on every
  // connection to the same role, so cache it (key material stays in process memory only).
  const k = createHash('sha256').update(password).update(salt).update(String(iterations)).digest('hex');
  let v = saltedCache.get(k);
  if (!v) {
    v = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
    if (saltedCache.size > 64) saltedCache.clear();
    saltedCache.set(k, v);
  }
  return v;
}

const hmac = (key: Buffer, data: string | Buffer) => createHmac('sha256', key).update(data).digest();

function connectSocket(t: UpstreamTarget): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: t.host, port: t.port });
    s.setNoDelay(true);
    const onErr = (e: Error) => reject(new AwError('UPSTREAM_CONNECT', `cannot reach upstream ${t.host}:${t.port}: ${e.message}`, { cause: e }));
    s.once('error', onErr);
    s.once('connect', () => {
      s.off('error', onErr);
      resolve(s);
    });
  });
}

async function startTls(sock: net.Socket, host: string): Promise<net.Socket> {
  sock.write(Buffer.concat([int32(8), int32(SSL_REQUEST)]));
  const answer = await new Promise<Buffer>((resolve, reject) => {
    sock.once('data', resolve);
    sock.once('error', reject);
  });
  if (answer[0] !== 0x53) throw new AwError('UPSTREAM_TLS', 'upstream refused TLS');
  return new Promise((resolve, reject) => {
    // The upstream is named in the operator's config; verify against the system store when a
    // name is given, accept self-signed on loopback (local clusters).
    const loop = host === '127.0.0.1' || host === 'localhost' || host === '::1';
    const t = tls.connect({ socket: sock, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: !loop }, () => resolve(t));
    t.once('error', reject);
  });
}

/** Connects and authenticates; resolves at the first ReadyForQuery. */
export async function connectUpstream(t: UpstreamTarget, extraParams: Record<string, string> = {}): Promise<UpstreamConnection> {
  let socket = await connectSocket(t);
  if (t.ssl === 'require') socket = await startTls(socket, t.host);
  const reader = new FrameReader();
  const frames: Frame[] = [];
  let wake: (() => void) | undefined;
  let failed: Error | undefined;
  const onData = (c: Buffer) => {
    reader.push(c);
    for (let f = reader.next(); f; f = reader.next()) frames.push(f);
    wake?.();
  };
  const onEnd = (e?: Error) => {
    failed = e ?? new Error('upstream closed the connection during startup');
    wake?.();
  };
  socket.on('data', onData);
  socket.on('error', onEnd);
  socket.on('close', () => onEnd());
  const nextFrame = async (): Promise<Frame> => {
    for (;;) {
      const f = frames.shift();
      if (f) return f;
      if (failed) throw new AwError('UPSTREAM_AUTH', failed.message);
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  };
  socket.write(startupMessage({ user: t.user, database: t.database, ...extraParams }));
  const parameterStatus: Buffer[] = [];
  const params: Record<string, string> = {};
  let pid = 0;
  let secret = 0;
  let scram: { nonce: string; clientFirstBare: string; authMessage?: string; salted?: Buffer } | undefined;
  try {
    for (;;) {
      const f = await nextFrame();
      const type = String.fromCharCode(f.type);
      if (type === 'E') {
        const e = parseErrorFields(f.body);
        throw new AwError('UPSTREAM_AUTH', `upstream refused the gateway: ${e.M ?? 'error'} (${e.C ?? ''})`);
      }
      if (type === 'R') {
        const code = f.body.readInt32BE(0);
        if (code === 0) continue;
        if (code === 3 || code === 5) {
          if (t.password === undefined) throw new AwError('UPSTREAM_AUTH', 'upstream asks for a password and none is configured');
          let pw = t.password;
          if (code === 5) {
            const inner = createHash('md5').update(t.password + t.user).digest('hex');
            pw = 'md5' + createHash('md5').update(inner).update(f.body.subarray(4, 8)).digest('hex');
          }
          socket.write(msg('p', pw));
          continue;
        }
        if (code === 10) {
          const mechs = f.body.subarray(4).toString('utf8').split('\0').filter(Boolean);
          if (!mechs.includes('SCRAM-SHA-256')) throw new AwError('UPSTREAM_AUTH', `unsupported SASL mechanisms ${mechs.join(',')}`);
          if (t.password === undefined) throw new AwError('UPSTREAM_AUTH', 'upstream asks for SCRAM and no password is configured');
          const nonce = randomBytes(18).toString('base64');
          const clientFirstBare = `n=,r=${nonce}`;
          scram = { nonce, clientFirstBare };
          const data = Buffer.from(`n,,${clientFirstBare}`);
          socket.write(msg('p', cstr('SCRAM-SHA-256'), int32(data.length), data));
          continue;
        }
        if (code === 11 && scram) {
          const serverFirst = f.body.subarray(4).toString('utf8');
          const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
          if (!attrs.r?.startsWith(scram.nonce)) throw new AwError('UPSTREAM_AUTH', 'SCRAM: server nonce does not extend ours');
          const saltedPw = salted(t.password!, Buffer.from(attrs.s ?? '', 'base64'), Number(attrs.i));
          const clientKey = hmac(saltedPw, 'Client Key');
          const storedKey = createHash('sha256').update(clientKey).digest();
          const finalNoProof = `c=biws,r=${attrs.r}`;
          const authMessage = `${scram.clientFirstBare},${serverFirst},${finalNoProof}`;
          const sig = hmac(storedKey, authMessage);
          const proof = Buffer.alloc(32);
          for (let i = 0; i < 32; i++) proof[i] = clientKey[i] ^ sig[i];
          scram.authMessage = authMessage;
          scram.salted = saltedPw;
          socket.write(msg('p', Buffer.from(`${finalNoProof},p=${proof.toString('base64')}`)));
          continue;
        }
        if (code === 12 && scram?.salted) {
          const v = /v=([^,]+)/.exec(f.body.subarray(4).toString('utf8'))?.[1] ?? '';
          const expect = hmac(hmac(scram.salted, 'Server Key'), scram.authMessage!);
          const got = Buffer.from(v, 'base64');
          if (got.length !== expect.length || !timingSafeEqual(got, expect)) throw new AwError('UPSTREAM_AUTH', 'SCRAM: server signature mismatch (not the real server?)');
          continue;
        }
        throw new AwError('UPSTREAM_AUTH', `unsupported upstream authentication request ${code}`);
      }
      if (type === 'S') {
        parameterStatus.push(f.raw);
        const [k, v] = f.body.toString('utf8').split('\0');
        params[k] = v;
        continue;
      }
      if (type === 'K') {
        pid = f.body.readInt32BE(0);
        secret = f.body.readInt32BE(4);
        continue;
      }
      if (type === 'Z') break;
      // NoticeResponse and anything else during startup: ignore.
    }
  } catch (err) {
    socket.destroy();
    throw err;
  }
  socket.off('data', onData);
  socket.removeAllListeners('error');
  socket.removeAllListeners('close');
  const leftover = Buffer.concat([...frames.map((f) => f.raw), reader.rest()]);
  return { socket, parameterStatus, params, pid, secret, leftover };
}

/** Sends a CancelRequest for (pid, secret) to the upstream. */
export function cancelUpstream(t: UpstreamTarget, pid: number, secret: number): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: t.host, port: t.port }, () => {
      s.end(Buffer.concat([int32(16), int32(CANCEL_REQUEST), int32(pid), int32(secret)]));
    });
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}
