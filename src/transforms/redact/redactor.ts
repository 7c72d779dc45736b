// The redaction transform: masks secrets (gitleaks rules) and PII in every string of an
// event before it is stored or exported, per retention mode. Identifiers and digests the
// product itself writes (event ids, session and tool call ids, hashes, commitments) are
// never scanned, and UUIDs / hex digests are never reported as secrets or PII.
import { readFileSync } from 'node:fs';
import type { Sink, Transform } from '../../core/component.js';
import type { AwEvent } from '../../schema/index.js';
import { REDACTION_DEFAULTS, type RedactionConfig, type RetentionMode } from './config.js';
import { gitleaksConfigFromToml, SecretScanner, type Finding, type GitleaksConfig } from './gitleaks.js';
import { GITLEAKS_DEFAULT } from './gitleaks-rules.js';
import { scanPii } from './pii.js';

export interface RedactorOptions {
  mode?: RetentionMode;
  seal?: boolean;
  pii?: boolean;
  /** Rules to use instead of the shipped gitleaks defaults. */
  rules?: GitleaksConfig;
}

/** Paths never scanned: identifiers, times, hashes and the product's own structure. */
const SKIP = new Set([
  'v',
  'id',
  'seq',
  'time',
  'kind',
  'source',
  'host',
  'session.id',
  'session.agent',
  'session.attribution',
  'session.tool_call_id',
  'session.parent_id',
  'agent.raw_type',
  'agent.operation',
  'agent.conversation_id',
  'agent.agent_id',
  'agent.tool.name',
  'agent.tool.call_id',
  'agent.tool.category',
  'agent.tool.status',
  'agent.subagent.session_id',
  'agent.subagent.agent_id',
  'agent.subagent.parent_tool_call_id',
  'agent.decision',
  'file.sha256',
  'alert',
  'sensor',
  'attributes.hook_event',
  'attributes.redaction',
  'attributes.aw_sealed',
]);

/** Content removed entirely in `metadata` mode. */
const CONTENT = ['agent.prompt.text', 'agent.response.text', 'agent.tool.input', 'agent.tool.output', 'agent.subagent.description', 'attributes.payload', 'attributes.raw', 'gateway.statement.text', 'process.decoded'];

// Our own digest notation ('sha256:<hex>', commitments) is never a secret. Bare UUIDs and
// hex digests are not PII; as secrets they count only where a rule's context says so
// (gitleaks' own fixtures include UUID-shaped API keys after 'heroku_api_key =' etc.), and
// the fields where the product writes its ids and digests are not scanned at all (SKIP).
const OWN_DIGEST = /^sha(?:1|256|384|512):[0-9a-f]{40,128}$/;
const ID_LIKE = /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$/;

export interface RedactionCounters {
  events: number;
  redacted_events: number;
  findings: Record<string, number>;
}

export interface Redactor extends Transform {
  readonly mode: RetentionMode;
  readonly counters: RedactionCounters;
  /** Findings in a text (secrets first, then PII not overlapping them). */
  scanText(text: string): Finding[];
  /** Masks a text; returns it unchanged when nothing was found. */
  redactText(text: string): { text: string; findings: Finding[] };
  /** Commitment paths for StoreWriter.write(event, paths) when `seal` is on. */
  commitPathsOf(event: AwEvent): string[] | undefined;
}

function mergeFindings(secrets: Finding[], pii: Finding[]): Finding[] {
  const all = [...secrets];
  for (const p of pii) if (!secrets.some((s) => p.start < s.end && p.end > s.start)) all.push(p);
  return all.sort((a, b) => a.start - b.start || b.end - a.end);
}

export function createRedactor(opts: RedactorOptions = {}): Redactor {
  const mode = opts.mode ?? REDACTION_DEFAULTS.mode;
  const seal = opts.seal ?? REDACTION_DEFAULTS.seal;
  const usePii = opts.pii ?? REDACTION_DEFAULTS.pii;
  const scanner = new SecretScanner(opts.rules ?? GITLEAKS_DEFAULT);
  const counters: RedactionCounters = { events: 0, redacted_events: 0, findings: {} };
  const commits = new WeakMap<AwEvent, string[]>();

  const scanText = (text: string): Finding[] => {
    const secrets = scanner.scan(text).filter((f) => !OWN_DIGEST.test(text.slice(f.start, f.end)));
    const pii = usePii ? scanPii(text).filter((f) => !ID_LIKE.test(text.slice(f.start, f.end))) : [];
    return mergeFindings(secrets, pii);
  };

  const redactText = (text: string): { text: string; findings: Finding[] } => {
    const findings = scanText(text);
    if (!findings.length) return { text, findings };
    let out = '';
    let pos = 0;
    for (const f of findings) {
      if (f.start < pos) continue; // inside a span already masked
      out += text.slice(pos, f.start) + `[REDACTED:${f.rule}]`;
      pos = f.end;
    }
    return { text: out + text.slice(pos), findings };
  };

  const apply = (event: AwEvent): AwEvent => {
    counters.events++;
    if (mode === 'full') return event;
    const found: Array<{ path: string; rule: string }> = [];
    const originals: Array<{ path: string; value: string }> = [];
    const walk = (v: unknown, path: string): unknown => {
      if (SKIP.has(path)) return v;
      if (typeof v === 'string') {
        if (v.length < 6) return v;
        const r = redactText(v);
        if (!r.findings.length) return v;
        for (const f of r.findings) found.push({ path, rule: f.rule });
        if (seal) originals.push({ path, value: v });
        return r.text;
      }
      if (Array.isArray(v)) {
        let changed = false;
        const arr = v.map((x, i) => {
          const y = walk(x, `${path}.${i}`);
          if (y !== x) changed = true;
          return y;
        });
        return changed ? arr : v;
      }
      if (v && typeof v === 'object') {
        if ('$commit' in v) return v;
        let changed = false;
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          const y = walk(x, path ? `${path}.${k}` : k);
          if (y !== x) changed = true;
          o[k] = y;
        }
        return changed ? o : v;
      }
      return v;
    };
    let ev = event;
    const omitted: string[] = [];
    if (mode === 'metadata') {
      ev = structuredClone(event);
      for (const p of CONTENT) if (deletePath(ev as unknown as Record<string, unknown>, p)) omitted.push(p);
    }
    const out = walk(ev, '') as AwEvent;
    if (!found.length && !omitted.length) return event;
    counters.redacted_events++;
    for (const f of found) counters.findings[f.rule] = (counters.findings[f.rule] ?? 0) + 1;
    const red: Record<string, unknown> = { mode };
    if (found.length) red.findings = found;
    if (omitted.length) red.omitted = omitted;
    const attrs: Record<string, unknown> = { ...(out.attributes ?? {}), redaction: red };
    const result: AwEvent = { ...out, attributes: attrs };
    if (seal && originals.length) {
      const sealed: Record<string, unknown> = {};
      const paths: string[] = [];
      originals.forEach((o, i) => {
        sealed[`s${i}`] = o;
        paths.push(`attributes.aw_sealed.s${i}`);
      });
      attrs.aw_sealed = sealed;
      commits.set(result, paths);
    }
    return result;
  };

  return {
    name: 'redact',
    mode,
    counters,
    scanText,
    redactText,
    apply,
    commitPathsOf: (event) => commits.get(event),
  };
}

function deletePath(o: Record<string, unknown>, path: string): boolean {
  const parts = path.split('.');
  let cur: Record<string, unknown> | undefined = o;
  for (let i = 0; i < parts.length - 1 && cur; i++) {
    const n: unknown = cur[parts[i]];
    cur = n && typeof n === 'object' && !Array.isArray(n) ? (n as Record<string, unknown>) : undefined;
  }
  const k = parts[parts.length - 1];
  if (!cur || !(k in cur)) return false;
  delete cur[k];
  return true;
}

/** Builds the redactor from the config section (loads a custom gitleaks TOML if named). */
export function redactorFromConfig(cfg: RedactionConfig = {}): Redactor {
  const rules = cfg.gitleaks_config ? gitleaksConfigFromToml(readFileSync(cfg.gitleaks_config, 'utf8'), cfg.gitleaks_config) : undefined;
  return createRedactor({ mode: cfg.mode, seal: cfg.seal, pii: cfg.pii, rules });
}

/** A store sink that hands the redactor's sealed paths to StoreWriter.write(event, paths). */
export function sealingSink(writer: Sink & { write(event: AwEvent, commit?: readonly string[]): unknown }, redactor: Redactor): Sink {
  return {
    name: writer.name,
    write: (event) => void writer.write(event, redactor.commitPathsOf(event)),
    flush: () => writer.flush(),
    close: () => writer.close(),
  };
}
