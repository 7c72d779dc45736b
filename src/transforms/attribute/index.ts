// Session attribution: agent signature catalog, process tree, bounded waits.
export { AgentCatalog, defaultCatalogPath } from './catalog.js';
export type { AgentSignature, CompiledSignature, AgentMatch } from './catalog.js';
export { Attributor, exeName } from './attribute.js';
export type { AttributorOptions, AttributorCounters, SessionInfo } from './attribute.js';
