// Paths for tests: the repository root (tests run from it) and ../shared beside it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(): string {
  let dir = process.cwd();
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'agentwarden') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('run tests from inside the agentwarden repository');
    dir = up;
  }
}

/** ../shared beside the repository (or $AGENTWARDEN_SHARED). */
export function sharedDir(...parts: string[]): string {
  return join(process.env.AGENTWARDEN_SHARED ?? resolve(repoRoot(), '..', 'shared'), ...parts);
}

/** The compiled CLI entry point next to this compiled file (works for any outDir). */
export function cliEntry(): string {
  return fileURLToPath(new URL('../cli/bin.js', import.meta.url));
}
