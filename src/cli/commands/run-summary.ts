// The end-of-run summary of `agentwarden run`: processes, files, endpoints, alerts, drops.
import type { AwEvent } from '../../schema/index.js';
import type { SessionInfo } from '../../transforms/attribute/index.js';
import { paint, termSafe, type Out } from '../output.js';

const WRITE_INTENTS = new Set(['write', 'create', 'truncate', 'append']);

export class RunSummary {
  mode = 'ebpf';
  exitCode = 0;
  stored = 0;
  events = 0;
  late = 0;
  drops: Record<string, number> = {};
  suppressed: Record<string, number> = {};
  sessions: SessionInfo[] = [];
  private pids = new Set<number>();
  private execs = 0;
  readonly read = new Set<string>();
  readonly written = new Set<string>();
  readonly deleted = new Set<string>();
  readonly endpoints = new Set<string>();
  readonly dns = new Set<string>();
  readonly sni = new Set<string>();
  readonly persistence = new Set<string>();
  alerts = 0;

  add(e: AwEvent): void {
    this.events++;
    if (e.process?.pid !== undefined) this.pids.add(e.process.pid);
    if (e.kind === 'process.exec') this.execs++;
    if (e.kind === 'alert') this.alerts++;
    if (e.kind === 'sensor.drop') return;
    const err = e.attributes?.error;
    if (e.kind === 'file.open' && e.file && !err) {
      if (e.file.intent?.some((i) => WRITE_INTENTS.has(i))) this.written.add(e.file.path);
      else this.read.add(e.file.path);
    }
    if ((e.kind === 'file.rename' || e.kind === 'file.create' || e.kind === 'file.truncate' || e.kind === 'file.chmod') && e.file && !err) this.written.add(e.file.target_path ?? e.file.path);
    if (e.kind === 'file.delete' && e.file && !err) this.deleted.add(e.file.path);
    if (e.file?.persistence) this.persistence.add(`${e.file.persistence}: ${e.file.target_path ?? e.file.path}`);
    if (e.kind === 'network.connect' && e.network && e.network.family !== 'unix') this.endpoints.add(`${e.network.transport ?? ''} ${e.network.dst_host ?? (e.network.family === 'ipv6' ? `[${e.network.dst_ip}]` : e.network.dst_ip)}:${e.network.dst_port ?? ''}`.trim());
    if (e.dns) this.dns.add(e.dns.query);
    if (e.tls?.sni) this.sni.add(e.tls.sni);
  }

  toJSON() {
    return {
      mode: this.mode,
      exit_code: this.exitCode,
      events: this.events,
      stored: this.stored,
      processes: this.pids.size,
      execs: this.execs,
      sessions: this.sessions.map((s) => ({ id: s.id, id_source: s.id_source, agent: s.agent, root_pid: s.root_pid, parent_id: s.parent_id, events: s.events, processes: s.processes })),
      files_read: [...this.read],
      files_written: [...this.written],
      files_deleted: [...this.deleted],
      persistence: [...this.persistence],
      endpoints: [...this.endpoints],
      dns: [...this.dns],
      sni: [...this.sni],
      alerts: this.alerts,
      drops: this.drops,
      suppressed: this.suppressed,
      late_attributed: this.late,
    };
  }

  render(out: Out): string {
    const j = this.toJSON();
    const list = (xs: string[], max = 12) => (xs.length ? xs.slice(0, max).map((x) => `    ${termSafe(x)}`).join('\n') + (xs.length > max ? `\n    ... ${xs.length - max} more` : '') : '    (none)');
    const dropTotal = Object.values(j.drops).reduce((a, b) => a + b, 0);
    const lines = [
      '',
      paint(out, 'bold', `agentwarden run summary (${j.mode})`),
      `  exit code ${j.exit_code}; ${j.events} events (${j.stored} stored), ${j.processes} processes, ${j.execs} execs`,
      `  sessions:`,
      ...j.sessions.map((s) => `    ${termSafe(s.agent.kind)}${s.agent.version ? ` ${termSafe(s.agent.version)}` : ''} ${termSafe(s.id)} (${s.id_source}) root pid ${s.root_pid}, ${s.events} events${s.parent_id ? `, parent ${termSafe(s.parent_id)}` : ''}`),
      `  files read (${j.files_read.length}):`,
      list(j.files_read),
      `  files written (${j.files_written.length}):`,
      list(j.files_written),
      ...(j.files_deleted.length ? [`  files deleted (${j.files_deleted.length}):`, list(j.files_deleted)] : []),
      ...(j.persistence.length ? [paint(out, 'red', `  persistence changes (${j.persistence.length}):`), list(j.persistence)] : []),
      `  endpoints (${j.endpoints.length}):`,
      list(j.endpoints),
      ...(j.dns.length ? [`  dns queries: ${termSafe(j.dns.join(', '))}`] : []),
      ...(j.sni.length ? [`  tls sni: ${termSafe(j.sni.join(', '))}`] : []),
      `  alerts: ${j.alerts}`,
      dropTotal ? paint(out, 'red', `  drops: ${dropTotal} ${JSON.stringify(j.drops)}`) : `  drops: 0`,
      `  suppressed by design: ${JSON.stringify(j.suppressed)}${j.late_attributed ? `; late-attributed events: ${j.late_attributed}` : ''}`,
      '',
    ];
    return lines.join('\n');
  }
}
