// Reads rule files from disk for the detect transform and the CLI (the rule engine itself
// does no I/O). A directory contributes its *.yaml/*.yml files in name order. A file whose
// top level is a mapping with `detection:` is a Sigma rule; a YAML list is our rule format.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocatedError } from '../../core/errors.js';
import { loadRules, RuleSet, type RuleLoadResult, type RuleSource } from '../../rules/index.js';
import { loadSigmaRules } from '../../rules/sigma/index.js';

/**
 * The package's own rules directory (default pack and IoC catalog): $AGENTWARDEN_RULES_DIR,
 * else the `rules/` beside the package.json above this file, else above the working directory
 * (builds into another outDir during development).
 */
export function packageRulesDir(): string {
  const env = process.env.AGENTWARDEN_RULES_DIR;
  if (env) return resolve(env);
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    for (let dir = start; ; ) {
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'rules', 'default.yaml'))) return join(dir, 'rules');
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new LocatedError('RULES_MISSING', fileURLToPath(import.meta.url), 1, 1, 'cannot find the package rules/ directory (set AGENTWARDEN_RULES_DIR)');
}

export function defaultPackFile(): string {
  return join(packageRulesDir(), 'default.yaml');
}

export function iocCatalogFile(): string {
  return join(packageRulesDir(), 'ioc-catalog.yaml');
}

/** Expands files and directories into rule sources (paths shown relative to the cwd). */
export function readRuleSources(paths: readonly string[]): RuleSource[] {
  const out: RuleSource[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      throw new LocatedError('RULES_READ', p, 1, 1, `cannot read: ${(e as Error).message}`, { cause: e });
    }
    const files = st.isDirectory()
      ? readdirSync(abs)
          .filter((f) => /\.ya?ml$/.test(f) && f !== 'ioc-catalog.yaml')
          .sort()
          .map((f) => join(abs, f))
      : [abs];
    for (const f of files) out.push({ file: relative(process.cwd(), f) || f, text: readFileSync(f, 'utf8') });
  }
  return out;
}

/** True when the text is a Sigma rule (a mapping with `detection:`), not a list of our items. */
export function isSigmaText(text: string): boolean {
  return /^detection\s*:/m.test(text) && !/^\s*-\s+(rule|macro|list|allowlist)\s*:/m.test(text);
}

export interface LoadedRules {
  ruleSet: RuleSet;
  sources: RuleSource[];
  sigmaSkipped: Array<{ file: string; reason: string }>;
  stats: RuleLoadResult['stats'] & { sigma: number };
}

/**
 * Loads our rule files (in order, so later files may override earlier ones) and Sigma files
 * into one RuleSet. Throws a LocatedError for the first problem: a bad file stops the load.
 */
export function loadRuleFiles(paths: readonly string[], opts: { defaultPack?: boolean } = {}): LoadedRules {
  const sources = readRuleSources([...(opts.defaultPack === false ? [] : [defaultPackFile()]), ...paths]);
  const ours = sources.filter((s) => !isSigmaText(s.text));
  const sigma = sources.filter((s) => isSigmaText(s.text));
  const r = loadRules(ours);
  const s = loadSigmaRules(sigma);
  const problems = [...r.problems, ...s.problems];
  if (problems.length) {
    const p = problems[0];
    throw new LocatedError(p.code, p.file, p.line, p.column, p.message + (problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''));
  }
  const ruleSet = r.ruleSet!.merge(new RuleSet(s.rules));
  return { ruleSet, sources, sigmaSkipped: s.skipped, stats: { ...r.stats, sigma: s.rules.length } };
}
