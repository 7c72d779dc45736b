// Public surface of the L7 gateway (PostgreSQL and HTTP).
export { GatewayService } from './service.js';
export type { GatewayListeners } from './service.js';
export { GATEWAY_CONFIG_SCHEMA, GATEWAY_DEFAULTS, parseTtl } from './config.js';
export type { GatewayConfig, GatewayPostgresConfig, GatewayIdentityConfig, GatewayMaskingConfig, GatewayApprovalsConfig, GatewayRecordingConfig, GatewayHttpConfig } from './config.js';
export { PgGateway, PgWorkers } from './postgres/index.js';
export { ForwardProxy, ReverseProxy } from './http/index.js';
export { IdentityVerifier, issueToken } from './identity/index.js';
export { ApprovalStore } from './approvals/index.js';
export { readRecording, listRecordings, loadRecordingKeys } from './recording/index.js';
export { analyze, compilePolicy } from './policy/index.js';
