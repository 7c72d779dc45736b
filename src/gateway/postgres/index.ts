// Public surface of the PostgreSQL gateway.
export { PgGateway, compilePolicies } from './server.js';
export type { PgGatewayOptions } from './server.js';
export { PgSession } from './session.js';
export { loadOrCreateTls, gatewayDir } from './tls.js';
export type { TlsMaterial } from './tls.js';
export { connectUpstream, cancelUpstream } from './upstream.js';
export type { UpstreamTarget, UpstreamConnection } from './upstream.js';
export { startCluster, findPgBinaries, pgSkipReason, freePort } from './pgcluster.js';
export type { PgCluster, PgBinaries } from './pgcluster.js';
export type { GatewayRuntime, ResultMasker, Result, ApprovalOutcome, ApprovalRequest } from './runtime.js';
export { PgWorkers } from './workers.js';
export type { WorkerMessage } from './workers.js';
