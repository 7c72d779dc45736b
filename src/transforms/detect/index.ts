// Public surface of the detect transform.
export { Detector, createDetector, detectorHookDecider } from './detector.js';
export type { Decision, DetectorCounters, DetectorOptions } from './detector.js';
export { DETECT_CONFIG_SCHEMA, DETECT_DEFAULTS } from './config.js';
export type { DetectConfig } from './config.js';
export { loadRuleFiles, readRuleSources, isSigmaText, packageRulesDir, defaultPackFile, iocCatalogFile } from './files.js';
export type { LoadedRules } from './files.js';
