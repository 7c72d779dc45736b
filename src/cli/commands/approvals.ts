// `agentwarden approvals list|approve|deny`: the approvers' side of held gateway statements.
import { userInfo } from 'node:os';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AwError } from '../../core/errors.js';
import { ApprovalStore, approvalsDbPath, type ApprovalRow } from '../../gateway/approvals/index.js';
import { GATEWAY_DEFAULTS, parseTtl } from '../../gateway/config.js';
import { IdentityVerifier } from '../../gateway/identity/index.js';
import type { Command } from '../context.js';
import { table } from '../output.js';

function show(r: ApprovalRow): Record<string, unknown> {
  return {
    id: r.id,
    status: r.status,
    kind: r.kind,
    agent: r.agent,
    groups: r.groups ? r.groups.split(',') : [],
    resource: r.resource,
    statement: r.statement,
    reason: r.reason,
    created: new Date(r.created_ms).toISOString(),
    approver: r.approver,
    decided: r.decided_ms ? new Date(r.decided_ms).toISOString() : null,
    expires: r.expires_ms ? new Date(r.expires_ms).toISOString() : null,
    uses: r.uses,
  };
}

export const approvalsCommand: Command = {
  summary: 'list, approve or deny statements held by the gateway',
  usage: `Usage: agentwarden approvals list [--all|--status S] [--limit N] [--json]
       agentwarden approvals approve ID [--for 30m] [--as NAME] [--note TEXT]
       agentwarden approvals deny ID [--as NAME] [--note TEXT]

approve without --for is one-time: the exact statement may run once.
approve --for DURATION is time-boxed: statements of the same shape (literals may differ)
from that agent pass until the window ends (at most gateway.approvals.max_duration).
The approver is the subject of --token TOKEN (or $AGENTWARDEN_TOKEN) when given, which
gateway.approvals.require_token makes mandatory; otherwise --as NAME (default: the OS user).
An agent cannot approve its own request; gateway.approvals.approvers lists the subjects or
groups allowed to approve.`,
  async run(args, ctx) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { all: { type: 'boolean' }, status: { type: 'string' }, limit: { type: 'string' }, for: { type: 'string' }, as: { type: 'string' }, token: { type: 'string' }, note: { type: 'string' }, json: { type: 'boolean' } },
    });
    const [sub, id] = positionals;
    const json = ctx.json || values.json;
    const cfg = ctx.config.gateway?.approvals;
    if (sub === 'list') {
      if (!existsSync(approvalsDbPath(ctx.paths))) {
        if (!json) ctx.out.write('no approval requests\n');
        return 0;
      }
      const store = ApprovalStore.open(ctx.paths);
      try {
        const status = values.all ? 'all' : ((values.status ?? 'pending') as ApprovalRow['status']);
        const rows = store.list({ status, limit: values.limit ? Number(values.limit) : 100 });
        if (json) for (const r of rows) ctx.out.write(`${JSON.stringify(show(r))}\n`);
        else ctx.out.write(table(['ID', 'STATUS', 'AGENT', 'RESOURCE', 'CREATED', 'STATEMENT', 'REASON'], rows.map((r) => [r.id, r.status + (r.kind ? `/${r.kind}` : ''), r.agent, r.resource, new Date(r.created_ms).toISOString(), r.statement, r.reason]), 80));
      } finally {
        store.close();
      }
      return 0;
    }
    if (sub !== 'approve' && sub !== 'deny') throw new AwError('USAGE', 'usage: agentwarden approvals list|approve ID|deny ID');
    if (!id) throw new AwError('USAGE', `approvals ${sub} needs a request id`);
    let approver = values.as ?? userInfo().username;
    let approverGroups: string[] = [];
    const token = values.token ?? process.env.AGENTWARDEN_TOKEN;
    if (token) {
      const id = await new IdentityVerifier(ctx.paths, ctx.config.gateway?.identity).verify(token);
      if (values.as && values.as !== id.subject) throw new AwError('USAGE', `--as ${values.as} contradicts the token subject ${id.subject}`);
      approver = id.subject;
      approverGroups = id.groups;
    } else if (cfg?.require_token) {
      throw new AwError('APPROVAL_APPROVER', 'gateway.approvals.require_token: pass --token (or AGENTWARDEN_TOKEN) to prove who approves');
    }
    // A configured approver list may name subjects or groups.
    const allowed = cfg?.approvers?.length && (cfg.approvers.includes(approver) || approverGroups.some((g) => cfg.approvers!.includes(g))) ? [approver] : cfg?.approvers;
    const store = ApprovalStore.open(ctx.paths);
    try {
      let row: ApprovalRow;
      if (sub === 'approve') {
        let forMs: number | undefined;
        try {
          forMs = values.for ? parseTtl(values.for) : undefined;
        } catch (err) {
          throw new AwError('USAGE', (err as Error).message);
        }
        row = store.approve(id, approver, { forMs, maxMs: parseTtl(cfg?.max_duration ?? GATEWAY_DEFAULTS.maxApproval), approvers: allowed, note: values.note });
      } else {
        if (allowed?.length && !allowed.includes(approver)) throw new AwError('APPROVAL_APPROVER', `${approver} is not an approver (gateway.approvals.approvers)`);
        row = store.deny(id, approver, values.note);
      }
      if (json) ctx.out.write(`${JSON.stringify(show(row))}\n`);
      else ctx.out.write(`${row.id} ${row.status}${row.kind === 'window' ? ` until ${new Date(row.expires_ms!).toISOString()}` : row.kind === 'once' ? ' (one-time)' : ''} by ${approver}\n`);
      return 0;
    } finally {
      store.close();
    }
  },
};
