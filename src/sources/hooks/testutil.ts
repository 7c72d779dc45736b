// Helpers for the hook tests: run `agentwarden hooks serve` as a real child process and
// read what it stored.
import { once } from 'node:events';
import { spawnCli } from '../../testing/index.js';
import { resolvePaths } from '../../core/paths.js';
import { openStoreReadonly } from '../../sinks/store/index.js';
import type { AwEvent } from '../../schema/index.js';
import type { ChildProcess } from 'node:child_process';

export interface ServeHandle {
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<number | null>;
}

/** Starts `agentwarden --store HOME [--config CFG] hooks serve` and waits until it listens. */
export async function startServe(home: string, config?: string, extra: string[] = []): Promise<ServeHandle> {
  const child = spawnCli(['--store', home, ...(config ? ['--config', config] : []), 'hooks', 'serve', ...extra]);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`hooks serve did not start: ${err}`)), 20_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('listening on')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`hooks serve exited ${code}: ${err}`));
    });
  });
  return {
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

export function storedEvents(home: string): AwEvent[] {
  const store = openStoreReadonly(resolvePaths(home));
  try {
    return store.query({ limit: 100000 }) as AwEvent[];
  } finally {
    store.close();
  }
}
