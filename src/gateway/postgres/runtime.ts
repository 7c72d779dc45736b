// What a PgSession needs from the gateway around it (policy, identity, masking, approvals,
// recording, events, cancel keys). Implemented by PgGateway; kept as an interface so the
// session file reads as the protocol state machine only.
import type { AwEvent } from '../../schema/index.js';
import type { GatewayPostgresConfig } from '../config.js';
import type { Identity, IdentityVerifier } from '../identity/identity.js';
import type { Analysis, SessionSqlState, StatementInfo } from '../policy/analyze.js';
import type { CompiledPolicy, Decision } from '../policy/policy.js';
import type { TlsMaterial } from './tls.js';
import type { UpstreamConnection, UpstreamTarget } from './upstream.js';
import type { FieldDesc } from './wire.js';
import type { PgSession } from './session.js';

export interface ResultMasker {
  /** Masks a whole DataRow message (type byte included); returns it unchanged when nothing matched. */
  row(raw: Buffer, counts: Map<string, number>): Buffer;
  /** Masks one CopyData payload (a text/CSV line). */
  copyData(body: Buffer, counts: Map<string, number>): Buffer;
}

export interface Result {
  statement: string;
  fields?: FieldDesc[];
  masker?: ResultMasker | null;
  rows: number;
  recorded: string[][];
  recordedBytes: number;
  maskedCounts: Map<string, number>;
  started: bigint;
}

export interface ApprovalOutcome {
  approved: boolean;
  id: string;
  status: 'approved' | 'pending' | 'denied';
  approver?: string;
}

export interface ApprovalRequest {
  session: PgSession | { id: string };
  identity: Identity;
  sql: string;
  analysis?: Analysis;
  decision: Decision;
  resource?: string;
}

export interface GatewayRuntime {
  config: GatewayPostgresConfig;
  tls: TlsMaterial;
  verifier: IdentityVerifier;
  upstreamTarget: UpstreamTarget;
  /** `host:port` of the upstream, as events name it. */
  upstreamLabel: string;
  policyFor(id: Identity): CompiledPolicy;
  analyze(sql: string, state: SessionSqlState): Analysis;
  approvals: { request(req: ApprovalRequest): Promise<ApprovalOutcome> };
  masker(session: PgSession, stmt: StatementInfo | undefined, fields: FieldDesc[] | undefined): ResultMasker | null;
  copyMasker(session: PgSession, stmt: StatementInfo | undefined, copyOutBody: Buffer): ResultMasker | null;
  record(session: PgSession, rec: Record<string, unknown>): void;
  /** Keeps a (masked) row for the recording: a DataRow message, or a CopyData payload when `copy`. */
  recordRow(result: Result, raw: Buffer, copy: boolean): void;
  /** Refreshes masking metadata when a statement names relations the catalog does not know (may wait). */
  prepareMasking(session: PgSession, a: Analysis): Promise<void> | undefined;
  emit(ev: AwEvent): void;
  cancel(pid: number, secret: number): Promise<void>;
  registerCancel(upPid: number, upSecret: number): { pid: number; secret: number };
  unregisterCancel(pid: number, secret: number): void;
  onSessionReady(session: PgSession, upstream: UpstreamConnection, database: string): Promise<void>;
  sessionClosed(session: PgSession, reason: string): void;
}
