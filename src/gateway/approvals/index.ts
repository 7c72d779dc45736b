// Public surface of gateway approvals.
export { ApprovalStore, approvalsDbPath } from './approvals.js';
export type { ApprovalRow, ApprovalStatus } from './approvals.js';
export { ApprovalGate } from './gate.js';
