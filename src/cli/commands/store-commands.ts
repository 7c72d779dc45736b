// Foundation commands over the embedded store: ingest, events, sessions, verify, key.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { ensureSigningKey, publicKeyPem } from '../../core/keys.js';
import { formatTimeNs, parseEventLine, parseTimeBound, type AwEvent } from '../../schema/index.js';
import { chainMacKey, openStore, openStoreReadonly, storeDirOf, storeWriter, verifyStore, type EventQuery, type StoredEvent } from '../../sinks/store/index.js';
import type { CliContext, Command } from '../context.js';
import { paint, table, termSafe } from '../output.js';
import { liveSessions } from './status.js';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ingestCommand: Command = {
  summary: 'store normalized events from JSON lines (FILE or - for stdin)',
  usage: `Usage: agentwarden ingest [FILE|-] [--progress]

Reads normalized events (docs/event.schema.json), one JSON object per line, and stores them.
Malformed lines are reported as 'line N: reason' on stderr and skipped; good lines are kept.
--progress prints 'acknowledged N' on stderr after each durable batch.
Exit status: 0 all lines stored, 1 some lines rejected, 2 usage or configuration error.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { progress: { type: 'boolean' } }, allowPositionals: true });
    const file = positionals[0] ?? '-';
    const input = file === '-' ? process.stdin : createReadStream(file);
    if (file !== '-' && !existsSync(file)) throw new AwError('USAGE', `no such file: ${file}`);
    const cfg = ctx.config.store ?? {};
    const store = openStore(ctx.paths, cfg);
    const writer = storeWriter(store, cfg, {
      whenFull: 'block',
      threaded: true,
      onDurable: values.progress ? (_seq, n) => ctx.err.write(`acknowledged ${n}\n`) : undefined,
    });
    let lineNo = 0;
    let rejected = 0;
    let accepted = 0;
    const rl = createInterface({ input, crlfDelay: Infinity });
    for await (const line of rl) {
      lineNo++;
      if (!line.trim()) continue;
      const r = parseEventLine(line);
      if (!r.ok) {
        rejected++;
        ctx.err.write(`line ${lineNo}: ${termSafe(r.reason)}\n`);
        continue;
      }
      delete (r.event as { seq?: number }).seq;
      await writer.writeAsync(r.event, undefined, r.timeNs);
      accepted++;
    }
    await writer.close();
    store.close();
    if (ctx.json) ctx.out.write(`${JSON.stringify({ stored: accepted, rejected, last_seq: writer.lastSeq })}\n`);
    else ctx.out.write(`stored ${accepted} event(s), rejected ${rejected} line(s); last seq ${writer.lastSeq}\n`);
    return rejected ? 1 : 0;
  },
};

function eventSummary(ev: AwEvent): string {
  const p = ev.process;
  const bits: string[] = [];
  if (ev.file) bits.push(ev.file.target_path ? `${ev.file.path} -> ${ev.file.target_path}` : ev.file.path);
  if (ev.network) bits.push(`${ev.network.dst_host ?? ev.network.dst_ip ?? ''}${ev.network.dst_port !== undefined ? ':' + ev.network.dst_port : ''}`);
  if (ev.dns) bits.push(`dns ${ev.dns.query}`);
  if (ev.tls?.sni) bits.push(`sni ${ev.tls.sni}`);
  if (ev.library) bits.push(ev.library.path);
  if (ev.registry) bits.push(ev.registry.key);
  if (ev.kind === 'process.exec' && p?.argv) bits.push(p.argv.join(' '));
  if (ev.kind === 'process.exit' && p?.exit_code !== undefined) bits.push(`exit ${p.exit_code}`);
  if (ev.agent?.tool) bits.push(`${ev.agent.tool.name} ${ev.agent.tool.input !== undefined ? JSON.stringify(ev.agent.tool.input) : ''}`);
  if (ev.agent?.prompt?.text) bits.push(ev.agent.prompt.text);
  if (ev.gateway?.statement) bits.push(ev.gateway.statement.text);
  if (ev.alert) bits.push(`[${ev.alert.severity}] ${ev.alert.title}`);
  if (ev.sensor) bits.push(`${ev.sensor.name} ${ev.sensor.state ?? ''} ${ev.sensor.drops ? JSON.stringify(ev.sensor.drops) : ''}`);
  return bits.join(' ');
}

export const eventsCommand: Command = {
  summary: 'list stored events (filters: session, kind, time, pid, path, destination)',
  usage: `Usage: agentwarden events [--session ID] [--kind K]... [--since T] [--until T] [--pid N] [--path P]
                          [--dest HOST|IP] [--after SEQ] [--limit N] [--desc] [--json]

T is RFC 3339, a date (2026-12-03) or a duration back from now (30s, 15m, 2h, 7d).
--kind may repeat, and 'file.*' selects a family. --json prints one event per line.`,
  async run(args, ctx) {
    const { values } = parseArgs({
      args,
      options: {
        session: { type: 'string' },
        kind: { type: 'string', multiple: true },
        since: { type: 'string' },
        until: { type: 'string' },
        pid: { type: 'string' },
        path: { type: 'string' },
        dest: { type: 'string' },
        after: { type: 'string' },
        limit: { type: 'string' },
        desc: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    const q: EventQuery = { session: values.session, path: values.path, dest: values.dest, desc: values.desc };
    const kinds = values.kind ?? [];
    const exact = kinds.filter((k) => !k.endsWith('*'));
    const prefixes = kinds.filter((k) => k.endsWith('*')).map((k) => k.slice(0, -1));
    if (prefixes.length > 1 || (prefixes.length && exact.length)) throw new AwError('USAGE', 'use either exact kinds or one family (file.*)');
    if (exact.length) q.kinds = exact;
    if (prefixes.length) q.kindPrefix = prefixes[0];
    const bound = (name: string, v?: string) => {
      if (v === undefined) return undefined;
      const t = parseTimeBound(v);
      if (t === undefined) throw new AwError('USAGE', `--${name}: cannot read '${v}' as a time`);
      return t;
    };
    q.sinceNs = bound('since', values.since);
    q.untilNs = bound('until', values.until);
    const int = (name: string, v?: string) => {
      if (v === undefined) return undefined;
      if (!/^\d+$/.test(v)) throw new AwError('USAGE', `--${name} must be a number`);
      return Number(v);
    };
    q.pid = int('pid', values.pid);
    q.afterSeq = int('after', values.after);
    q.limit = int('limit', values.limit);
    const store = openStoreReadonlyOrEmpty(ctx);
    if (!store) return 0;
    try {
      const json = ctx.json || values.json;
      const rows: unknown[][] = [];
      for (const ev of store.iterate(q)) {
        if (json) ctx.out.write(`${JSON.stringify(ev)}\n`);
        else rows.push(row(ev));
      }
      if (!json) ctx.out.write(table(['SEQ', 'TIME', 'KIND', 'SESSION', 'PID', 'DETAIL'], rows, 100));
    } finally {
      store.close();
    }
    return 0;
  },
};

function row(ev: StoredEvent): unknown[] {
  return [ev.seq, ev.time, ev.kind, ev.session ? `${ev.session.agent.kind}:${ev.session.id.slice(0, 12)}` : '', ev.process?.pid ?? '', eventSummary(ev)];
}

/** Opens the store read-only; when none exists yet, says so and returns undefined. */
export function openStoreReadonlyOrEmpty(ctx: CliContext) {
  const dir = storeDirOf(ctx.paths, ctx.config.store ?? {});
  if (!existsSync(join(dir, 'events.db'))) {
    if (!ctx.json) ctx.err.write(`no store yet at ${dir}\n`);
    return undefined;
  }
  return openStoreReadonly(ctx.paths, ctx.config.store ?? {});
}

export const sessionsCommand: Command = {
  summary: 'list agent sessions in the store',
  usage: `Usage: agentwarden sessions [--limit N] [--json] [--live]

Lists the agent sessions seen in the store, most recent first.
--live asks the running daemon for its registry of agent sessions (live and recently ended).`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { limit: { type: 'string' }, json: { type: 'boolean' }, live: { type: 'boolean' } } });
    if (values.live) return liveSessions(ctx, Boolean(ctx.json || values.json));
    const store = openStoreReadonlyOrEmpty(ctx);
    if (!store) return 0;
    try {
      const list = store.sessions({ limit: values.limit ? Number(values.limit) : undefined });
      if (ctx.json || values.json) {
        for (const s of list) {
          ctx.out.write(
            `${JSON.stringify({
              session_id: s.session_id,
              agent: { kind: s.agent_kind, version: s.agent_version },
              user: s.user,
              root_pid: s.root_pid,
              host: s.host,
              first_time: formatTimeNs(s.first_time_ns),
              last_time: formatTimeNs(s.last_time_ns),
              first_seq: s.first_seq,
              last_seq: s.last_seq,
              events: s.events,
            })}\n`,
          );
        }
      } else {
        ctx.out.write(table(['SESSION', 'AGENT', 'VERSION', 'ROOT PID', 'EVENTS', 'FIRST', 'LAST'], list.map((s) => [s.session_id, s.agent_kind, s.agent_version ?? '', s.root_pid ?? '', s.events, formatTimeNs(s.first_time_ns), formatTimeNs(s.last_time_ns)])));
      }
    } finally {
      store.close();
    }
    return 0;
  },
};

export const verifyCommand: Command = {
  summary: 'verify the store: hash chain, MACs, Merkle roots and signed checkpoints',
  usage: `Usage: agentwarden verify [--pubkey FILE] [--checkpoints DIR]... [--json]

Re-derives every record's leaf hash, the hash chain and the Merkle tree, and checks them
against every signed checkpoint (in the database and the copies outside it). With the
store's private key present, each record's chain MAC is checked too, which names the
exact first bad record even when the tail was re-chained. With only --pubkey, damage is
located to the span after the last checkpoint that still matches.
Exit status: 0 intact, 1 tampering or damage found (the first bad sequence number is named).`,
  async run(args, ctx) {
    const { values } = parseArgs({ args, options: { pubkey: { type: 'string' }, checkpoints: { type: 'string', multiple: true }, json: { type: 'boolean' } } });
    const cfg = ctx.config.store ?? {};
    const dir = storeDirOf(ctx.paths, cfg);
    if (!existsSync(join(dir, 'events.db'))) throw new AwError('STORE_MISSING', `no store at ${dir}`);
    let publicKey;
    let macKey: Buffer | undefined;
    if (values.pubkey) {
      const { loadPublicKey } = await import('../../core/keys.js');
      publicKey = loadPublicKey(values.pubkey);
    } else {
      if (!existsSync(join(ctx.paths.keysDir, 'store-ed25519.pem'))) throw new AwError('KEY_MISSING', `no store key in ${ctx.paths.keysDir}; pass --pubkey`);
      const key = ensureSigningKey(ctx.paths.keysDir);
      publicKey = key.publicKey;
      macKey = chainMacKey(key);
    }
    const dirs = [ctx.paths.checkpointsDir, ...(cfg.checkpoint_dirs ?? []), ...(values.checkpoints ?? [])].map((d) => resolve(d));
    const report = verifyStore({ dir, publicKey, macKey, checkpointDirs: dirs });
    if (ctx.json || values.json) {
      ctx.out.write(`${JSON.stringify(report)}\n`);
    } else {
      for (const p of report.problems) ctx.err.write(`${p.warning ? 'warning' : 'error'}: ${p.code}${p.seq !== undefined ? ` at seq ${p.seq}` : ''}: ${termSafe(p.message)}\n`);
      if (report.ok) {
        ctx.out.write(`${paint(ctx.out, 'green', 'OK')}: ${report.records} record(s) verified against ${report.checkpoints} signed checkpoint(s) (signed size ${report.signedSize}); chain MACs ${report.macChecked ? 'checked' : 'not checked (no private key)'}; root ${report.root}\n`);
      } else {
        ctx.out.write(`${paint(ctx.out, 'red', 'FAILED')}: first bad sequence number ${report.firstBadSeq ?? '(none)'}\n`);
      }
    }
    return report.ok ? 0 : 1;
  },
};

export const keyCommand: Command = {
  summary: 'show the store signing key (public half)',
  usage: `Usage: agentwarden key show [--json]

Prints the public half of the store's Ed25519 signing key (created on first run), its id
and the C2SP note verifier key string that checks its checkpoints.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
    if (positionals[0] !== 'show') throw new AwError('USAGE', `unknown subcommand '${positionals[0] ?? ''}' (expected: key show)`);
    const key = ensureSigningKey(ctx.paths.keysDir);
    const { createHash } = await import('node:crypto');
    const vkeyHash = createHash('sha256').update(key.name).update('\n').update(Buffer.from([1])).update(key.publicRaw).digest().subarray(0, 4).toString('hex');
    const vkey = `${key.name}+${vkeyHash}+${Buffer.concat([Buffer.from([1]), key.publicRaw]).toString('base64')}`;
    if (ctx.json || values.json) ctx.out.write(`${JSON.stringify({ name: key.name, key_id: key.keyId, public_key_pem: publicKeyPem(key), note_verifier_key: vkey, file: join(ctx.paths.keysDir, 'store-ed25519.pub.pem') })}\n`);
    else ctx.out.write(`${publicKeyPem(key)}key id (sha256 of raw public key): ${key.keyId}\nnote verifier key: ${vkey}\nfile: ${join(ctx.paths.keysDir, 'store-ed25519.pub.pem')}\n`);
    return 0;
  },
};
