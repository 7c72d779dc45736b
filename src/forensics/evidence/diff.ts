// The unified diff of files changed in an incident window: from git when the workspace is
// a repository (commits made in the window plus uncommitted changes), otherwise from the
// snapshots taken when the incident was opened.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AwEvent } from '../../schema/index.js';
import { isCredentialPath, isDelete, isWrite } from '../common/classify.js';
import type { SnapshotEntry } from '../incident/incidents.js';

function git(cwd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('git', ['-C', cwd, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, GIT_PAGER: 'cat', LC_ALL: 'C' } });
  return { ok: r.status === 0, out: r.stdout ?? '' };
}

const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** Git repositories the events worked in (their cwd and the files they wrote). */
export function workspacesOf(events: AwEvent[]): string[] {
  const dirs = new Set<string>();
  for (const ev of events) {
    if (ev.process?.cwd) dirs.add(ev.process.cwd);
    const cwd = (ev.attributes as Record<string, unknown> | undefined)?.cwd;
    if (typeof cwd === 'string') dirs.add(cwd);
  }
  const tops = new Set<string>();
  for (const d of dirs) {
    if (!existsSync(d)) continue;
    const r = git(d, ['rev-parse', '--show-toplevel']);
    if (r.ok && r.out.trim()) tops.add(r.out.trim());
  }
  return [...tops].sort();
}

export interface GitCommit {
  repo: string;
  sha: string;
  time: string;
  subject: string;
}

/** Commits authored in [startIso, endIso] in the repository. */
export function commitsInWindow(repo: string, startIso: string, endIso?: string): GitCommit[] {
  const args = ['log', '--all', `--since=${startIso}`, '--format=%H%x09%aI%x09%s', '--reverse'];
  if (endIso) args.splice(3, 0, `--until=${endIso}`);
  const r = git(repo, args);
  if (!r.ok) return [];
  return r.out.split('\n').filter(Boolean).map((l) => {
    const [sha, time, ...rest] = l.split('\t');
    return { repo, sha, time, subject: rest.join('\t') };
  });
}

export function windowDiff(events: AwEvent[], snapshots: SnapshotEntry[], snapDir: string, window: { start: string }): string {
  const parts: string[] = [];
  const repos = workspacesOf(events);
  const inRepo = (p: string) => repos.some((r) => p === r || p.startsWith(r + '/'));
  for (const repo of repos) {
    const commits = commitsInWindow(repo, window.start);
    parts.push(`# repository ${repo}: ${commits.length} commit(s) in the window\n`);
    if (commits.length) {
      const first = commits[0].sha;
      const parent = git(repo, ['rev-parse', '--verify', '--quiet', `${first}^`]);
      const base = parent.ok ? parent.out.trim() : EMPTY_TREE;
      for (const c of commits) parts.push(`#   ${c.sha} ${c.time} ${c.subject}\n`);
      parts.push(git(repo, ['diff', '--no-color', '--no-ext-diff', base, commits[commits.length - 1].sha]).out);
    }
    const wt = git(repo, ['diff', '--no-color', '--no-ext-diff', 'HEAD']);
    if (wt.ok && wt.out) parts.push(`# uncommitted changes in ${repo}\n`, wt.out);
  }
  // Files outside any repository that the window wrote or deleted: from the snapshots.
  const changed = new Map<string, 'write' | 'delete'>();
  for (const ev of events) {
    const p = ev.file?.path;
    if (!p || inRepo(p)) continue;
    if (isDelete(ev)) changed.set(p, 'delete');
    else if (isWrite(ev)) changed.set(p, 'write');
  }
  const snapByPath = new Map(snapshots.map((s) => [s.path, s]));
  for (const [path, what] of [...changed].sort()) {
    const snap = snapByPath.get(path);
    if (what === 'delete' && !snap) {
      parts.push(`# ${path}: deleted in the window; no snapshot (it no longer existed when the incident opened)\n`);
      continue;
    }
    if (!snap?.blob) {
      parts.push(`# ${path}: written in the window; no snapshot${snap?.skipped ? ` (${snap.skipped})` : ''}\n`);
      continue;
    }
    if (isCredentialPath(path)) {
      parts.push(`# ${path}: credential file written in the window; content withheld, frozen sha256 ${snap.sha256}\n`);
      continue;
    }
    const blob = join(snapDir, snap.blob);
    // Content before the window was not recorded: show the frozen state as added lines,
    // then any change made after the freeze.
    parts.push(`# ${path}: written in the window; before-state not recorded, showing the state frozen at incident open\n`);
    parts.push(addedDiff(path, readFileSync(blob)));
    if (existsSync(path)) {
      const r = spawnSync('diff', ['-u', '--label', `frozen/${path}`, '--label', `now/${path}`, blob, path], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
      if (r.status === 1 && r.stdout) parts.push(`# ${path}: changed after the freeze\n`, r.stdout);
    } else parts.push(`# ${path}: deleted after the freeze\n`);
  }
  return parts.join('');
}

function addedDiff(path: string, data: Buffer): string {
  if (data.includes(0)) return `Binary file ${path} (${data.length} bytes)\n`;
  const lines = data.toString('utf8').split('\n');
  const noEol = lines[lines.length - 1] !== '';
  if (!noEol) lines.pop();
  let out = `--- /dev/null\n+++ b${path.startsWith('/') ? '' : '/'}${path}\n@@ -0,0 +1,${lines.length} @@\n`;
  for (const l of lines) out += `+${l}\n`;
  if (noEol) out += '\\ No newline at end of file\n';
  return out;
}
