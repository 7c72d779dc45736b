// Public surface of gateway identity.
export { IdentityVerifier, issueToken, issuerKey, ISSUER_KEY_FILE } from './identity.js';
export type { Identity, IdentityErrorCode } from './identity.js';
