// `agentwarden otlp serve`: the OTLP/HTTP receiver in the foreground, storing into the
// store through the redaction transform (the daemon runs the same OtlpReceiver service).
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { Pipeline } from '../../core/pipeline.js';
import type { Command } from '../../cli/context.js';
import { termSafe } from '../../cli/output.js';
import { openStore, storeWriter } from '../../sinks/store/index.js';
import { redactorFromConfig, sealingSink, type RedactionConfig } from '../../transforms/redact/index.js';
import { OtlpReceiver } from './server.js';

const USAGE = `Usage: agentwarden otlp serve [--host ADDR] [--port N]

Receives the agents' native OpenTelemetry over OTLP/HTTP (JSON or protobuf):
POST /v1/logs, /v1/traces, /v1/metrics on http://127.0.0.1:4318 by default (config section
'otlp:'). Each log record, span and metric point is stored as an event after redaction.
See docs/agent-telemetry-setup.md for the settings that point each agent at it.`;

export const otlpCommand: Command = {
  summary: 'receive Claude Code / Codex / Gemini CLI OpenTelemetry (OTLP/HTTP) into the store',
  usage: USAGE,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { host: { type: 'string' }, port: { type: 'string' } }, allowPositionals: true });
    if (positionals[0] !== 'serve') throw new AwError('USAGE', USAGE);
    const port = values.port !== undefined ? Number(values.port) : undefined;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new AwError('USAGE', '--port must be 0..65535');
    const cfg = ctx.config.store ?? {};
    const store = openStore(ctx.paths, cfg);
    const writer = storeWriter(store, cfg, { whenFull: 'block' });
    const redactor = redactorFromConfig(ctx.config.redaction as RedactionConfig | undefined);
    const pipeline = new Pipeline([redactor], [sealingSink(writer, redactor)]);
    const rx = new OtlpReceiver({ ...(values.host ? { host: values.host } : {}), ...(port !== undefined ? { port } : {}) });
    await rx.start({ config: ctx.config, paths: ctx.paths, emit: pipeline.emit, log: (m) => ctx.err.write(`${termSafe(m)}\n`) });
    // Handlers before the 'listening' line (see hooks serve).
    const stopped = new Promise<void>((res) => {
      process.once('SIGINT', () => res());
      process.once('SIGTERM', () => res());
    });
    ctx.out.write(`otlp: listening on ${rx.url}\n`);
    await stopped;
    await rx.stop();
    await pipeline.flush();
    store.close();
    ctx.err.write(`otlp: stopped; ${JSON.stringify(rx.status())}\n`);
    return 0;
  },
};
