// Public surface of core: errors, queues, roles, canonical JSON, Merkle, checkpoints, keys.
export { AwError, LocatedError, errorMessage } from './errors.js';
export { BatchQueue } from './queue.js';
export type { WhenFull, QueueCounters, BatchQueueOptions } from './queue.js';
export { NoopSink } from './component.js';
export { Pipeline } from './pipeline.js';
export type { PipelineCounters } from './pipeline.js';
export type { Source, Sink, Transform, Emit, ComponentCounters } from './component.js';
export { canonicalJson } from './canonical.js';
export { MerkleTree, MerkleFrontier, leafHash, nodeHash, rootOf, subtreeNodes, subtreeNodeIndex, verifyInclusion, verifyConsistency, EMPTY_ROOT } from './merkle.js';
export { signCheckpoint, verifyCheckpoint, checkpointBody } from './checkpoint.js';
export type { Checkpoint, CheckpointParse } from './checkpoint.js';
export { ensureSigningKey, loadSigningKey, loadPublicKey, publicKeyPem, rawPublicKey, publicKeyFromRaw, signingKeyFrom } from './keys.js';
export type { SigningKey } from './keys.js';
export { resolvePaths } from './paths.js';
export type { AwPaths } from './paths.js';
