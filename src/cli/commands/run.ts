// `agentwarden run -- CMD...`: runs CMD as a tracked agent session under the kernel sensor,
// prints its events live, stores them, and summarises at the end. Exits with CMD's code.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { KernelCapture } from '../../daemon/kernel.js';
import { sensorUnavailableReason } from '../../sources/linux-ebpf/sensor.js';
import type { AwEvent } from '../../schema/index.js';
import { buildLivePipeline } from '../../pipeline/live.js';
import { openStore, storeWriter } from '../../sinks/store/index.js';
import { AgentCatalog } from '../../transforms/attribute/index.js';
import { attributeConfig } from '../../transforms/attribute/config.js';
import type { Command } from '../context.js';
import { paint, termSafe, type Out } from '../output.js';
import { RunSummary } from './run-summary.js';

export const runCommand: Command = {
  summary: 'run a command as a tracked agent session (kernel sensor), print and store its events',
  usage: `Usage: agentwarden run [--json] [--quiet] [--mode ebpf|ptrace] [--linger MS] [--no-store] -- CMD [ARGS...]

Runs CMD with the eBPF kernel sensor tracking it and every descendant from its first
instruction (fork, exec with full argv, file opens/renames/deletes/chmod, connects, DNS,
TLS SNI, library loads). Events are attributed to the agent session (kind and the agent's
own session id from the signature catalog), printed live (--json: one event per line,
--quiet: only the summary), and stored. The summary lists processes, files read and
written, endpoints, alerts and drops. The exit status is CMD's.

Needs root or CAP_BPF+CAP_PERFMON. Without them, --mode ptrace runs CMD under strace:
degraded and bypassable (a process can detect or escape ptrace), and labelled as such.
--linger MS: after CMD exits, keep tracking its leftover descendants this long (2000).`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
        mode: { type: 'string' },
        linger: { type: 'string' },
        'no-store': { type: 'boolean' },
      },
      allowPositionals: true,
    });
    const cmd = positionals[0] === '--' ? positionals.slice(1) : positionals;
    if (!cmd.length) throw new AwError('USAGE', 'nothing to run: agentwarden run -- CMD [ARGS...]');
    const mode = values.mode ?? 'ebpf';
    if (mode !== 'ebpf' && mode !== 'ptrace') throw new AwError('USAGE', `--mode must be ebpf or ptrace, not '${mode}'`);
    const json = ctx.json || Boolean(values.json);
    const lingerMs = values.linger ? Number(values.linger) : 2000;
    if (!Number.isFinite(lingerMs) || lingerMs < 0) throw new AwError('USAGE', '--linger must be a number of milliseconds');
    const acfg = attributeConfig(ctx.config);
    const catalog = AgentCatalog.load(acfg.catalogs);

    if (mode === 'ebpf') {
      const why = sensorUnavailableReason({ load: false });
      if (why) {
        ctx.err.write(`agentwarden run: the kernel sensor is unavailable: ${why}\n`);
        ctx.err.write(`  run as root (or with CAP_BPF+CAP_PERFMON), or use the degraded mode: agentwarden run --mode ptrace -- ${termSafe(cmd.join(' '))}\n`);
        return 3;
      }
    }

    const cfg = ctx.config.store ?? {};
    const store = values['no-store'] ? undefined : openStore(ctx.paths, cfg);
    const writer = store ? storeWriter(store, cfg, { whenFull: 'block' }) : undefined;
    const summary = new RunSummary();
    const print = values.quiet ? undefined : json ? (e: AwEvent) => ctx.out.write(`${JSON.stringify(e)}\n`) : (e: AwEvent) => ctx.err.write(`${line(ctx.err, e)}\n`);
    // The live chain (dedupe, tool-call join, detection, redaction) sits between the sensor
    // and the store; what leaves it (alerts included) is summarised and printed.
    const live = writer ? buildLivePipeline(ctx.config, writer) : undefined;
    const shown = (e: AwEvent): void => {
      summary.add(e);
      print?.(e);
    };
    live?.pipeline.onEvent(shown);
    const emit = (e: AwEvent): void | Promise<void> => {
      if (!live || !writer) {
        shown(e);
        return;
      }
      live.pipeline.emit(e);
      // Backpressure instead of loss: the store queue blocks the sensor reader when nearly full.
      if (writer.counters.depth >= 60000) return writer.flush();
    };
    // the terminal's Ctrl-C is for CMD; we stop when it does
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    process.on('SIGQUIT', ignore);
    let code: number;
    try {
      if (mode === 'ptrace') {
        ctx.err.write(`${paint(ctx.err, 'yellow', 'agentwarden run: DEGRADED ptrace mode (strace): bypassable, slow, no DNS/TLS payloads; events are labelled source.type=ptrace')}\n`);
        const { runPtrace } = await import('../../sources/ptrace/index.js');
        const r = await runPtrace({ cmd, catalog, emit, lingerMs, holdMs: acfg.hold_ms });
        code = r.code;
        summary.mode = 'ptrace (bypassable)';
        summary.sessions = r.sessions;
        summary.suppressed = { noise_and_repeats: r.suppressed };
        if (r.unparsed) summary.drops = { strace_unparsed_lines: r.unparsed };
      } else {
        const cap = new KernelCapture({ mode: 'run', cmd, catalog, emit, lingerMs, holdMs: acfg.hold_ms, lateWaitMs: acfg.late_wait_ms, ringMb: acfg.ring_mb, log: (m) => ctx.err.write(`aw-sensor: ${termSafe(m)}\n`) });
        await cap.finish();
        const ex = await Promise.race([cap.sensor.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 50))]);
        const rc = cap.sensor.rootExitCode();
        if (rc === undefined) {
          // the helper failed before starting CMD (it printed why on stderr)
          ctx.err.write(`agentwarden run: the kernel sensor could not start (helper exit ${ex?.code ?? '?'}); try: agentwarden run --mode ptrace -- ${termSafe(cmd.join(' '))}\n`);
        }
        code = rc ?? (ex?.code === 3 ? 3 : 1);
        summary.drops = cap.drops(writer ? { store_queue_full: writer.counters.dropped } : {});
        summary.suppressed = { kernel_noise: cap.sensor.counts.noise_suppressed, collapsed_reads: cap.normalizer.counters.collapsed_reads, failed_reads: cap.normalizer.counters.failed_reads_dropped };
        summary.sessions = cap.attributor.list();
        summary.late = cap.attributor.counters.late_attributed;
      }
      if (live) await live.pipeline.flush();
    } finally {
      process.off('SIGINT', ignore);
      process.off('SIGQUIT', ignore);
      if (writer) await writer.close();
      store?.close();
    }
    summary.exitCode = code;
    summary.stored = writer?.acknowledged ?? 0;
    if (json) ctx.out.write(`${JSON.stringify({ summary: summary.toJSON() })}\n`);
    else ctx.err.write(summary.render(ctx.err));
    return code;
  },
};

function line(out: Out, e: AwEvent): string {
  const t = e.time.slice(11, 23);
  const p = e.process;
  const who = p ? `${p.pid} ${termSafe((p.exe ?? '').split('/').pop())}` : '';
  let detail = '';
  if (e.kind === 'process.exec') detail = termSafe((p?.argv ?? []).join(' '));
  else if (e.kind === 'process.exit') detail = `exit ${p?.exit_code}`;
  else if (e.kind === 'process.fork') detail = `ppid ${p?.ppid}`;
  else if (e.file) detail = `${termSafe(e.file.path)}${e.file.target_path ? ` -> ${termSafe(e.file.target_path)}` : ''}${e.file.intent ? ` [${e.file.intent.join(',')}]` : ''}${e.file.persistence ? ` PERSISTENCE:${e.file.persistence}` : ''}`;
  else if (e.dns) detail = `dns ${termSafe(e.dns.query)} ${termSafe(e.dns.qtype)}`;
  else if (e.tls) detail = `tls sni=${termSafe(e.tls.sni ?? '?')} ${termSafe(e.network?.dst_ip)}:${e.network?.dst_port}`;
  else if (e.network) detail = `${termSafe(e.network.transport ?? '')} ${termSafe(e.network.dst_host ?? e.network.dst_ip)}${e.network.dst_port !== undefined ? `:${e.network.dst_port}` : ''}`;
  else if (e.library) detail = termSafe(e.library.path);
  else if (e.sensor) detail = `${termSafe(e.sensor.message)} ${termSafe(JSON.stringify(e.sensor.drops ?? {}))}`;
  else if (e.alert) detail = paint(out, 'red', `[${termSafe(e.alert.severity)}] ${termSafe(e.alert.title)}${e.alert.ioc_id ? ` (${termSafe(e.alert.ioc_id)})` : ''}`);
  if (e.attributes?.error) detail += ` (${termSafe(e.attributes.error)})`;
  const sess = e.session ? paint(out, 'gray', ` [${termSafe(e.session.agent.kind)} ${termSafe(e.session.id.slice(0, 8))} d${p?.depth ?? 0}]`) : '';
  const kind = e.kind === 'sensor.drop' || e.file?.persistence ? paint(out, 'red', e.kind.padEnd(15)) : paint(out, 'cyan', e.kind.padEnd(15));
  return `${t} ${kind} ${who} ${detail}${sess}`;
}
