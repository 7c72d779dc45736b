// Builders of realistic normalized events for rule tests and benches (a session of a coding
// agent in /home/dev/proj). Not a stand-in for any component: just AwEvent literals.
import type { AwEvent, EventKind, EventProcess } from '../schema/index.js';

export const HOME = '/home/dev';
export const WS = '/home/dev/proj';

export class EventFactory {
  private t: number;
  private n = 0;
  constructor(
    public session = 's-1',
    public agent = 'claude-code',
    start = Date.parse('2026-12-03T10:00:00Z'),
  ) {
    this.t = start;
  }

  /** Advances the clock by `ms` (default 1 s per event). */
  at(ms: number): this {
    this.t += ms;
    return this;
  }

  ev(kind: EventKind, extra: Partial<AwEvent> = {}, dtMs = 1000): AwEvent {
    this.t += dtMs;
    this.n++;
    return {
      time: new Date(this.t).toISOString(),
      id: `${this.session}-${this.n}`,
      kind,
      source: { type: 'test' },
      host: { name: 'dev-box', group: 'dev' },
      session: { id: this.session, agent: { kind: this.agent } },
      ...extra,
    };
  }

  proc(exe: string, argv?: string[], more: Partial<EventProcess> = {}): EventProcess {
    return { pid: 4000 + this.n, exe, argv: argv ?? [exe.split('/').pop()!], cwd: WS, depth: 1, ancestry: [{ pid: 100, exe: '/usr/bin/node', argv0: 'claude' }], ...more };
  }

  open(path: string, exe = '/usr/bin/cat', more: Partial<EventProcess> = {}): AwEvent {
    return this.ev('file.open', { file: { path, intent: ['read'] }, process: this.proc(exe, [exe.split('/').pop()!, path], more) });
  }

  write(path: string, exe = '/usr/bin/bash', more: Partial<EventProcess> = {}): AwEvent {
    return this.ev('file.write', { file: { path, intent: ['write'] }, process: this.proc(exe, undefined, more) });
  }

  del(path: string, exe = '/usr/bin/rm'): AwEvent {
    return this.ev('file.delete', { file: { path, intent: ['delete'] }, process: this.proc(exe) });
  }

  exec(argv: string[], more: Partial<EventProcess> = {}): AwEvent {
    const exe = argv[0].includes('/') ? argv[0] : `/usr/bin/${argv[0]}`;
    return this.ev('process.exec', { process: this.proc(exe, argv, more) });
  }

  sh(cmd: string, more: Partial<EventProcess> = {}): AwEvent {
    return this.exec(['bash', '-c', cmd], more);
  }

  connect(ip: string, port: number, host?: string, more: Partial<EventProcess> = {}): AwEvent {
    return this.ev('network.connect', { network: { transport: 'tcp', direction: 'outbound', dst_ip: ip, dst_port: port, dst_host: host }, process: this.proc('/usr/bin/curl', undefined, more) });
  }

  dns(query: string, qtype = 'A'): AwEvent {
    return this.ev('network.dns', { dns: { query, qtype }, process: this.proc('/usr/bin/curl') });
  }

  tool(name: string, input: unknown, category?: NonNullable<NonNullable<AwEvent['agent']>['tool']>['category']): AwEvent {
    return this.ev('agent.tool.call', { agent: { tool: { name, input, category, call_id: `call-${this.n + 1}` } } });
  }

  result(name: string, output: unknown): AwEvent {
    return this.ev('agent.tool.result', { agent: { tool: { name, output, status: 'ok' } } });
  }

  reg(key: string, value?: string, data?: string, op: 'set' | 'create' | 'delete' = 'set'): AwEvent {
    return this.ev('registry.change', { registry: { key, value, data, operation: op }, process: this.proc('C:\\Windows\\System32\\reg.exe') });
  }

  lib(path: string): AwEvent {
    return this.ev('library.load', { library: { path }, process: this.proc('/usr/bin/python3') });
  }

  start(cwd = WS): AwEvent {
    return this.ev('agent.session.start', { process: { pid: 100, exe: '/usr/bin/node', cwd, depth: 0 }, attributes: { workspace: cwd } });
  }
}
