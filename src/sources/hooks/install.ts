// `agentwarden hooks install|uninstall|status`: merges AgentWarden's hook command into the
// agent's own hook configuration without touching existing hooks, and undoes it exactly.
// A manifest under <home>/hooks/ keeps, per installed file, the original bytes and the
// SHA-256 of what we wrote. Uninstall restores the original byte for byte when the file is
// unchanged since install; when someone edited it since, it removes only our entries (and
// says so), so their edits survive.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AwError } from '../../core/errors.js';
import type { HookAgent } from './map.js';

export type HookScope = 'user' | 'project';

/** Hook events we register, per agent (see ../shared/research/agent-telemetry.md). */
export const HOOK_EVENTS: Record<HookAgent, readonly string[]> = {
  claude: ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionRequest', 'SubagentStart', 'SubagentStop', 'Notification', 'PreCompact', 'Stop', 'SessionEnd'],
  codex: ['SessionStart', 'UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PermissionRequest', 'SubagentStart', 'SubagentStop', 'PreCompact', 'Stop', 'SessionEnd'],
  gemini: ['SessionStart', 'BeforeAgent', 'BeforeTool', 'AfterTool', 'AfterAgent', 'Notification', 'PreCompress', 'SessionEnd'],
  // preToolUse/postToolUse cover shell, MCP and file tools; the per-kind before*/after*
  // events would record each shell call twice.
  cursor: ['sessionStart', 'beforeSubmitPrompt', 'preToolUse', 'postToolUse', 'postToolUseFailure', 'afterFileEdit', 'subagentStart', 'subagentStop', 'stop', 'sessionEnd'],
};

export interface InstallEnv {
  home?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** The agent's hook configuration file for a scope. */
export function agentConfigPath(agent: HookAgent, scope: HookScope, e: InstallEnv = {}): string {
  const env = e.env ?? process.env;
  const home = e.home ?? homedir();
  const cwd = e.cwd ?? process.cwd();
  switch (agent) {
    case 'claude':
      return scope === 'user' ? join(home, '.claude', 'settings.json') : join(cwd, '.claude', 'settings.json');
    case 'codex':
      return scope === 'user' ? join(env.CODEX_HOME ? resolve(env.CODEX_HOME) : join(home, '.codex'), 'hooks.json') : join(cwd, '.codex', 'hooks.json');
    case 'gemini':
      return scope === 'user' ? join(home, '.gemini', 'settings.json') : join(cwd, '.gemini', 'settings.json');
    case 'cursor':
      return scope === 'user' ? join(home, '.cursor', 'hooks.json') : join(cwd, '.cursor', 'hooks.json');
  }
}

const shq = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function packageRoot(): string | undefined {
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let dir = start;
    for (;;) {
      const pkg = join(dir, 'package.json');
      try {
        if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'agentwarden') return dir;
      } catch {
        /* keep looking */
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

/** The native client if it was built (scripts/setup.d/15-hook-client.sh), else undefined. */
export function nativeClientPath(): string | undefined {
  const root = packageRoot();
  const p = root ? join(root, 'native', 'build', 'agentwarden-hook') : undefined;
  return p && existsSync(p) ? p : undefined;
}

export function nodeClientPath(): string {
  return fileURLToPath(new URL('./client.js', import.meta.url));
}

export interface ClientOptions {
  agent: HookAgent;
  socket: string;
  spool: string;
  fail: 'open' | 'closed';
  timeoutMs: number;
  /** Force the Node client (tests, or no compiler). */
  node?: boolean;
}

/** The shell command line the agent runs for every hook event. */
export function hookCommand(o: ClientOptions): string {
  const native = o.node ? undefined : nativeClientPath();
  const exe = native ? [native] : [process.execPath, nodeClientPath()];
  return [...exe, '--agent', o.agent, '--socket', o.socket, '--spool', o.spool, '--fail', o.fail, '--timeout-ms', String(o.timeoutMs)].map(shq).join(' ');
}

interface ManifestEntry {
  agent: HookAgent;
  scope: HookScope;
  path: string;
  command: string;
  existed: boolean;
  /** Directories we created for the file (removed again on uninstall when empty). */
  created_dirs: string[];
  backup?: string;
  installed_sha256: string;
  installed_at: string;
}

interface Manifest {
  version: 1;
  installs: ManifestEntry[];
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

function manifestDir(awHome: string): string {
  return join(awHome, 'hooks');
}

function readManifest(awHome: string): Manifest {
  const f = join(manifestDir(awHome), 'manifest.json');
  if (!existsSync(f)) return { version: 1, installs: [] };
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as Manifest;
  } catch (err) {
    throw new AwError('HOOKS_MANIFEST', `cannot read ${f}: ${(err as Error).message}`, { cause: err });
  }
}

function writeAtomic(file: string, data: Buffer | string, mode?: number): void {
  const tmp = `${file}.aw-tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode: mode ?? 0o600 });
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function writeManifest(awHome: string, m: Manifest): void {
  mkdirSync(manifestDir(awHome), { recursive: true, mode: 0o700 });
  writeAtomic(join(manifestDir(awHome), 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
}

type Json = Record<string, unknown>;

function parseConfig(path: string, text: string): Json {
  if (!text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new AwError('HOOKS_CONFIG', `${path} is not valid JSON (${(err as Error).message}); not touching it`, { cause: err });
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AwError('HOOKS_CONFIG', `${path}: expected a JSON object; not touching it`);
  return v as Json;
}

function hooksObject(cfg: Json, path: string): Json {
  if (cfg.hooks === undefined) cfg.hooks = {};
  if (!cfg.hooks || typeof cfg.hooks !== 'object' || Array.isArray(cfg.hooks)) throw new AwError('HOOKS_CONFIG', `${path}: "hooks" is not an object; not touching it`);
  return cfg.hooks as Json;
}

function ourEntry(agent: HookAgent, command: string): Json {
  return agent === 'cursor' ? { command, type: 'command' } : { matcher: '*', hooks: [{ type: 'command', command }] };
}

/** Adds our handler to every event, after the existing ones. */
function merge(agent: HookAgent, cfg: Json, path: string, command: string): void {
  if (agent === 'cursor' && cfg.version === undefined) cfg.version = 1;
  const hooks = hooksObject(cfg, path);
  for (const ev of HOOK_EVENTS[agent]) {
    const list = hooks[ev];
    if (list !== undefined && !Array.isArray(list)) throw new AwError('HOOKS_CONFIG', `${path}: hooks.${ev} is not an array; not touching it`);
    hooks[ev] = [...((list as unknown[] | undefined) ?? []), ourEntry(agent, command)];
  }
}

/** Counts handlers running `command` per event. */
function countOurs(cfg: Json, command: string): number {
  const hooks = cfg.hooks;
  if (!hooks || typeof hooks !== 'object') return 0;
  let n = 0;
  for (const list of Object.values(hooks as Json)) {
    if (!Array.isArray(list)) continue;
    for (const g of list as Json[]) {
      if (g?.command === command) n++;
      if (Array.isArray(g?.hooks)) n += (g.hooks as Json[]).filter((h) => h?.command === command).length;
    }
  }
  return n;
}

function countAll(cfg: Json): number {
  const hooks = cfg.hooks;
  if (!hooks || typeof hooks !== 'object') return 0;
  let n = 0;
  for (const list of Object.values(hooks as Json)) {
    if (!Array.isArray(list)) continue;
    for (const g of list as Json[]) n += Array.isArray(g?.hooks) ? (g.hooks as unknown[]).length : 1;
  }
  return n;
}

/** Removes our handlers (for a file edited since install). */
function removeOurs(cfg: Json, command: string): void {
  const hooks = cfg.hooks;
  if (!hooks || typeof hooks !== 'object') return;
  const h = hooks as Json;
  for (const [ev, list] of Object.entries(h)) {
    if (!Array.isArray(list)) continue;
    const kept: unknown[] = [];
    for (const g of list as Json[]) {
      if (g?.command === command) continue;
      if (Array.isArray(g?.hooks)) {
        const inner = (g.hooks as Json[]).filter((x) => x?.command !== command);
        if (!inner.length && (g.hooks as unknown[]).length) continue;
        kept.push({ ...g, hooks: inner });
      } else kept.push(g);
    }
    if (kept.length) h[ev] = kept;
    else delete h[ev];
  }
}

export interface InstallResult {
  agent: HookAgent;
  scope: HookScope;
  path: string;
  events: number;
  already?: boolean;
  note?: string;
}

export function installHooks(agent: HookAgent, scope: HookScope, awHome: string, client: ClientOptions, e: InstallEnv = {}): InstallResult {
  const path = agentConfigPath(agent, scope, e);
  const m = readManifest(awHome);
  if (m.installs.some((i) => i.path === path)) return { agent, scope, path, events: HOOK_EVENTS[agent].length, already: true };
  const existed = existsSync(path);
  const original = existed ? readFileSync(path) : undefined;
  const cfg = parseConfig(path, original?.toString('utf8') ?? '');
  const command = hookCommand(client);
  merge(agent, cfg, path, command);
  const text = `${JSON.stringify(cfg, null, 2)}\n`;
  const created: string[] = [];
  for (let d = dirname(path); !existsSync(d); d = dirname(d)) created.unshift(d);
  mkdirSync(dirname(path), { recursive: true });
  let backup: string | undefined;
  if (original) {
    backup = `${sha256(path).slice(0, 16)}-${Date.now()}.orig`;
    mkdirSync(join(manifestDir(awHome), 'backups'), { recursive: true, mode: 0o700 });
    writeAtomic(join(manifestDir(awHome), 'backups', backup), original);
  }
  // Manifest first: a crash after it but before the config write leaves a state that
  // uninstall handles (the file is unchanged, so nothing of ours is removed wrongly).
  m.installs.push({ agent, scope, path, command, existed, created_dirs: created, backup, installed_sha256: sha256(text), installed_at: new Date().toISOString() });
  writeManifest(awHome, m);
  writeAtomic(path, text, existed ? statSync(path).mode & 0o7777 : 0o600);
  const note = agent === 'codex' ? 'Codex runs unmanaged hooks only after review: open /hooks in the TUI once, or pass --dangerously-bypass-hook-trust to `codex exec`.' : undefined;
  return { agent, scope, path, events: HOOK_EVENTS[agent].length, ...(note ? { note } : {}) };
}

export interface UninstallResult {
  agent: HookAgent;
  scope: HookScope;
  path: string;
  /** 'restored' = original bytes back; 'removed' = file deleted (we created it); 'pruned' = our entries removed from an edited file; 'missing' = nothing installed. */
  action: 'restored' | 'removed' | 'pruned' | 'missing';
}

export function uninstallHooks(agent: HookAgent, scope: HookScope, awHome: string, e: InstallEnv = {}): UninstallResult {
  const path = agentConfigPath(agent, scope, e);
  const m = readManifest(awHome);
  const idx = m.installs.findIndex((i) => i.path === path);
  if (idx < 0) return { agent, scope, path, action: 'missing' };
  const entry = m.installs[idx];
  const current = existsSync(path) ? readFileSync(path) : undefined;
  const backupFile = entry.backup ? join(manifestDir(awHome), 'backups', entry.backup) : undefined;
  let action: UninstallResult['action'];
  if (current && sha256(current) !== entry.installed_sha256) {
    const cfg = parseConfig(path, current.toString('utf8'));
    removeOurs(cfg, entry.command);
    if (!entry.existed || (backupFile && !('hooks' in parseConfig(path, readFileSync(backupFile, 'utf8'))))) {
      if (cfg.hooks && typeof cfg.hooks === 'object' && !Object.keys(cfg.hooks).length) delete cfg.hooks;
    }
    writeAtomic(path, `${JSON.stringify(cfg, null, 2)}\n`, statSync(path).mode & 0o7777);
    action = 'pruned';
  } else if (entry.existed && backupFile) {
    const mode = current ? statSync(path).mode & 0o7777 : 0o600;
    writeAtomic(path, readFileSync(backupFile), mode);
    action = 'restored';
  } else {
    if (current) unlinkSync(path);
    for (const d of [...entry.created_dirs].reverse()) {
      try {
        rmdirSync(d);
      } catch {
        break; // not empty: someone else uses it
      }
    }
    action = 'removed';
  }
  m.installs.splice(idx, 1);
  writeManifest(awHome, m);
  if (backupFile && existsSync(backupFile)) unlinkSync(backupFile);
  return { agent, scope, path, action };
}

export interface StatusRow {
  agent: HookAgent;
  scope: HookScope;
  path: string;
  exists: boolean;
  managed: boolean;
  ours: number;
  other: number;
  error?: string;
}

export function hookStatus(awHome: string, e: InstallEnv = {}): StatusRow[] {
  const m = readManifest(awHome);
  const rows: StatusRow[] = [];
  for (const agent of Object.keys(HOOK_EVENTS) as HookAgent[]) {
    for (const scope of ['user', 'project'] as HookScope[]) {
      const path = agentConfigPath(agent, scope, e);
      const entry = m.installs.find((i) => i.path === path);
      const row: StatusRow = { agent, scope, path, exists: existsSync(path), managed: Boolean(entry), ours: 0, other: 0 };
      if (row.exists) {
        try {
          const cfg = parseConfig(path, readFileSync(path, 'utf8'));
          const all = countAll(cfg);
          row.ours = entry ? countOurs(cfg, entry.command) : 0;
          row.other = all - row.ours;
        } catch (err) {
          row.error = (err as Error).message;
        }
      }
      rows.push(row);
    }
  }
  return rows;
}
