#!/usr/bin/env node
// Node fallback of native/hook-client/agentwarden-hook.c, used when no C compiler was
// available at setup. Same flags, same wire protocol, same spool and fail policy. It is
// self-contained (node built-ins only) because every import adds to the cold start that
// the agent waits for on each tool call.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

const BLOCKABLE = new Set(['PreToolUse', 'BeforeTool', 'preToolUse', 'beforeShellExecution', 'beforeMCPExecution', 'beforeReadFile', 'UserPromptSubmit', 'BeforeAgent', 'beforeSubmitPrompt']);

interface Opts {
  agent: string;
  socket?: string;
  spool?: string;
  failClosed: boolean;
  timeoutMs: number;
}

function parse(argv: string[]): Opts {
  const o: Opts = { agent: 'unknown', failClosed: false, timeoutMs: 10000 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    if (argv[i] === '--agent' && v) o.agent = /^[A-Za-z0-9_.-]{1,32}$/.test(argv[++i]) ? argv[i] : 'unknown';
    else if (argv[i] === '--socket' && v) o.socket = argv[++i];
    else if (argv[i] === '--spool' && v) o.spool = argv[++i];
    else if (argv[i] === '--fail' && v) o.failClosed = argv[++i] === 'closed';
    else if (argv[i] === '--timeout-ms' && v) o.timeoutMs = Number(argv[++i]) || 10000;
    else process.stderr.write(`agentwarden-hook: unknown argument ${argv[i]}\n`);
  }
  return o;
}

function makeId(): string {
  const ns = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Number(process.hrtime.bigint() % 1_000_000n)));
  return `${ns.toString().padStart(19, '0')}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

function spool(dir: string, id: string, request: Buffer): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.tmp-${id}`);
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, request);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(dir, `${id}.awh`));
    try {
      const dfd = openSync(dir, 'r');
      fsyncSync(dfd);
      closeSync(dfd);
    } catch {
      /* directory fsync is best effort on some filesystems */
    }
    return true;
  } catch {
    try {
      unlinkSync(join(dir, `.tmp-${id}`));
    } catch {
      /* nothing to clean */
    }
    return false;
  }
}

function talk(socket: string, request: Buffer, timeoutMs: number): Promise<{ code: number; out: Buffer; err: Buffer } | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect({ path: socket, allowHalfOpen: true });
    const timer = setTimeout(() => {
      s.destroy();
      resolve(undefined);
    }, timeoutMs);
    s.on('connect', () => s.end(request));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    s.on('end', () => {
      clearTimeout(timer);
      const buf = Buffer.concat(chunks);
      const nl = buf.indexOf(10);
      const m = nl > 0 ? /^AWR1 (-?\d+) (\d+) (\d+)$/.exec(buf.subarray(0, nl).toString('latin1')) : null;
      if (!m || nl + 1 + Number(m[2]) + Number(m[3]) > buf.length) return resolve(undefined);
      const o = nl + 1 + Number(m[2]);
      resolve({ code: Number(m[1]), out: buf.subarray(nl + 1, o), err: buf.subarray(o, o + Number(m[3])) });
    });
  });
}

export async function runHookClient(argv: string[]): Promise<number> {
  const o = parse(argv);
  let payload: Buffer;
  try {
    payload = readFileSync(0);
  } catch {
    process.stderr.write('agentwarden-hook: cannot read the payload\n');
    return o.failClosed ? 2 : 0;
  }
  const id = makeId();
  const request = Buffer.concat([Buffer.from(`AWH1 ${o.agent} ${id} ${payload.length}\n`, 'latin1'), payload]);
  const r = o.socket ? await talk(o.socket, request, o.timeoutMs) : undefined;
  if (r) {
    process.stdout.write(r.out);
    process.stderr.write(r.err);
    return r.code;
  }
  const spooled = o.spool ? spool(o.spool, id, request) : false;
  let event = '';
  try {
    event = String((JSON.parse(payload.toString('utf8')) as { hook_event_name?: unknown }).hook_event_name ?? '');
  } catch {
    /* unknown shape */
  }
  if (o.failClosed && (event === '' || BLOCKABLE.has(event))) {
    process.stderr.write(`blocked by AgentWarden: hook server unavailable and the policy is fail-closed${spooled ? '' : '; the payload could not be spooled'}\n`);
    return 2;
  }
  return 0;
}

// Run when executed directly (node dist/sources/hooks/client.js ...).
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void runHookClient(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
