// Parsers for the payload prefixes the kernel copies: DNS queries (UDP/53), TLS
// ClientHello (SNI, ALPN, offered version) and HTTP CONNECT lines. Input is attacker
// controlled: every read is bounds-checked and a malformed message yields undefined.

const QTYPES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY' };

/** The first question of a DNS message: name and type. */
export function parseDnsQuery(b: Buffer): { query: string; qtype: string } | undefined {
  if (b.length < 17) return undefined;
  const qd = b.readUInt16BE(4);
  if (qd < 1) return undefined;
  let o = 12;
  const labels: string[] = [];
  for (let guard = 0; guard < 128; guard++) {
    if (o >= b.length) return undefined;
    const len = b[o];
    if (len === 0) {
      o++;
      break;
    }
    if (len & 0xc0 || o + 1 + len > b.length) return undefined; // no compression in a question
    labels.push(b.toString('latin1', o + 1, o + 1 + len));
    o += 1 + len;
  }
  if (!labels.length) return undefined;
  const t = o + 2 <= b.length ? b.readUInt16BE(o) : 0;
  return { query: labels.join('.'), qtype: QTYPES[t] ?? String(t) };
}

export interface ClientHello {
  sni?: string;
  alpn?: string[];
  version?: string;
  /** true when the captured prefix ended before the extensions did */
  partial?: boolean;
}

const VERSIONS: Record<number, string> = { 0x0301: 'TLS 1.0', 0x0302: 'TLS 1.1', 0x0303: 'TLS 1.2', 0x0304: 'TLS 1.3' };

/** Parses a TLS record carrying a ClientHello (possibly cut short). */
export function parseClientHello(b: Buffer): ClientHello | undefined {
  if (b.length < 43 || b[0] !== 0x16 || b[5] !== 0x01) return undefined;
  const out: ClientHello = {};
  let o = 9;
  const legacy = b.readUInt16BE(o);
  out.version = VERSIONS[legacy];
  o += 2 + 32;
  const need = (n: number) => o + n <= b.length;
  if (!need(1)) return { ...out, partial: true };
  o += 1 + b[o];
  if (!need(2)) return { ...out, partial: true };
  o += 2 + b.readUInt16BE(o);
  if (!need(1)) return { ...out, partial: true };
  o += 1 + b[o];
  if (!need(2)) return { ...out, partial: true };
  const extEnd = o + 2 + b.readUInt16BE(o);
  o += 2;
  while (o + 4 <= Math.min(extEnd, b.length)) {
    const type = b.readUInt16BE(o);
    const len = b.readUInt16BE(o + 2);
    const body = o + 4;
    if (body + len > b.length) {
      out.partial = true;
      break;
    }
    if (type === 0 && len >= 5) {
      const nameLen = b.readUInt16BE(body + 3);
      if (b[body + 2] === 0 && body + 5 + nameLen <= body + len) out.sni = b.toString('latin1', body + 5, body + 5 + nameLen);
    } else if (type === 16 && len >= 2) {
      const protos: string[] = [];
      let p = body + 2;
      while (p < body + len) {
        const l = b[p];
        if (p + 1 + l > body + len) break;
        protos.push(b.toString('latin1', p + 1, p + 1 + l));
        p += 1 + l;
      }
      out.alpn = protos;
    } else if (type === 43 && len >= 3) {
      for (let p = body + 1; p + 2 <= body + 1 + b[body] && p + 2 <= body + len; p += 2) {
        const v = b.readUInt16BE(p);
        if (v === 0x0304) out.version = 'TLS 1.3';
      }
    }
    o = body + len;
  }
  if (extEnd > b.length) out.partial = true;
  return out;
}

/** `CONNECT host:port HTTP/1.1` -> host and port. */
export function parseConnectLine(b: Buffer): { host: string; port: number } | undefined {
  const line = b.toString('latin1', 0, Math.min(b.length, 256)).split('\r\n')[0];
  const m = /^CONNECT (\[[0-9a-fA-F:.]+\]|[^\s:]+):(\d{1,5}) HTTP\/1\.[01]$/.exec(line);
  if (!m) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** Formats a 4- or 16-byte address. */
export function ipString(b: Buffer, family: number): string {
  if (family === 2) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(b.readUInt16BE(i).toString(16));
  // IPv4-mapped
  if (words.slice(0, 5).every((w) => w === '0') && words[5] === 'ffff') return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  // longest run of zeros -> ::
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLen).join(':')}`;
}
