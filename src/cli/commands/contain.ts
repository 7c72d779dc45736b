// `agentwarden contain INCIDENT [--dry-run]`: the containment playbook.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { runContainment } from '../../forensics/contain/contain.js';
import { openStore, openStoreReadonly } from '../../sinks/store/index.js';
import type { Command } from '../context.js';
import { termSafe } from '../output.js';
import { exporterNames, requireStoreDir, responseConfig } from './incident.js';

export const containCommand: Command = {
  summary: 'run (or with --dry-run, print) the containment playbook for an incident',
  usage: `Usage: agentwarden contain INCIDENT [--dry-run] [--json]

Steps, in the order the incident's IoC class calls for: revert the commits made in the
window (git revert), list the credentials to rotate (read in the window), quarantine the
sessions' records (excluded from baselines), write a deny rule into the rules dir that
blocks the same paths and endpoints, notify through the configured exporters. Every
action is recorded in the incident log; --dry-run prints the plan and changes nothing.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({ args, options: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true });
    const id = positionals[0];
    if (!id) throw new AwError('USAGE', 'contain INCIDENT');
    requireStoreDir(ctx);
    const dryRun = Boolean(values['dry-run']);
    const store = dryRun ? openStoreReadonly(ctx.paths, ctx.config.store ?? {}) : openStore(ctx.paths, ctx.config.store ?? {});
    try {
      const r = runContainment(store, id, { dryRun, cfg: responseConfig(ctx), home: ctx.paths.home, exporters: exporterNames(ctx) });
      if (ctx.json || values.json) ctx.out.write(`${JSON.stringify(r)}\n`);
      else {
        ctx.out.write(`${dryRun ? 'plan' : 'containment'} for ${termSafe(r.incident)} (IoC class ${r.ioc_class})${dryRun ? ': nothing is changed' : ''}\n`);
        r.steps.forEach((s, i) => {
          ctx.out.write(`${i + 1}. [${s.status}] ${s.action}: ${termSafe(s.title)}\n`);
          for (const c of s.commands ?? []) ctx.out.write(`     $ ${termSafe(c)}\n`);
          if (s.action === 'rotate_credentials') for (const c of s.detail.credentials as Array<{ path: string; kind: string; how: string }>) ctx.out.write(`     - ${termSafe(c.path)} (${termSafe(c.kind)}): ${termSafe(c.how)}\n`);
          if (s.action === 'rule' && typeof s.detail.file === 'string') ctx.out.write(`     file: ${termSafe(s.detail.file)}\n`);
          if (typeof s.detail.why === 'string') ctx.out.write(`     (${termSafe(s.detail.why)})\n`);
        });
      }
      return r.steps.some((s) => s.status === 'failed') ? 1 : 0;
    } finally {
      store.close();
    }
  },
};
