// Containment playbooks keyed to the incident's IoC class. The plan is built from the
// blast radius; each step either runs (and is recorded in the incident log and, where it
// changes the record, as an `incident.action` event) or is listed as a recommendation a
// human must carry out (credential rotation: we cannot rotate a secret for the user).
//   git_revert          revert the range of commits the agent made (git revert --no-edit)
//   rotate_credentials  the credentials read in the window, with how to rotate each
//   quarantine          mark the sessions' records as quarantined (baselines skip them)
//   rule                a deny rule file in the rules dir blocking the same paths/endpoints
//   notify              an incident.action 'notify' event that the configured exporters forward
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { AwError } from '../../core/errors.js';
import type { EventStore } from '../../sinks/store/index.js';
import { blastRadius, type BlastRadius } from '../blast/blast.js';
import type { ContainAction, ResponseConfig } from '../config.js';
import { IncidentDb } from '../incident/db.js';
import { defaultActor, recordAction } from '../incident/incidents.js';

export interface PlanStep {
  action: ContainAction;
  title: string;
  /** 'planned' in a dry run; after a run: done | recommended | skipped | failed. */
  status: 'planned' | 'done' | 'recommended' | 'skipped' | 'failed';
  commands?: string[];
  detail: Record<string, unknown>;
}

export interface ContainResult {
  incident: string;
  ioc_class: string;
  dry_run: boolean;
  steps: PlanStep[];
}

/** IoC class from an id like AW-IOC-CRED-001 or TRACE-IOC-EXFIL-002. */
export function iocClass(iocIds: string[]): string {
  for (const id of iocIds) {
    const m = /IOC-([A-Z]+)-/i.exec(id);
    if (m) return m[1].toUpperCase();
  }
  return 'GENERIC';
}

// Which steps each class's playbook includes, in order (all classes quarantine and notify).
const PLAYBOOKS: Record<string, ContainAction[]> = {
  CRED: ['rotate_credentials', 'rule', 'git_revert', 'quarantine', 'notify'],
  EXFIL: ['rotate_credentials', 'rule', 'git_revert', 'quarantine', 'notify'],
  PERSIST: ['git_revert', 'rule', 'rotate_credentials', 'quarantine', 'notify'],
  SUPPLY: ['git_revert', 'rule', 'rotate_credentials', 'quarantine', 'notify'],
  INJECT: ['rule', 'git_revert', 'rotate_credentials', 'quarantine', 'notify'],
  GENERIC: ['git_revert', 'rotate_credentials', 'rule', 'quarantine', 'notify'],
};

const ROTATE_HOWTO: Record<string, string> = {
  'AWS credentials': 'aws iam create-access-key, update consumers, then aws iam delete-access-key for the old key',
  'SSH private key': 'ssh-keygen a new key, replace it in authorized_keys / forge settings, remove the old public key',
  'dotenv secrets': 'rotate every secret the file holds at its issuer',
  'npm token': 'npm token revoke <id>; npm token create',
  'PyPI token': 'revoke the token in PyPI account settings and issue a new one',
  'git credentials': 'revoke the personal access token at the forge and issue a new one',
  'GitHub CLI token': 'gh auth refresh / revoke the OAuth token in GitHub settings',
  'Kubernetes credentials': 'rotate the service-account token or client certificate',
};

function yamlQuote(s: string): string {
  return JSON.stringify(s);
}

/** The deny rule file (rule engine syntax, src/rules) blocking what this incident did. */
export function blockingRules(incidentId: string, br: BlastRadius): string | undefined {
  const rules: Array<Record<string, unknown>> = [];
  const credPaths = [...new Set(br.credentials.map((c) => c.path))].sort();
  const tag = incidentId.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  if (credPaths.length) {
    rules.push({
      rule: `contain-${tag}-credentials`,
      title: `Agent read of credentials seen in ${incidentId}`,
      severity: 'critical',
      action: 'deny',
      tags: ['containment', incidentId],
      attack: ['T1552.001'],
      condition: `session.id exists and file.path in (${credPaths.map(yamlQuote).join(', ')})`,
      output: `agent session %session.id read %file.path (blocked after ${incidentId})`,
    });
  }
  const eps = br.endpoints.filter((e) => e.after_credential_read);
  const hosts = [...new Set(eps.map((e) => e.host ?? e.ip).filter((h): h is string => Boolean(h)))].sort();
  if (hosts.length) {
    rules.push({
      rule: `contain-${tag}-endpoints`,
      title: `Agent connection to endpoints that received data in ${incidentId}`,
      severity: 'critical',
      action: 'deny',
      tags: ['containment', incidentId],
      attack: ['T1041'],
      condition: `session.id exists and (network.dst_ip in (${hosts.map(yamlQuote).join(', ')}) or network.dst_host in (${hosts.map(yamlQuote).join(', ')}))`,
      output: `agent session %session.id connected to %network.dst_ip (blocked after ${incidentId})`,
    });
  }
  if (!rules.length) return undefined;
  return `# Written by 'agentwarden contain ${incidentId}'. Review, then keep or delete.\n${stringify(rules)}`;
}

export interface ContainOptions {
  dryRun: boolean;
  /** Actions allowed to run (default: all). Others are listed as skipped. */
  allowed?: ContainAction[];
  actor?: string;
  db?: IncidentDb;
  cfg?: ResponseConfig;
  /** Rules directory (default cfg.rules_dir or <home>/rules). */
  rulesDir?: string;
  home?: string;
  /** Names of the configured exporters (from the config's exporters section). */
  exporters?: string[];
}

export function runContainment(store: EventStore, incidentId: string, opts: ContainOptions): ContainResult {
  const db = opts.db ?? IncidentDb.open(store.dir);
  try {
    const inc = db.require(incidentId);
    if (!opts.dryRun && !store.writable) throw new AwError('STORE_READONLY', 'containment records its actions in the store: open it with its key');
    const actor = opts.actor ?? defaultActor();
    const br = blastRadius(store, { kind: 'incident', id: inc.id, sessions: inc.sessions, incident: inc });
    const cls = iocClass(inc.ioc_ids);
    const allowed = new Set(opts.allowed ?? ['git_revert', 'rotate_credentials', 'quarantine', 'rule', 'notify']);
    const steps: PlanStep[] = [];
    for (const action of PLAYBOOKS[cls] ?? PLAYBOOKS.GENERIC) {
      const step = planStep(action, inc.id, inc.sessions, br, opts);
      if (!step) continue;
      if (opts.dryRun) {
        step.status = 'planned';
      } else if (!allowed.has(action)) {
        step.status = 'skipped';
        step.detail.why = 'not allowed for this run (response.autonomous.actions)';
      } else {
        execute(step, store, inc.id, inc.sessions, opts);
      }
      steps.push(step);
    }
    if (!opts.dryRun) {
      db.log(inc.id, actor, 'contain', { ioc_class: cls, steps: steps.map((s) => ({ action: s.action, status: s.status, title: s.title, detail: s.detail })) });
      recordAction(store, inc.id, 'contain', { sessions: inc.sessions, ioc_class: cls, steps: steps.map((s) => ({ action: s.action, status: s.status })), actor });
    }
    return { incident: inc.id, ioc_class: cls, dry_run: opts.dryRun, steps };
  } finally {
    if (!opts.db) db.close();
  }
}

function rulesDirOf(opts: ContainOptions, store: EventStore): string {
  if (opts.rulesDir) return resolve(opts.rulesDir);
  if (opts.cfg?.rules_dir) return resolve(opts.cfg.rules_dir);
  return join(opts.home ?? resolve(store.dir, '..'), 'rules');
}

function planStep(action: ContainAction, id: string, sessions: string[], br: BlastRadius, opts: ContainOptions): PlanStep | undefined {
  switch (action) {
    case 'git_revert': {
      const commits = br.git.filter((g) => g.kind === 'commit' && g.sha && g.repo);
      if (!commits.length) return undefined;
      const byRepo = new Map<string, string[]>();
      for (const c of commits) byRepo.set(c.repo!, [...(byRepo.get(c.repo!) ?? []), c.sha!]);
      const commands = [...byRepo].map(([repo, shas]) => `git -C ${repo} revert --no-edit ${shas.length > 1 ? `${shas[0]}^..${shas[shas.length - 1]}` : shas[0]}`);
      return { action, title: `revert ${commits.length} commit(s) made in the window`, status: 'planned', commands, detail: { repos: Object.fromEntries(byRepo), pushed: br.git.some((g) => g.kind === 'push') } };
    }
    case 'rotate_credentials': {
      if (!br.credentials.length) return undefined;
      const list = [...new Map(br.credentials.map((c) => [c.path, c])).values()].map((c) => ({ path: c.path, kind: c.kind, read_at: c.time, by: c.process, how: ROTATE_HOWTO[c.kind] ?? 'rotate at the issuer' }));
      return { action, title: `rotate ${list.length} credential(s) read in the window`, status: 'planned', detail: { credentials: list } };
    }
    case 'quarantine':
      return { action, title: `quarantine the records of ${sessions.length} session(s) (excluded from baselines)`, status: 'planned', detail: { sessions } };
    case 'rule': {
      return { action, title: 'write a deny rule blocking the same paths and endpoints', status: 'planned', detail: { file: join('<rules dir>', `contain-${id}.yaml`), rules: blockingRules(id, br) ?? '(nothing specific to block)' } };
    }
    case 'notify': {
      const ex = opts.exporters ?? [];
      return { action, title: ex.length ? `notify through exporters: ${ex.join(', ')} (an incident.action event their daemon service forwards from the store)` : 'notify: no exporters configured, nothing will be sent', status: 'planned', detail: { exporters: ex } };
    }
  }
}

function execute(step: PlanStep, store: EventStore, id: string, sessions: string[], opts: ContainOptions): void {
  switch (step.action) {
    case 'git_revert': {
      const results: Array<{ command: string; ok: boolean; output: string }> = [];
      for (const [repo, shas] of Object.entries(step.detail.repos as Record<string, string[]>)) {
        const range = shas.length > 1 ? `${shas[0]}^..${shas[shas.length - 1]}` : shas[0];
        const r = spawnSync('git', ['-C', repo, 'revert', '--no-edit', range], { encoding: 'utf8' });
        results.push({ command: `git -C ${repo} revert --no-edit ${range}`, ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(0, 4000) });
      }
      step.status = results.every((r) => r.ok) ? 'done' : 'failed';
      step.detail.results = results;
      return;
    }
    case 'rotate_credentials':
      step.status = 'recommended';
      return;
    case 'quarantine':
      step.detail.event_seq = recordAction(store, id, 'quarantine', { sessions, reason: `contained incident ${id}` });
      step.status = 'done';
      return;
    case 'rule': {
      const text = step.detail.rules;
      if (typeof text !== 'string' || text.startsWith('(')) {
        step.status = 'skipped';
        step.detail.why = 'nothing specific to block';
        return;
      }
      const dir = rulesDirOf(opts, store);
      mkdirSync(dir, { recursive: true });
      const file = join(dir, `contain-${id}.yaml`);
      writeFileSync(file, text);
      step.detail.file = file;
      step.status = 'done';
      return;
    }
    case 'notify': {
      const ex = opts.exporters ?? [];
      if (!ex.length) {
        step.status = 'skipped';
        step.detail.why = 'no exporters configured';
        return;
      }
      step.detail.event_seq = recordAction(store, id, 'notify', { sessions, exporters: ex });
      step.status = 'done';
      return;
    }
  }
}

/** Sessions whose records are quarantined (for baselines and detection to skip). */
export function quarantinedSessions(store: EventStore): Set<string> {
  const out = new Set<string>();
  for (const ev of store.iterate({ kinds: ['incident.action'] })) {
    const at = ev.attributes ?? {};
    if (at.action === 'quarantine' && Array.isArray(at.sessions)) for (const s of at.sessions) out.add(String(s));
  }
  return out;
}
