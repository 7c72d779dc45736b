// Public surface of the Sigma loader and the Sysmon record converter.
export { loadSigmaRules, loadSigmaRuleSet } from './load.js';
export type { SigmaLoadResult } from './load.js';
export { sysmonToEvent, parseConcatenatedJson, splitWindowsCommandLine } from './sysmon.js';
export { sigmaGetter } from './fields.js';
