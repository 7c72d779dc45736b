// The gateway side of approvals: consume a grant if one exists, otherwise file (or find)
// the request, notify approvers (webhook) and hold the statement for a bounded time,
// polling the shared database. Agent tools time out (Claude Code's Bash tool: 120 s by
// default), so the hold stays short and the agent is told to retry.
import { AwError } from '../../core/errors.js';
import { GATEWAY_DEFAULTS, parseTtl, type GatewayApprovalsConfig } from '../config.js';
import { exactFingerprint, shapeFingerprint } from '../policy/analyze.js';
import type { ApprovalOutcome, ApprovalRequest } from '../postgres/runtime.js';
import type { ApprovalStore } from './approvals.js';

export class ApprovalGate {
  readonly holdMs: number;
  private readonly ttlMs: number;
  webhookErrors = 0;
  webhookSent = 0;

  constructor(private readonly store: ApprovalStore, private readonly cfg: GatewayApprovalsConfig = {}, private readonly log: (m: string) => void = () => {}) {
    this.holdMs = cfg.hold_ms ?? GATEWAY_DEFAULTS.holdMs;
    this.ttlMs = parseTtl(cfg.request_ttl ?? GATEWAY_DEFAULTS.requestTtl);
  }

  async request(req: ApprovalRequest): Promise<ApprovalOutcome> {
    const agent = req.identity.subject;
    const resource = req.resource ?? `postgres:${'db' in req.session ? (req.session as { db: string }).db : ''}`;
    const exact = exactFingerprint(req.sql);
    const shape = req.analysis?.ok ? shapeFingerprint(req.sql) : exact;
    const grant = this.store.consumeGrant(agent, resource, exact, shape);
    if (grant) return { approved: true, id: grant.id, status: 'approved', approver: grant.approver ?? undefined };
    const { row, created } = this.store.requestFor({ agent, groups: req.identity.groups, resource, statement: req.sql, exact, shape, reason: req.decision.reason, ttlMs: this.ttlMs });
    if (row.status === 'denied') return { approved: false, id: row.id, status: 'denied', approver: row.approver ?? undefined };
    if (created) this.notify(row.id, agent, resource, req.sql, req.decision.reason);
    const deadline = Date.now() + this.holdMs;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(200, Math.max(1, deadline - Date.now()))));
      const cur = this.store.get(row.id);
      if (!cur) break;
      if (cur.status === 'denied') return { approved: false, id: row.id, status: 'denied', approver: cur.approver ?? undefined };
      if (cur.status === 'approved') {
        const g = this.store.consumeGrant(agent, resource, exact, shape);
        if (g) return { approved: true, id: g.id, status: 'approved', approver: g.approver ?? undefined };
      }
    }
    return { approved: false, id: row.id, status: 'pending' };
  }

  private notify(id: string, agent: string, resource: string, statement: string, reason: string): void {
    const url = this.cfg.webhook;
    if (!url) return;
    const body = JSON.stringify({ type: 'gateway.approval.requested', id, agent, resource, statement, reason, created: new Date().toISOString(), approve_with: `agentwarden approvals approve ${id}` });
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) })
      .then((r) => {
        if (!r.ok) throw new AwError('WEBHOOK', `HTTP ${r.status}`);
        this.webhookSent++;
      })
      .catch((err) => {
        this.webhookErrors++;
        this.log(`approval webhook failed: ${(err as Error).message}`);
      });
  }
}
