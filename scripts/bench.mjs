// `npm run bench`: runs every compiled benchmark (dist/**/*.bench.js) one after another.
// Each prints its figures as ratios against a baseline measured in the same run, since
// these machines are shared and noisy. Pass a substring to run only matching benchmarks.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.bench.js')) out.push(p);
  }
  return out;
}
const filter = process.argv.slice(2);
let files = find('dist').sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f.replace(/^dist\//, '').replace(/\.bench\.js$/, '')} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', f], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
