// Public surface of gateway masking.
export { MaskCatalog, CATALOG_SQL, compileColumnRules, buildResultMasker, buildCopyMasker } from './masking.js';
export type { MaskRule, CatalogRelation } from './masking.js';
export { contentScanner } from './detectors.js';
export { luhnValid } from '../../core/luhn.js';
export type { ContentScanner } from './detectors.js';
