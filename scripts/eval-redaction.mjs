#!/usr/bin/env node
// `npm run eval:redaction`: recall and false-positive rate of the redactor on
//  - the gitleaks rule fixtures (../shared/data/secrets/gitleaks/rule-fixtures.json):
//    true positives must yield a secret finding, false positives must yield none;
//  - the Presidio synthetic PII dataset (../shared/data/secrets/presidio/synth_dataset_v2.json):
//    recall on the labelled EMAIL_ADDRESS, PHONE_NUMBER and CREDIT_CARD spans (a span counts when
//    a finding of the same type overlaps it); false positives are PII findings overlapping no
//    labelled span of any type.
// Goals (issue 4): secrets recall >= 0.95 with FP <= 0.05; PII recall >= 0.90.
// Options: --dist DIR (compiled tree, default dist), --rules FILE (a gitleaks TOML instead of the
// shipped rules), --verbose (list misses).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { dist: { type: 'string' }, rules: { type: 'string' }, verbose: { type: 'boolean' } } });
const dist = resolve(values.dist ?? 'dist');
const shared = process.env.AGENTWARDEN_SHARED ?? resolve('..', 'shared');
const R = await import(pathToFileURL(join(dist, 'transforms', 'redact', 'index.js')).href);
const rules = values.rules ? R.gitleaksConfigFromToml(readFileSync(values.rules, 'utf8'), values.rules) : undefined;
const red = R.createRedactor({ mode: 'redacted', rules });
const pct = (x) => `${(100 * x).toFixed(1)}%`;
let ok = true;

// ---- secrets: gitleaks fixtures
const fixtures = JSON.parse(readFileSync(join(shared, 'data', 'secrets', 'gitleaks', 'rule-fixtures.json'), 'utf8'));
const ruleById = new Map((rules ?? R.GITLEAKS_DEFAULT).rules.map((r) => [r.id, r]));
let tp = 0, tpHit = 0, tpSame = 0, fp = 0, fpHit = 0, fpSame = 0;
const misses = [], fpsSeen = [];
for (const f of fixtures) {
  const texts = [];
  if (f.form === 'in_context') texts.push(f.text);
  else {
    // gitleaks wraps bare sample secrets in assignment contexts named after the rule.
    const kw = ruleById.get(f.rule_id)?.keywords?.[0] ?? 'secret';
    texts.push(`${kw}_token = "${f.text}"`, `"${kw}_api_key": "${f.text}"`, `export ${kw.toUpperCase()}_SECRET=${f.text}`);
  }
  for (const text of texts) {
    const secrets = red.scanText(text).filter((x) => x.kind === 'secret');
    if (f.kind === 'true_positive') {
      tp++;
      if (secrets.length) tpHit++;
      else misses.push(`${f.rule_id}: ${JSON.stringify(text).slice(0, 140)}`);
      if (secrets.some((x) => x.rule === f.rule_id)) tpSame++;
    } else {
      fp++;
      if (secrets.length) {
        fpHit++;
        fpsSeen.push(`${f.rule_id} -> ${secrets.map((x) => x.rule).join(',')}: ${JSON.stringify(text).slice(0, 140)}`);
      }
      if (secrets.some((x) => x.rule === f.rule_id)) fpSame++;
    }
  }
}
const sRecall = tpHit / tp;
const sFp = fpHit / fp;
console.log('secrets (gitleaks rule fixtures)');
console.log(`  true positives  ${tpHit}/${tp} detected: recall ${pct(sRecall)} (same rule id: ${pct(tpSame / tp)})`);
console.log(`  false positives ${fpHit}/${fp} flagged by any rule: FP rate ${pct(sFp)} (by the fixture's own rule: ${pct(fpSame / fp)})`);
console.log(`  goal recall >= 95% and FP <= 5%: ${sRecall >= 0.95 && sFp <= 0.05 ? 'met' : 'NOT met'}`);
if (!(sRecall >= 0.95 && sFp <= 0.05)) ok = false;
if (values.verbose) {
  for (const m of misses) console.log(`    miss ${m}`);
  for (const m of fpsSeen) console.log(`    fp   ${m}`);
}

// ---- PII: Presidio synthetic dataset
const data = JSON.parse(readFileSync(join(shared, 'data', 'secrets', 'presidio', 'synth_dataset_v2.json'), 'utf8'));
const TYPE = { EMAIL_ADDRESS: 'pii-email', PHONE_NUMBER: 'pii-phone', CREDIT_CARD: 'pii-card', US_SSN: 'pii-us-ssn', IBAN_CODE: 'pii-iban' };
const per = {};
let findings = 0, falsePos = 0;
const piiMisses = [], piiFps = [];
for (const s of data) {
  const found = red.scanText(s.full_text);
  for (const sp of s.spans) {
    const want = TYPE[sp.entity_type];
    if (!want) continue;
    const p = (per[sp.entity_type] ??= { n: 0, hit: 0 });
    p.n++;
    if (found.some((f) => f.rule === want && f.start < sp.end_position && f.end > sp.start_position)) p.hit++;
    else piiMisses.push(`${sp.entity_type}: ${JSON.stringify(sp.entity_value)}`);
  }
  for (const f of found) {
    if (f.kind !== 'pii') continue;
    findings++;
    if (!s.spans.some((sp) => f.start < sp.end_position && f.end > sp.start_position)) {
      falsePos++;
      piiFps.push(`${f.rule}: ${JSON.stringify(s.full_text.slice(f.start, f.end))}`);
    }
  }
}
console.log('PII (Presidio synth_dataset_v2, 1,500 samples)');
let goalN = 0, goalHit = 0;
for (const [t, p] of Object.entries(per)) {
  console.log(`  ${t.padEnd(14)} ${String(p.hit).padStart(4)}/${String(p.n).padEnd(4)} recall ${pct(p.hit / p.n)}`);
  if (['EMAIL_ADDRESS', 'PHONE_NUMBER', 'CREDIT_CARD'].includes(t)) {
    goalN += p.n;
    goalHit += p.hit;
  }
}
const pRecall = goalHit / goalN;
console.log(`  email+phone+card recall ${pct(pRecall)} (goal >= 90%: ${pRecall >= 0.9 ? 'met' : 'NOT met'})`);
console.log(`  PII findings overlapping no labelled entity: ${falsePos}/${findings} (${pct(findings ? falsePos / findings : 0)})`);
if (values.verbose) {
  for (const m of piiMisses) console.log(`    miss ${m}`);
  for (const m of piiFps) console.log(`    fp   ${m}`);
}
if (pRecall < 0.9) ok = false;
process.exit(ok ? 0 : 1);
