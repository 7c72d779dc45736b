// `agentwarden token issue`: short-lived agent tokens from AgentWarden's own issuer.
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { issueToken } from '../../gateway/identity/index.js';
import type { Command } from '../context.js';

export const tokenCommand: Command = {
  summary: 'issue a short-lived gateway token for an agent (token issue --agent NAME --groups a,b --ttl 15m)',
  usage: `Usage: agentwarden token issue --agent NAME [--groups a,b] [--ttl 15m] [--session ID] [--json]

Signs a JWT (EdDSA, key <home>/keys/gateway-issuer-ed25519.pem) that the agent presents as
its password (PostgreSQL: PGPASSWORD with sslmode=require) or bearer token (HTTP proxies).
Every token expires (--ttl, default 15m, at most gateway.identity.max_ttl, default 24h); the
gateway closes a connection when its token expires. Groups map to policies
(gateway.groups). --session ties gateway events to an agent session id.
Prints the token on stdout (with --json: {token, expires_at, id}).`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { agent: { type: 'string' }, groups: { type: 'string' }, ttl: { type: 'string' }, session: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals[0] !== 'issue') throw new AwError('USAGE', 'usage: agentwarden token issue --agent NAME [--groups a,b] [--ttl 15m]');
    if (!values.agent) throw new AwError('USAGE', '--agent is required');
    const groups = (values.groups ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    let t: Awaited<ReturnType<typeof issueToken>>;
    try {
      t = await issueToken(ctx.paths, ctx.config.gateway?.identity, { agent: values.agent, groups, ttl: values.ttl ?? '15m', session: values.session });
    } catch (err) {
      if (err instanceof AwError) throw err;
      throw new AwError('USAGE', (err as Error).message);
    }
    if (ctx.json || values.json) ctx.out.write(`${JSON.stringify({ token: t.token, expires_at: new Date(t.expiresAt).toISOString(), id: t.id, agent: values.agent, groups })}\n`);
    else ctx.out.write(`${t.token}\n`);
    return 0;
  },
};
