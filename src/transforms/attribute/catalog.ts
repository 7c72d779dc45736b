// The agent signature catalog (config/agents.yaml plus user files): which process is an
// agent, its version, where its own session id comes from, and which environment markers
// are worth keeping. Compiled once into closures.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { LocatedError } from '../../core/errors.js';

export interface AgentSignature {
  kind: string;
  name?: string;
  exe?: string[];
  exe_regex?: string[];
  script?: string[];
  package?: string;
  session_env?: string[];
  session_argv?: string[];
  session_path?: string[];
  /** JSON key in the first line of the session_path file holding the full id (when the name has only a prefix). */
  session_file_key?: string;
  markers?: string[];
  nested?: 'inherit' | 'session';
}

export interface CompiledSignature extends AgentSignature {
  exeRes: RegExp[];
  pathRes: RegExp[];
}

export interface AgentMatch {
  sig: CompiledSignature;
  /** The path that identified it (executable or script), for the version lookup. */
  path: string;
}

const INTERPRETERS = /^(node|nodejs|bun|deno|python(\d+(\.\d+)?)?|env|npx|uv|uvx|pipx)$/;
const FIELDS = new Set(['kind', 'name', 'exe', 'exe_regex', 'script', 'package', 'session_env', 'session_argv', 'session_path', 'session_file_key', 'markers', 'nested']);

/** The catalog shipped with AgentWarden (config/agents.yaml), located from this module or the cwd. */
export function defaultCatalogPath(): string | undefined {
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const s of starts) {
    let d = s;
    for (let i = 0; i < 8; i++) {
      const p = join(d, 'config', 'agents.yaml');
      if (existsSync(p)) return p;
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  return undefined;
}

function parseCatalogFile(file: string): { agents: AgentSignature[]; markers: string[] } {
  const text = readFileSync(file, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const at = (node: unknown, msg: string): never => {
    const off = (node as { range?: number[] } | undefined)?.range?.[0] ?? 0;
    const p = lc.linePos(off);
    throw new LocatedError('CATALOG_INVALID', file, p.line, p.col, msg);
  };
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new LocatedError('CATALOG_INVALID', file, e.linePos?.[0]?.line ?? 1, e.linePos?.[0]?.col ?? 1, e.message);
  }
  const root = doc.contents;
  if (!isMap(root)) at(root, 'the catalog must be a mapping with an `agents` list');
  const agentsNode = (root as { get(k: string, keep: true): unknown }).get('agents', true);
  const agents: AgentSignature[] = [];
  if (agentsNode !== undefined) {
    if (!isSeq(agentsNode)) at(agentsNode, '`agents` must be a list');
    for (const item of (agentsNode as { items: unknown[] }).items) {
      if (!isMap(item)) at(item, 'each agent must be a mapping');
      const obj = (item as { toJSON(): Record<string, unknown> }).toJSON();
      for (const k of Object.keys(obj)) if (!FIELDS.has(k)) at(item, `unknown field '${k}'`);
      if (typeof obj.kind !== 'string' || !/^[a-z][a-z0-9-]*$/.test(obj.kind)) at(item, '`kind` must be a lowercase token');
      for (const k of ['exe', 'exe_regex', 'script', 'session_env', 'session_argv', 'session_path', 'markers']) {
        const v = obj[k];
        if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))) at(item, `\`${k}\` must be a list of strings`);
      }
      for (const k of ['exe_regex', 'session_path']) {
        for (const re of (obj[k] as string[] | undefined) ?? []) {
          try {
            new RegExp(re);
          } catch (err) {
            at(item, `\`${k}\`: invalid regular expression ${JSON.stringify(re)}: ${(err as Error).message}`);
          }
        }
      }
      agents.push(obj as unknown as AgentSignature);
    }
  }
  const markersNode = (root as { get(k: string): unknown }).get('markers');
  const markers = markersNode && isSeq(markersNode) ? ((markersNode as { toJSON(): string[] }).toJSON()) : [];
  return { agents, markers };
}

export class AgentCatalog {
  readonly signatures: CompiledSignature[];
  private readonly markerNames: Set<string>;
  private readonly versionCache = new Map<string, string | undefined>();

  constructor(agents: AgentSignature[], extraMarkers: string[] = []) {
    this.signatures = agents.map((a) => ({ ...a, exeRes: (a.exe_regex ?? []).map((r) => new RegExp(r)), pathRes: (a.session_path ?? []).map((r) => new RegExp(r)) }));
    this.markerNames = new Set([...extraMarkers, ...agents.flatMap((a) => [...(a.markers ?? []), ...(a.session_env ?? [])])]);
  }

  /** Loads the shipped catalog and then each user file (same kind = replace). */
  static load(userFiles: string[] = []): AgentCatalog {
    const files = [defaultCatalogPath(), ...userFiles.map((f) => resolve(f))].filter((f): f is string => Boolean(f));
    const byKind = new Map<string, AgentSignature>();
    const markers: string[] = [];
    for (const f of files) {
      const c = parseCatalogFile(f);
      for (const a of c.agents) byKind.set(a.kind, a);
      markers.push(...c.markers);
    }
    return new AgentCatalog([...byKind.values()], markers);
  }

  isMarker = (name: string): boolean => this.markerNames.has(name);

  get(kind: string): CompiledSignature | undefined {
    return this.signatures.find((s) => s.kind === kind);
  }

  /** Matches an exec (executable path and argv) against the signatures. */
  match(exe: string | undefined, argv: readonly string[]): AgentMatch | undefined {
    const names: Array<[string, string]> = [];
    if (exe) names.push([posix.basename(exe), exe]);
    if (argv[0]) names.push([posix.basename(argv[0]), argv[0]]);
    for (const sig of this.signatures) {
      for (const [base, path] of names) {
        if (sig.exe?.includes(base) || sig.exeRes.some((r) => r.test(base))) return { sig, path };
      }
    }
    // interpreter running a script: node /x/@google/gemini-cli/bundle/gemini.js, env node /x/.bin/gemini
    const interp = names.some(([b]) => INTERPRETERS.test(b));
    if (!interp) return undefined;
    for (let i = 1; i < Math.min(argv.length, 5); i++) {
      const a = argv[i];
      if (a.startsWith('-') || INTERPRETERS.test(a)) continue;
      const base = posix.basename(a).replace(/\.(c|m)?js$|\.py$/, '');
      for (const sig of this.signatures) {
        if (sig.script?.some((s) => a.includes(s)) || sig.exe?.includes(base) || sig.exeRes.some((r) => r.test(base))) return { sig, path: a };
      }
      break; // only the first script argument counts
    }
    return undefined;
  }

  /** The agent's version from the package.json above its executable or script (cached). */
  version(sig: CompiledSignature, path: string, cwd?: string): string | undefined {
    if (!sig.package) return undefined;
    const key = `${sig.kind}\0${path}`;
    if (this.versionCache.has(key)) return this.versionCache.get(key);
    let v: string | undefined;
    try {
      let d = dirname(posix.isAbsolute(path) ? path : resolve(cwd ?? '/', path));
      for (let i = 0; i < 8 && !v; i++) {
        for (const cand of [join(d, 'package.json'), join(d, 'node_modules', sig.package, 'package.json'), join(d, '..', sig.package.split('/').pop() ?? '', 'package.json')]) {
          if (!existsSync(cand)) continue;
          const pj = JSON.parse(readFileSync(cand, 'utf8')) as { name?: string; version?: string };
          if (pj.name === sig.package && typeof pj.version === 'string') {
            v = pj.version;
            break;
          }
        }
        const up = dirname(d);
        if (up === d) break;
        d = up;
      }
      // a symlinked .bin entry: follow it
      if (!v && existsSync(path)) {
        const real = realOrUndefined(path);
        if (real && real !== path) v = this.version(sig, real);
      }
    } catch {
      v = undefined;
    }
    this.versionCache.set(key, v);
    return v;
  }
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}
