// The default pack (rules/default.yaml) loaded once for tests and benches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testing/index.js';
import { loadRuleSet } from './load.js';
import type { RuleSet } from './ruleset.js';

let cached: RuleSet | undefined;

export function defaultPack(): RuleSet {
  if (!cached) cached = loadRuleSet([{ file: 'rules/default.yaml', text: readFileSync(join(repoRoot(), 'rules', 'default.yaml'), 'utf8') }]);
  return cached;
}
