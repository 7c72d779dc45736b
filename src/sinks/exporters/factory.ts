// createExporters(cfg): one ExporterSink per configured exporter, for the integrator to
// add to the pipeline's sinks. Settings the JSON Schema cannot check (secrets present,
// unique names) are checked here and throw AwError('EXPORTER_CONFIG' | 'EXPORTER_SECRET').
import { AwError } from '../../core/errors.js';
import type { AwEvent } from '../../schema/index.js';
import type { ExporterContext } from './core/common.js';
import type { ExporterSink } from './core/sink.js';
import type { ExporterConfig } from './config.js';
import { createJsonlFileExporter } from './jsonl-file/index.js';
import { createWebhookExporter } from './webhook/index.js';
import { createSplunkHecExporter } from './splunk-hec/index.js';
import { createElasticExporter } from './elastic/index.js';
import { createSentinelExporter } from './sentinel/index.js';
import { createLogScaleExporter } from './logscale/index.js';
import { createOcsfExporter } from './ocsf/index.js';
import { createOtlpLogsExporter } from './otlp-logs/index.js';
import { createSyslogExporter } from './syslog/index.js';

type Factory = (cfg: any, ctx: ExporterContext) => ExporterSink;

export const EXPORTER_FACTORIES: Record<string, Factory> = {
  'jsonl-file': createJsonlFileExporter,
  webhook: createWebhookExporter,
  'splunk-hec': createSplunkHecExporter,
  elastic: createElasticExporter,
  sentinel: createSentinelExporter,
  logscale: createLogScaleExporter,
  ocsf: createOcsfExporter,
  'otlp-logs': createOtlpLogsExporter,
  syslog: createSyslogExporter,
};

/** Accepts the whole config (`{exporters: [...]}`) or the list itself. */
export function createExporters(cfg: { exporters?: unknown } | ExporterConfig[] | undefined, ctx: ExporterContext = {}): ExporterSink[] {
  const list = (Array.isArray(cfg) ? cfg : ((cfg?.exporters as ExporterConfig[] | undefined) ?? [])) as ExporterConfig[];
  const seen = new Set<string>();
  const out: ExporterSink[] = [];
  for (const [i, e] of list.entries()) {
    if (seen.has(e.name)) throw new AwError('EXPORTER_CONFIG', `exporters[${i}]: duplicate exporter name '${e.name}'`);
    seen.add(e.name);
    const f = EXPORTER_FACTORIES[e.type];
    if (!f) throw new AwError('EXPORTER_CONFIG', `exporters[${i}]: unknown exporter type '${e.type}'`);
    try {
      out.push(f(e, ctx));
    } catch (err) {
      if (err instanceof AwError) throw err;
      throw new AwError('EXPORTER_CONFIG', `exporters[${i}] (${e.name}): ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}

export interface DeliveryResult {
  name: string;
  target: string;
  /** Events the receiver accepted. */
  sent: number;
  /** Not selected by the exporter's filter. */
  filtered: number;
  dropped: number;
  error?: string;
}

/**
 * Sends a few events through the configured exporters and waits for the outcome (at most
 * `timeoutMs` per exporter): for one-off notifications (containment, `exporters test`).
 * `names` selects exporters; `ignoreFilters` sends to each regardless of its filter.
 */
export async function deliverOnce(
  cfg: { exporters?: unknown } | ExporterConfig[] | undefined,
  events: readonly AwEvent[],
  opts: { names?: string[]; timeoutMs?: number; ignoreFilters?: boolean } = {},
): Promise<DeliveryResult[]> {
  let list = (Array.isArray(cfg) ? cfg : ((cfg?.exporters as ExporterConfig[] | undefined) ?? [])) as ExporterConfig[];
  if (opts.names?.length) list = list.filter((e) => opts.names!.includes(e.name));
  const t = opts.timeoutMs ?? 10_000;
  const sinks = createExporters(list.map((c) => ({ ...c, ...(opts.ignoreFilters ? { filter: undefined } : {}), close_timeout_ms: t, retry: { ...c.retry, max_attempts: 1 } })) as ExporterConfig[]);
  for (const ev of events) for (const s of sinks) s.write(ev);
  await Promise.all(sinks.map((s) => s.close()));
  return sinks.map((s) => ({
    name: s.name,
    target: s.transport.target,
    sent: s.counters.sent,
    filtered: s.counters.filtered,
    dropped: s.droppedTotal,
    error: s.droppedTotal ? (s.transport.lastError ?? 'not delivered') : undefined,
  }));
}
