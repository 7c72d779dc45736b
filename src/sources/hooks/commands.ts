// `agentwarden hooks install|uninstall|status|serve`.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { Pipeline } from '../../core/pipeline.js';
import type { CliContext, Command } from '../../cli/context.js';
import { table, termSafe } from '../../cli/output.js';
import { openStore, storeWriter } from '../../sinks/store/index.js';
import { HOOKS_DEFAULTS, type HooksConfig } from './config.js';
import { HOOK_AGENTS, type HookAgent } from './map.js';
import { hookStatus, installHooks, uninstallHooks, type HookScope } from './install.js';
import { HookServer, hookPaths } from './server.js';
import { connect } from 'node:net';
import { redactorFromConfig, sealingSink } from '../../transforms/redact/index.js';
import type { RedactionConfig } from '../../transforms/redact/index.js';
import { createDetector, detectorHookDecider, type DetectConfig } from '../../transforms/detect/index.js';
import type { Transform } from '../../core/component.js';
import type { HookDecider } from './policy.js';

const USAGE = `Usage: agentwarden hooks install <claude|codex|gemini|cursor> [--scope user|project] [--fail open|closed] [--node-client]
       agentwarden hooks uninstall <claude|codex|gemini|cursor> [--scope user|project]
       agentwarden hooks status
       agentwarden hooks serve [--rules]

install    merges AgentWarden's hook command into the agent's own hook configuration
           (Claude ~/.claude/settings.json, Codex ~/.codex/hooks.json, Gemini ~/.gemini/settings.json,
           Cursor ~/.cursor/hooks.json; --scope project uses ./.claude, ./.codex, ./.gemini, ./.cursor).
           Existing hooks are kept. The hook command is the native client (native/build/agentwarden-hook)
           or, without it, the Node client.
uninstall  restores the file byte for byte (or, when it was edited since, removes only our entries).
status     shows what is installed where, and whether the hook server is listening.
serve      runs the hook server in the foreground (the daemon runs the same service), storing
           every payload and answering with the policy of the config section 'hooks:';
           --rules also runs the detection rules (section 'detect:'): alerts are stored and a
           rule with action deny blocks the tool call before it runs.`;

function agentArg(v: string | undefined): HookAgent {
  if (!v || !HOOK_AGENTS.includes(v as HookAgent)) throw new AwError('USAGE', `name an agent: ${HOOK_AGENTS.join(', ')}`);
  return v as HookAgent;
}

function scopeArg(v: string | undefined): HookScope {
  if (v === undefined || v === 'user') return 'user';
  if (v === 'project') return 'project';
  throw new AwError('USAGE', '--scope is user or project');
}

function socketAlive(path: string): Promise<boolean> {
  return new Promise((res) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      res(true);
    });
    c.once('error', () => res(false));
  });
}

async function serve(ctx: CliContext, rules: boolean): Promise<number> {
  const cfg = ctx.config.store ?? {};
  // With --rules the detection rules (section `detect:`) see every event and decide on tool
  // calls before they run, after the config deny list. Rule files are loaded (and a bad
  // one reported) before the socket opens.
  const transforms: Transform[] = [];
  const deciders: HookDecider[] = [];
  if (rules) {
    const det = createDetector({ config: ctx.config.detect as DetectConfig | undefined });
    transforms.push(det);
    deciders.push(detectorHookDecider(det));
  }
  const store = openStore(ctx.paths, cfg);
  const writer = storeWriter(store, cfg, { whenFull: 'block' });
  // Secrets and PII are masked before anything reaches the store (section `redaction:`).
  const redactor = redactorFromConfig(ctx.config.redaction as RedactionConfig | undefined);
  const pipeline = new Pipeline([...transforms, redactor], [sealingSink(writer, redactor)]);
  const server = new HookServer({ flush: () => pipeline.flush(), deciders });
  await server.start({ config: ctx.config, paths: ctx.paths, emit: pipeline.emit, log: (m) => ctx.err.write(`${termSafe(m)}\n`) });
  // Signal handlers go in before the 'listening' line: whoever waits for that line may stop
  // us right away, and an unhandled SIGTERM would kill the process before it flushes.
  const stopped = new Promise<void>((res) => {
    const done = () => res();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  ctx.out.write(`hooks: listening on ${server.socket}\n`);
  await stopped;
  await server.stop();
  await pipeline.flush();
  store.close();
  ctx.err.write(`hooks: stopped; ${JSON.stringify(server.status())}\n`);
  return 0;
}

export const hooksCommand: Command = {
  summary: 'install agent hooks (claude, codex, gemini, cursor), show their status, run the hook server',
  usage: USAGE,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      options: { scope: { type: 'string' }, fail: { type: 'string' }, 'node-client': { type: 'boolean' }, json: { type: 'boolean' }, rules: { type: 'boolean' } },
      allowPositionals: true,
    });
    const json = ctx.json || Boolean(values.json);
    const sub = positionals[0];
    const hcfg = (ctx.config.hooks ?? {}) as HooksConfig;
    const hp = hookPaths(hcfg, ctx.paths);
    if (sub === 'install') {
      const agent = agentArg(positionals[1]);
      const fail = (values.fail ?? hcfg.fail ?? HOOKS_DEFAULTS.fail) as 'open' | 'closed';
      if (fail !== 'open' && fail !== 'closed') throw new AwError('USAGE', '--fail is open or closed');
      const r = installHooks(agent, scopeArg(values.scope), ctx.paths.home, {
        agent,
        socket: hp.socket,
        spool: hp.spool,
        fail,
        timeoutMs: hcfg.timeout_ms ?? HOOKS_DEFAULTS.timeout_ms,
        node: Boolean(values['node-client']),
      });
      if (json) ctx.out.write(`${JSON.stringify(r)}\n`);
      else {
        ctx.out.write(r.already ? `already installed in ${r.path}\n` : `installed ${agent} hooks (${r.events} events) in ${r.path}\n`);
        if (r.note) ctx.out.write(`note: ${r.note}\n`);
      }
      return 0;
    }
    if (sub === 'uninstall') {
      const agent = agentArg(positionals[1]);
      const r = uninstallHooks(agent, scopeArg(values.scope), ctx.paths.home);
      if (json) ctx.out.write(`${JSON.stringify(r)}\n`);
      else {
        const what = { restored: 'restored the original', removed: 'removed the file AgentWarden created:', pruned: 'the file changed since install; removed only AgentWarden entries from', missing: 'nothing installed in' }[r.action];
        ctx.out.write(`${what} ${r.path}\n`);
      }
      return r.action === 'missing' ? 1 : 0;
    }
    if (sub === 'status') {
      const rows = hookStatus(ctx.paths.home);
      const listening = await socketAlive(hp.socket);
      if (json) {
        ctx.out.write(`${JSON.stringify({ server: { socket: hp.socket, listening, spool: hp.spool }, installs: rows })}\n`);
      } else {
        ctx.out.write(table(['AGENT', 'SCOPE', 'INSTALLED', 'OUR HOOKS', 'OTHER HOOKS', 'FILE'], rows.map((r) => [r.agent, r.scope, r.managed ? 'yes' : r.exists ? 'no' : '-', r.ours, r.other, r.error ? `${r.path} (${r.error})` : r.path]), 100));
        ctx.out.write(`hook server: ${listening ? 'listening' : 'not running'} on ${hp.socket}\n`);
      }
      return 0;
    }
    if (sub === 'serve') return serve(ctx, Boolean(values.rules));
    throw new AwError('USAGE', USAGE);
  },
};
