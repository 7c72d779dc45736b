// RFC 5424 messages, each framed by RFC 6587 octet counting ("<len> <msg>"):
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [agentwarden@PEN k="v" ...] BOM{json}
// Header fields are PRINTUSASCII without spaces (other bytes become '_') and length-capped;
// TIME-SECFRAC has at most 6 digits; SD-PARAM values escape '"', '\' and ']' (section 6.3.3).
// Event content is attacker-controlled: nothing in it can break the framing or the header.
import { hostname as osHostname } from 'node:os';
import type { AwEvent, Severity } from '../../../schema/index.js';
import { formatter, type PayloadFormat } from '../core/common.js';
import type { Serializer } from '../core/types.js';
import { FACILITIES, type Facility } from './config.js';

const BOM = '\uFEFF';
// Syslog severities: 2 critical, 3 error, 4 warning, 5 notice, 6 informational.
const SEVERITY: Record<Severity, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };

/** PRINTUSASCII (33..126) only, capped, '-' when empty (the NILVALUE). */
export function headerField(s: string | undefined, max: number): string {
  if (!s) return '-';
  const clean = s.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return clean || '-';
}

/** SD-PARAM value escaping (RFC 5424 section 6.3.3). */
export function sdEscape(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => '\\' + c);
}

/** SD-NAME: PRINTUSASCII except '=', SP, ']', '"'; at most 32 characters. */
function sdName(s: string): string {
  return s.replace(/[^\x21-\x7e]|[= \]"]/g, '_').slice(0, 32);
}

/** RFC 3339 with at most 6 fractional digits (TIME-SECFRAC is 1*6DIGIT). */
export function syslogTime(t: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(t);
  if (!m) return '-';
  const frac = m[3] ? m[3].slice(0, 7) : '';
  return `${m[1]}T${m[2]}${frac}${m[4] === 'z' ? 'Z' : m[4]}`;
}

export interface SyslogOptions {
  facility?: Facility;
  appName?: string;
  hostname?: string;
  format?: PayloadFormat;
  enterpriseId?: number;
}

export class SyslogSerializer implements Serializer {
  readonly contentType = 'application/octet-stream';
  private readonly fmt: (ev: AwEvent) => object;
  private readonly facility: number;
  private readonly app: string;
  private readonly host: string;
  private readonly sdId: string;
  private readonly enc = new TextEncoder();

  constructor(o: SyslogOptions = {}) {
    this.fmt = formatter(o.format);
    this.facility = FACILITIES.indexOf(o.facility ?? 'local0');
    this.app = headerField(o.appName ?? 'agentwarden', 48);
    this.host = headerField(o.hostname ?? osHostname(), 255);
    this.sdId = `agentwarden@${o.enterpriseId ?? 32473}`;
  }

  /** One RFC 5424 message (unframed). */
  message(ev: AwEvent): string {
    const pri = this.facility * 8 + SEVERITY[ev.alert?.severity ?? 'info'];
    const params: Array<[string, string | number | undefined]> = [
      ['kind', ev.kind],
      ['id', ev.id],
      ['session', ev.session?.id],
      ['agent', ev.session?.agent.kind],
      ['tool_call', ev.session?.tool_call_id ?? ev.agent?.tool?.call_id],
      ['rule', ev.alert?.rule_id],
      ['severity', ev.alert?.severity],
      ['ioc', ev.alert?.ioc_id],
    ];
    const sd = params
      .filter(([, v]) => v !== undefined && v !== '')
      .map(([k, v]) => ` ${sdName(k)}="${sdEscape(String(v))}"`)
      .join('');
    const header = `<${pri}>1 ${syslogTime(ev.time)} ${ev.host?.name ? headerField(ev.host.name, 255) : this.host} ${this.app} ${ev.process ? headerField(String(ev.process.pid), 128) : '-'} ${headerField(ev.kind, 32)}`;
    return `${header} [${this.sdId}${sd}] ${BOM}${JSON.stringify(this.fmt(ev))}`;
  }

  serialize(events: readonly AwEvent[]): Uint8Array {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (const ev of events) {
      const msg = this.enc.encode(this.message(ev));
      const prefix = this.enc.encode(`${msg.byteLength} `);
      parts.push(prefix, msg);
      total += prefix.byteLength + msg.byteLength;
    }
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.byteLength;
    }
    return out;
  }
}

/** Splits an octet-counted stream back into messages (the UDP transport sends one per datagram). */
export function unframe(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < data.byteLength) {
    let n = 0;
    let j = i;
    while (j < data.byteLength && data[j] >= 0x30 && data[j] <= 0x39) n = n * 10 + (data[j++] - 0x30);
    if (j === i || data[j] !== 0x20) throw new Error(`bad octet-counting frame at byte ${i}`);
    out.push(data.subarray(j + 1, j + 1 + n));
    i = j + 1 + n;
  }
  return out;
}
