// Serialization throughput of every exporter's serializer over a realistic event mix,
// printed as a ratio to a plain JSON lines baseline (JSON.stringify per event, joined,
// UTF-8 encoded) measured in the same run. The mappers (ECS, OCSF) build a second object
// per event, so they are expected to cost a few times the baseline; a ratio near 1 for the
// native formats shows the framing itself adds little. Plus end-to-end delivery through an
// ExporterSink to a loopback HTTP receiver, against the serializer alone.
import type { AwEvent } from '../../schema/index.js';
import { sampleEvents } from './mapping/samples.js';
import { JsonLinesSerializer, JsonArraySerializer } from './core/json.js';
import { SplunkHecSerializer } from './splunk-hec/serializer.js';
import { ElasticBulkSerializer } from './elastic/serializer.js';
import { SentinelSerializer } from './sentinel/serializer.js';
import { LogScaleSerializer } from './logscale/serializer.js';
import { OcsfJsonLinesSerializer } from './ocsf/serializer.js';
import { OtlpLogsSerializer } from './otlp-logs/serializer.js';
import { SyslogSerializer } from './syslog/serializer.js';
import type { Serializer } from './core/types.js';
import { ExporterSink } from './core/sink.js';
import { HttpTransport } from './core/http.js';
import { HttpReceiver } from './testing/receivers.js';

const N = Number(process.env.BENCH_EVENTS ?? 100_000);
const BATCH = 500;

function makeEvents(n: number): AwEvent[] {
  // Mostly kernel file/process activity, as in a real recording, plus the other kinds.
  const samples = sampleEvents();
  const hot = samples.filter((e) => e.kind === 'file.open' || e.kind === 'process.exec' || e.kind === 'network.connect');
  const out: AwEvent[] = [];
  for (let i = 0; i < n; i++) {
    const src = i % 10 < 8 ? hot[i % hot.length] : samples[i % samples.length];
    const ev = structuredClone(src);
    ev.id = `ev-${i}`;
    ev.seq = i + 1;
    if (ev.process) ev.process.pid = 5000 + (i % 300);
    if (ev.file) ev.file.path = `/work/ws/src/file${i % 5000}.ts`;
    out.push(ev);
  }
  return out;
}

const enc = new TextEncoder();
const baseline: Serializer = {
  contentType: 'application/x-ndjson',
  serialize(events) {
    let s = '';
    for (const e of events) s += JSON.stringify(e) + '\n';
    return enc.encode(s);
  },
};

function rate(ser: Serializer, events: AwEvent[]): { evs: number; bytes: number } {
  let bytes = 0;
  const t0 = performance.now();
  for (let i = 0; i < events.length; i += BATCH) bytes += ser.serialize(events.slice(i, i + BATCH)).byteLength;
  const s = (performance.now() - t0) / 1000;
  return { evs: events.length / s, bytes };
}

const events = makeEvents(N);
const serializers: Array<[string, Serializer]> = [
  ['jsonl-file (native)', new JsonLinesSerializer()],
  ['webhook (JSON array)', new JsonArraySerializer()],
  ['splunk-hec (native)', new SplunkHecSerializer()],
  ['elastic (ECS bulk)', new ElasticBulkSerializer()],
  ['jsonl-file (ECS)', new JsonLinesSerializer('ecs')],
  ['ocsf (JSON lines)', new OcsfJsonLinesSerializer()],
  ['sentinel (native)', new SentinelSerializer()],
  ['logscale (native)', new LogScaleSerializer()],
  ['otlp-logs (native)', new OtlpLogsSerializer()],
  ['syslog (RFC 5424)', new SyslogSerializer({ hostname: 'bench' })],
];

// Warm up every path, then measure the baseline before and after (noisy shared machines).
for (const [, s] of serializers) rate(s, events.slice(0, 5000));
rate(baseline, events.slice(0, 5000));
const b1 = rate(baseline, events);
const results = serializers.map(([name, s]) => [name, rate(s, events)] as const);
const b2 = rate(baseline, events);
const base = (b1.evs + b2.evs) / 2;
console.log(`events: ${N}, batch ${BATCH}; baseline JSON.stringify lines: ${Math.round(base).toLocaleString('en')} ev/s, ${(b1.bytes / N).toFixed(0)} B/ev`);
for (const [name, r] of results) {
  console.log(`${name.padEnd(24)} ${Math.round(r.evs).toLocaleString('en').padStart(10)} ev/s  ratio ${(r.evs / base).toFixed(2)}x baseline  ${(r.bytes / N).toFixed(0)} B/ev`);
}

// End to end: ExporterSink -> HttpTransport -> loopback receiver, vs serialization alone.
const recv = await new HttpReceiver().start();
const sink = new ExporterSink({ name: 'bench', serializer: new JsonLinesSerializer(), transport: new HttpTransport({ url: `${recv.url}/ingest`, contentType: 'application/x-ndjson' }), capacity: N, batchSize: 2000, flushMs: 5 });
const t0 = performance.now();
for (const e of events) sink.write(e);
await sink.flush();
const e2e = N / ((performance.now() - t0) / 1000);
await sink.close();
await recv.stop();
console.log(`end-to-end jsonl over loopback HTTP (batch 2000): ${Math.round(e2e).toLocaleString('en')} ev/s  ratio ${(e2e / base).toFixed(2)}x baseline; sent ${sink.counters.sent}, dropped ${sink.droppedTotal}`);
