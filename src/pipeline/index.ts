// Public surface of the live pipeline wiring.
export { buildLivePipeline } from './live.js';
export type { LivePipeline } from './live.js';
