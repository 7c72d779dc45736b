// The live detect transform with the default pack: throughput (alerts built, ids assigned)
// against the same transform with no rules, and event-to-alert latency at a paced 10,000
// events/s through a Pipeline (goal p99 <= 100 ms).
import { performance } from 'node:perf_hooks';
import { NoopSink, Pipeline } from '../../core/index.js';
import { clone, generate } from '../../rules/bench-stream.js';
import { RuleSet } from '../../rules/index.js';
import { WS } from '../../rules/test-events.js';
import { defaultPack } from '../../rules/test-pack.js';
import type { AwEvent } from '../../schema/index.js';
import { Detector } from './detector.js';

const cfg = { workspaces: { '*': WS } };
const pack = defaultPack();

function throughput(rs: RuleSet, evs: AwEvent[]): { rate: number; alerts: number } {
  const det = new Detector(rs, cfg);
  let alerts = 0;
  (globalThis as { gc?: () => void }).gc?.();
  const c0 = process.cpuUsage(); // CPU time: the shared machines are oversubscribed
  for (const e of evs) {
    const r = det.apply(e);
    if (Array.isArray(r)) alerts += r.length - 1;
  }
  const c = process.cpuUsage(c0);
  return { rate: evs.length / ((c.user + c.system) / 1e6), alerts };
}

const base = generate(200_000);
throughput(pack, base.slice(0, 20_000));
throughput(new RuleSet([]), base.slice(0, 20_000));
let rules = { rate: 0, alerts: 0 };
let none = 0;
for (let i = 0; i < 5; i++) { // best of 5: the shared machines are noisy
  none = Math.max(none, throughput(new RuleSet([]), base).rate);
  const r = throughput(pack, base);
  if (r.rate > rules.rate) rules = r;
}
console.log(`detect transform (default pack): ${Math.round(rules.rate).toLocaleString('en')} events/s, ${rules.alerts} alerts; no rules: ${Math.round(none).toLocaleString('en')} events/s; ratio ${(rules.rate / none).toFixed(3)}`);

// Paced arrival: events are due at i/rate seconds; a 1 ms timer delivers whatever is due
// (a sensor ring buffer delivers batches). Latency = alert emitted - trigger's due time.
const processing: number[] = [];
async function paced(rate: number, seconds: number): Promise<number[]> {
  const evs = clone(generate(rate * seconds, 7));
  const pipe = new Pipeline([new Detector(pack, cfg)], [new NoopSink()]);
  const due = new Map<string, number>();
  const handed = new Map<string, number>();
  const lat: number[] = [];
  pipe.onEvent((e) => {
    if (e.kind !== 'alert') return;
    const ids = e.alert!.trigger_ids ?? [];
    const last = ids[ids.length - 1];
    const d = due.get(last);
    if (d !== undefined) lat.push(performance.now() - d);
    const h = handed.get(last);
    if (h !== undefined) processing.push(performance.now() - h);
  });
  const t0 = performance.now();
  let i = 0;
  await new Promise<void>((done) => {
    const tick = () => {
      const n = Math.min(evs.length, Math.floor(((performance.now() - t0) / 1000) * rate));
      for (; i < n; i++) {
        due.set(evs[i].id!, t0 + (i / rate) * 1000);
        handed.set(evs[i].id!, performance.now());
        pipe.emit(evs[i]);
      }
      if (i < evs.length) setTimeout(tick, 1);
      else done();
    };
    tick();
  });
  return lat.sort((a, b) => a - b);
}

// Warm the compiled rules (shared by every Detector over this pack) before the paced run.
throughput(pack, clone(generate(50_000, 3)));
const lat = await paced(10_000, 3);
const q = (p: number, a = lat) => a[Math.min(a.length - 1, Math.floor(p * a.length))] ?? NaN;
processing.sort((a, b) => a - b);
console.log(`event-to-alert latency at 10,000 events/s for 3 s: ${lat.length} alerts; p50 ${q(0.5).toFixed(2)} ms, p99 ${q(0.99).toFixed(2)} ms, max ${q(1).toFixed(2)} ms (goal p99 <= 100 ms: ${q(0.99) <= 100 ? 'met' : 'NOT met'})`);
console.log(`  of which processing (hand-off to alert): p50 ${q(0.5, processing).toFixed(3)} ms, p99 ${q(0.99, processing).toFixed(3)} ms; the rest is timer/scheduler delay on this machine`);
