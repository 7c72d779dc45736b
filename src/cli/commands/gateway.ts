// `agentwarden gateway`: runs the L7 gateway (PostgreSQL listener, HTTP proxies) in the
// foreground, storing its events in the local store.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { GatewayService } from '../../gateway/service.js';
import type { AwEvent } from '../../schema/index.js';
import { openStore, storeWriter } from '../../sinks/store/index.js';
import type { Command } from '../context.js';

export const gatewayCommand: Command = {
  summary: 'run the L7 gateway (PostgreSQL + HTTP proxies) with identity, policy, masking, approvals, recording',
  usage: `Usage: agentwarden [--config FILE] gateway [--config FILE] [--json]

Starts the listeners configured under gateway: in the YAML config (see docs/gateway.md):
  postgres   agents connect with psql/any driver, sslmode=require, password = agent token
  http.forward  egress proxy (HTTPS_PROXY=http://agent:TOKEN@host:port)
  http.reverse  reverse proxies in front of internal APIs (Authorization: Bearer TOKEN)
A self-signed certificate is generated when none is configured; its SHA-256 fingerprint
is printed. Events (gateway.*) go to the store. Stops on SIGINT/SIGTERM.`,
  async run(args, ctx) {
    // --config FILE is a global option (accepted before or after the command name).
    const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
    const cfgAll = ctx.config;
    const cfg = cfgAll.gateway;
    if (!cfg || (!cfg.postgres && !cfg.http)) throw new AwError('USAGE', 'no gateway: section in the configuration (see docs/gateway.md)');
    const store = openStore(ctx.paths, cfgAll.store ?? {});
    let dropped = 0;
    // Never stall agents' traffic on the store (drops are counted and reported); batch less
    // often than the default unless configured, since every batch signs a checkpoint.
    const writer = storeWriter(store, cfgAll.store ?? {}, { whenFull: 'drop_newest', flushMs: cfgAll.store?.queue?.flush_ms ?? 200 });
    const host = cfgAll.host?.name;
    const emit = (ev: AwEvent) => {
      if (host) ev.host = { name: host, group: cfgAll.host?.group };
      if (!writer.write(ev)) dropped++;
    };
    const log = (m: string) => ctx.err.write(`gateway: ${m}\n`);
    const svc = new GatewayService();
    const l = await svc.startWith(ctx.paths, cfg, emit, log);
    const json = ctx.json || values.json;
    // Handlers before the 'listening' lines: whoever waits for them may stop us right away.
    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    if (json) ctx.out.write(`${JSON.stringify({ listening: l })}\n`);
    else {
      if (l.postgres) {
        ctx.out.write(`postgres gateway on ${l.postgres.host}:${l.postgres.port} (TLS required)\n`);
        ctx.out.write(`TLS certificate ${l.postgres.certFile}${l.postgres.generated ? ' (self-signed, generated now)' : ''}\n`);
        ctx.out.write(`TLS SHA-256 fingerprint ${l.postgres.fingerprint}\n`);
      }
      if (l.forward) ctx.out.write(`egress proxy on ${l.forward.host}:${l.forward.port}\n`);
      for (const r of l.reverse) ctx.out.write(`reverse proxy ${r.name} on ${r.host}:${r.port}\n`);
    }
    await stopped;
    await svc.stop();
    await writer.flush();
    store.close();
    const st = svc.status();
    ctx.err.write(`gateway stopped; ${JSON.stringify(st)}${dropped ? `; ${dropped} event(s) dropped (queue full)` : ''}\n`);
    return 0;
  },
};
