// Sysmon records (Windows Sysmon and Sysmon for Linux) to normalized events, from the two
// JSON shapes in circulation: evtx-dump (`Event.System` / `Event.EventData`, XML attributes
// under `#attributes`) and the flattened Security-Datasets/Winlogbeat-like shape (EventData
// fields at top level, numbers as strings). Fields without a normalized home are kept
// under `attributes.<SysmonName>` so Sigma rules can still name them.
import type { AwEvent, EventKind } from '../../schema/index.js';

const SYSMON_PROVIDER = 'Microsoft-Windows-Sysmon';

const KIND_BY_ID: Record<number, EventKind> = {
  1: 'process.exec',
  3: 'network.connect',
  5: 'process.exit',
  7: 'library.load',
  11: 'file.create',
  12: 'registry.change',
  13: 'registry.change',
  14: 'registry.change',
  22: 'network.dns',
  23: 'file.delete',
  26: 'file.delete',
};

/** Envelope fields of the flattened shape (not event data). */
const ENVELOPE = new Set([
  'SourceName', 'EventID', 'Hostname', 'Message', 'Channel', 'Task', 'TimeCreated', 'Keywords', 'Severity', 'Version', 'Level', 'Opcode', 'EventTime',
  'RecordNumber', 'ExecutionProcessID', 'ExecutionThreadID', 'ProviderGuid', '@timestamp', '@version', 'tags', 'host', 'port', 'SourceModuleName',
  'SourceModuleType', 'EventReceivedTime', 'AccountName', 'AccountType', 'Domain', 'UserID', 'SeverityValue', 'ThreadID', 'ProcessID',
]);

/** Fields consumed into normalized slots (everything else goes to attributes). */
const CONSUMED = new Set([
  'ProcessId', 'Image', 'CommandLine', 'CurrentDirectory', 'ParentProcessId', 'ParentImage', 'ParentCommandLine', 'TargetFilename', 'ImageLoaded',
  'TargetObject', 'Details', 'QueryName', 'QueryResults', 'DestinationIp', 'DestinationPort', 'DestinationHostname', 'SourceIp', 'SourcePort',
  'Protocol', 'Initiated', 'UtcTime', 'EventType', 'NewName', 'User',
]);

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v.replace(/,/g, ''))) return Number(v.replace(/,/g, ''));
  return undefined;
}

function str(v: unknown): string | undefined {
  return v === undefined || v === null || v === '' || v === '-' ? undefined : String(v);
}

/** Windows command line to argv (CommandLineToArgvW rules: quotes, 2n backslashes). */
export function splitWindowsCommandLine(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  let has = false;
  for (let i = 0; i < cmd.length; i++) {
    const c = cmd[i];
    if (c === '\\') {
      let n = 0;
      while (cmd[i] === '\\') {
        n++;
        i++;
      }
      if (cmd[i] === '"') {
        cur += '\\'.repeat(Math.floor(n / 2));
        if (n % 2) cur += '"';
        else inQ = !inQ;
        has = true;
      } else {
        cur += '\\'.repeat(n);
        i--;
        has = true;
      }
    } else if (c === '"') {
      inQ = !inQ;
      has = true;
    } else if ((c === ' ' || c === '\t') && !inQ) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

/** Decodes `powershell -e/-enc/-EncodedCommand <base64 UTF-16LE>` for process.decoded. */
function decodePowerShell(argv: string[]): Array<{ via: string; text: string }> | undefined {
  const exe = (argv[0] ?? '').toLowerCase();
  if (!/(powershell|pwsh)(\.exe)?$/.test(exe)) return undefined;
  for (let i = 1; i < argv.length - 1; i++) {
    if (/^[-/\u2013\u2014\u2015]e(c|n|nc|nco|ncod|ncode|ncoded|ncodedc|ncodedco|ncodedcom|ncodedcomm|ncodedcomma|ncodedcomman|ncodedcommand)?$/i.test(argv[i])) {
      const b64 = argv[i + 1];
      if (!/^[A-Za-z0-9+/=]{8,}$/.test(b64)) continue;
      const text = Buffer.from(b64, 'base64').toString('utf16le');
      if (text) return [{ via: 'powershell_enc', text }];
    }
  }
  return undefined;
}

function isoTime(utc: unknown, fallback: unknown): string {
  const u = str(utc);
  if (u && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?$/.test(u)) return `${u.replace(' ', 'T')}Z`;
  const f = str(fallback);
  if (f && !Number.isNaN(Date.parse(f))) return new Date(Date.parse(f.includes('T') || f.endsWith('Z') ? f : `${f.replace(' ', 'T')}Z`)).toISOString();
  return '1970-01-01T00:00:00Z';
}

/** Normalizes one Sysmon record; returns undefined for non-Sysmon records and unmapped IDs. */
export function sysmonToEvent(record: unknown, ref?: string): AwEvent | undefined {
  if (!record || typeof record !== 'object') return undefined;
  const r = record as Record<string, unknown>;
  let id: number | undefined;
  let data: Record<string, unknown>;
  let host: string | undefined;
  let created: unknown;
  let provider: string | undefined;
  const evt = r.Event as Record<string, unknown> | undefined;
  if (evt && typeof evt === 'object' && evt.System) {
    const sys = evt.System as Record<string, unknown>;
    const prov = sys.Provider as { '#attributes'?: { Name?: string } } | undefined;
    provider = prov?.['#attributes']?.Name;
    id = num(typeof sys.EventID === 'object' && sys.EventID ? (sys.EventID as Record<string, unknown>)['#text'] : sys.EventID);
    data = (evt.EventData as Record<string, unknown>) ?? {};
    host = str(sys.Computer);
    created = (sys.TimeCreated as { '#attributes'?: { SystemTime?: string } } | undefined)?.['#attributes']?.SystemTime;
  } else {
    provider = str(r.SourceName) ?? str(r.ProviderName) ?? str(r.Provider);
    id = num(r.EventID);
    data = r;
    host = str(r.Hostname) ?? str(r.Computer);
    created = r.TimeCreated;
  }
  if (provider !== SYSMON_PROVIDER && provider !== 'Linux-Sysmon') return undefined;
  const kind = id !== undefined ? KIND_BY_ID[id] : undefined;
  if (!kind) return undefined;
  const cmd = str(data.CommandLine);
  const image = str(data.Image);
  const argv = cmd ? splitWindowsCommandLine(cmd) : image ? [image] : undefined;
  const isLinux = image?.startsWith('/') ?? false;
  const ev: AwEvent = {
    time: isoTime(data.UtcTime, created),
    kind,
    source: { type: 'import', name: 'sysmon', ref },
    host: { name: host ?? 'unknown', os: isLinux ? 'linux' : 'windows' },
  };
  const pid = num(data.ProcessId);
  if (pid !== undefined || image) {
    ev.process = { pid: pid ?? 0, exe: image, cwd: str(data.CurrentDirectory) };
    if (kind === 'process.exec') {
      ev.process.argv = argv;
      const ppid = num(data.ParentProcessId);
      if (ppid !== undefined) ev.process.ppid = ppid;
      if (ppid !== undefined || data.ParentImage) ev.process.ancestry = [{ pid: ppid ?? 0, exe: str(data.ParentImage) }];
      const decoded = argv ? decodePowerShell(argv) : undefined;
      if (decoded) ev.process.decoded = decoded;
    }
  }
  const attributes: Record<string, unknown> = { sysmon_event_id: id };
  if (cmd) attributes.command_line = cmd;
  if (str(data.ParentCommandLine)) attributes.parent_command_line = str(data.ParentCommandLine);
  if (str(data.User)) attributes.User = str(data.User);
  for (const [k, v] of Object.entries(data)) {
    if (CONSUMED.has(k) || v === null || v === undefined || typeof v === 'object') continue;
    if (evt === undefined && ENVELOPE.has(k)) continue;
    attributes[k] = typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' ? v : String(v);
  }
  ev.attributes = attributes;
  switch (kind) {
    case 'file.create':
    case 'file.delete':
      ev.file = { path: str(data.TargetFilename) ?? '', intent: [kind === 'file.create' ? 'create' : 'delete'] };
      break;
    case 'library.load':
      ev.library = { path: str(data.ImageLoaded) ?? '' };
      break;
    case 'registry.change': {
      const key = str(data.TargetObject) ?? '';
      const t = str(data.EventType) ?? '';
      const op = /^SetValue/i.test(t) || id === 13 ? 'set' : /^CreateKey/i.test(t) ? 'create' : /^Delete/i.test(t) ? 'delete' : /^Rename/i.test(t) || id === 14 ? 'rename' : 'create';
      ev.registry = { key, value: key.split('\\').pop(), data: str(data.Details), operation: op };
      if (str(data.NewName)) attributes.NewName = str(data.NewName);
      attributes.EventType = t || undefined;
      break;
    }
    case 'network.dns':
      ev.dns = { query: str(data.QueryName) ?? '', answers: str(data.QueryResults)?.split(';').map((s) => s.trim()).filter(Boolean) };
      break;
    case 'network.connect': {
      const initiated = String(data.Initiated ?? '').toLowerCase();
      ev.network = {
        transport: str(data.Protocol),
        direction: initiated === 'true' ? 'outbound' : initiated === 'false' ? 'inbound' : undefined,
        dst_ip: str(data.DestinationIp),
        dst_port: num(data.DestinationPort),
        dst_host: str(data.DestinationHostname),
        src_ip: str(data.SourceIp),
        src_port: num(data.SourcePort),
      };
      break;
    }
    default:
      break;
  }
  return ev;
}

/** Splits a text of concatenated JSON values (evtx-dump output) into parsed values. */
export function parseConcatenatedJson(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      if (c === '\\') i++;
      else if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') inStr = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return out;
}
