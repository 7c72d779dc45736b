// Public surface of the embedded store.
export { EventStore, BLOCK, chainMacKey, commitmentOf, recordLeaf, chainNext } from './store.js';
export type { AppendInput, AppendOptions, StoredEvent, EventQuery, SessionSummary, StoreOpenOptions } from './store.js';
export { StoreWriter } from './writer.js';
export type { StoreWriterOptions } from './writer.js';
export { openStore, openStoreReadonly, storeWriter, storeDirOf } from './open.js';
export { verifyStore } from './verify.js';
export type { VerifyReport, VerifyProblem, VerifyProblemCode, VerifyOptions } from './verify.js';
export { STORE_CONFIG_SCHEMA, STORE_DEFAULTS } from './config.js';
export type { StoreConfig } from './config.js';
